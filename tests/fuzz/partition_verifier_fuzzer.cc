// Fuzzes the partition verifier (events/partition_verifier.h) on arbitrary
// record sequences, as `careledger verify` and the projector read them from
// a log that may have been damaged or edited: any keys, values and offsets.
//
// Proves, for any sequence: Verify never crashes or hangs; it verifies a
// prefix of the records in order and stops at most once, at the first
// record it does not trust, with a non-OK reason; verified offsets strictly
// increase; the digest counts exactly the verified records and ends at the
// last verified offset; and a second batch continues from the first.
// Signatures are checked in one pass against a keyring that does not hold
// the corpus's key (so they fail cleanly, and cheaply: the envelope target
// runs Ed25519 itself), and not at all in another (so chains and checkpoints
// are reached).
//
// Input: one byte, where to split the sequence into two batches; then per
// record one byte of offset step (as int8, so offsets may repeat or go back)
// and two pieces (tests/fuzz/fuzz_input.h), the key and the value.
#include <cstdint>
#include <vector>

#include "events/keyring.h"
#include "events/partition_verifier.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/fuzz/quiet_protobuf.h"

namespace careledger::fuzz {
namespace {

const events::Keyring& FixedKeyring() {
  static const events::Keyring* const keyring = [] {
    auto* ring = new events::Keyring;
    absl::StatusOr<events::VerifyingKey> key = events::VerifyingKey::FromRaw(std::string(32, 'k'));
    CARELEDGER_FUZZ_CHECK(key.ok());
    CARELEDGER_FUZZ_CHECK(ring->Add(events::KeyEntry{"fuzz-key", *key, absl::UnixEpoch()}).ok());
    return ring;
  }();
  return *keyring;
}

void VerifyInTwoBatches(const std::vector<events::LogRecord>& records, std::size_t split,
                        const events::Keyring* keyring) {
  events::PartitionVerifier verifier(0, keyring, /*lookup=*/nullptr, /*threads=*/1);
  std::size_t verified = 0;
  std::int64_t last_offset = -1;
  const std::span<const events::LogRecord> all(records);
  for (std::span<const events::LogRecord> batch : {all.first(split), all.subspan(split)}) {
    const events::BatchVerification result = verifier.Verify(batch);
    CARELEDGER_FUZZ_CHECK(result.verified.size() <= batch.size());
    for (std::size_t i = 0; i < result.verified.size(); ++i) {
      CARELEDGER_FUZZ_CHECK(result.verified[i].offset == batch[i].offset);
      CARELEDGER_FUZZ_CHECK(result.verified[i].offset > last_offset);
      last_offset = result.verified[i].offset;
    }
    verified += result.verified.size();
    CARELEDGER_FUZZ_CHECK(verifier.digest().record_count == verified);
    CARELEDGER_FUZZ_CHECK(verifier.digest().last_offset == last_offset);
    if (result.stop) {
      CARELEDGER_FUZZ_CHECK(result.verified.size() < batch.size());
      CARELEDGER_FUZZ_CHECK(result.stop->offset == batch[result.verified.size()].offset);
      CARELEDGER_FUZZ_CHECK(!result.stop->reason.ok());
      (void)result.stop->Describe();
      return;  // a stopped verifier must not be reused
    }
    CARELEDGER_FUZZ_CHECK(result.verified.size() == batch.size());
  }
}

}  // namespace
}  // namespace careledger::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  careledger::fuzz::QuietProtobufLogs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  careledger::fuzz::FuzzInput input(data, size);
  const std::size_t split_at = input.Byte();
  std::vector<careledger::events::LogRecord> records;
  std::int64_t offset = -1;
  while (!input.empty()) {
    careledger::events::LogRecord record;
    offset += static_cast<std::int8_t>(input.Byte());
    record.offset = offset;
    record.key = std::string(input.Piece());
    record.value = std::string(input.Piece());
    records.push_back(std::move(record));
  }
  const std::size_t split = split_at < records.size() ? split_at : records.size();
  careledger::fuzz::VerifyInTwoBatches(records, split, nullptr);
  careledger::fuzz::VerifyInTwoBatches(records, split, &careledger::fuzz::FixedKeyring());
  return 0;
}
