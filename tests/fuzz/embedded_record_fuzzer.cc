// Fuzzes the embedded log's stored record decoding (ledger/embedded_log.cc,
// EmbeddedLogReader): a RocksDB key and value as a damaged or edited data
// directory could hold them.
//
// Proves, for any bytes: ParseRecordKey accepts exactly the 12-byte keys and
// RecordKey re-encodes what it decoded to the same bytes (so a record's
// position cannot be read two ways); an EmbeddedRecord that parses re-encodes
// to bytes that parse the same; and the record it holds goes on to the
// envelope decoder (events/envelope.h) without a crash, failing only with a
// verification status.
//
// Input: two pieces (tests/fuzz/fuzz_input.h): the stored key, the stored value.
#include <cstdint>

#include "careledger/v1/envelope.pb.h"
#include "events/envelope.h"
#include "events/failure.h"
#include "ledger/internal/embedded_record.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/fuzz/quiet_protobuf.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  careledger::fuzz::QuietProtobufLogs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using careledger::events::SerializeDeterministic;
  careledger::fuzz::FuzzInput input(data, size);
  const std::string_view key = input.Piece();
  const std::string_view value = input.Piece();

  std::int32_t partition = -1;
  std::int64_t offset = -1;
  const bool parsed_key = careledger::ledger::ParseRecordKey(key, &partition, &offset);
  CARELEDGER_FUZZ_CHECK(parsed_key == (key.size() == 12));
  if (parsed_key) {
    CARELEDGER_FUZZ_CHECK(careledger::ledger::RecordKey(partition, offset) == key);
  } else {
    CARELEDGER_FUZZ_CHECK(partition == -1 && offset == -1);
  }

  careledger::v1::EmbeddedRecord stored;
  if (!stored.ParseFromArray(value.data(), static_cast<int>(value.size()))) return 0;
  const std::string encoded = SerializeDeterministic(stored);
  careledger::v1::EmbeddedRecord again;
  CARELEDGER_FUZZ_CHECK(again.ParseFromString(encoded));
  CARELEDGER_FUZZ_CHECK(again.key() == stored.key() && again.value() == stored.value());

  const absl::StatusOr<careledger::events::OpenedRecord> record =
      careledger::events::OpenRecord(stored.key(), stored.value());
  CARELEDGER_FUZZ_CHECK(record.ok() ||
                        careledger::events::FailureKindOf(record.status()).has_value());
  return 0;
}
