// Fuzzes the kept-checkpoint file reader (tools/kept_checkpoints.h): the
// JSON an auditor stored from `careledger --json checkpoint` and hands back
// to `careledger verify --kept`, which may be damaged or hostile.
//
// Proves, for any text: ParseKeptCheckpoints gives checkpoints or
// INVALID_ARGUMENT, never a crash or an exception; each checkpoint read
// prints back (KeptCheckpointsJson) with the running hash it was given; and
// comparing them with a log (KeptCheckpointCheck over a few records in
// partitions the kept file may or may not name) reports at most one failure
// per kept checkpoint.
//
// Input: the JSON text itself.
#include <cstdint>
#include <string>

#include "events/envelope.h"
#include "events/sha256.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/fuzz/quiet_protobuf.h"
#include "tools/kept_checkpoints.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  careledger::fuzz::QuietProtobufLogs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace events = careledger::events;
  namespace tools = careledger::tools;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::vector<tools::KeptCheckpoint>> kept =
      tools::ParseKeptCheckpoints(text, "fuzz.json");
  if (!kept.ok()) {
    CARELEDGER_FUZZ_CHECK(kept.status().code() == absl::StatusCode::kInvalidArgument);
    return 0;
  }
  std::vector<events::PartitionDigest> digests;
  for (const tools::KeptCheckpoint& checkpoint : *kept) digests.push_back(checkpoint.digest);
  const nlohmann::json printed = tools::KeptCheckpointsJson("fuzz", digests);
  for (std::size_t i = 0; i < kept->size(); ++i) {
    CARELEDGER_FUZZ_CHECK(printed["checkpoints"][i]["running_hash"].get<std::string>() ==
                          events::HashHex((*kept)[i].digest.running));
  }

  // A log of two partitions, four records each at offsets 0..3.
  constexpr std::int32_t kPartitions = 2;
  tools::KeptCheckpointCheck check(*kept, kPartitions);
  for (std::int32_t partition = 0; partition < kPartitions; ++partition) {
    for (std::int64_t offset = 0; offset < 4; ++offset) {
      events::VerifiedRecord record;
      record.offset = offset;
      record.opened.value_hash = events::Sha256(std::to_string(partition * 10 + offset));
      check.Observe(partition, record);
    }
  }
  CARELEDGER_FUZZ_CHECK(check.Failures().size() <= kept->size());
  return 0;
}
