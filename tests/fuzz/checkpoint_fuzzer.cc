// Fuzzes the checkpoint reader (events/partition_digest.h, CheckCheckpoint):
// a checkpoint body as a stored record could hold it, checked against a
// partition's running digest.
//
// Proves, for any bytes: CheckCheckpoint never crashes; it accepts a
// checkpoint exactly when it states the digest (the same partition, last
// offset, record count and running hash as PartitionDigest::ToCheckpoint),
// and otherwise fails with kCheckpointMismatch; and the digest's own
// checkpoint is always accepted.
//
// Input: one byte, the partition the checkpoint is checked in (as int8);
// one byte, how many records the digest has folded (record i at offset i,
// hashing SHA-256 of its index); then the Checkpoint's protobuf bytes.
#include <cstdint>
#include <string>
#include <vector>

#include "careledger/v1/envelope.pb.h"
#include "events/failure.h"
#include "events/partition_digest.h"
#include "events/sha256.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/fuzz/quiet_protobuf.h"

namespace careledger::fuzz {
namespace {

// The digest of the first n records (record i at offset i, hashing SHA-256
// of its index), for n = 0..255: computed once, not per input.
const events::PartitionDigest& DigestOf(int records) {
  static const std::vector<events::PartitionDigest>* const digests = [] {
    auto* all = new std::vector<events::PartitionDigest>(1);
    for (int i = 0; i < 255; ++i) {
      events::PartitionDigest next = all->back();
      next.Add(i, events::Sha256(std::to_string(i)));
      all->push_back(next);
    }
    return all;
  }();
  return (*digests)[records];
}

}  // namespace
}  // namespace careledger::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  careledger::fuzz::QuietProtobufLogs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace events = careledger::events;
  careledger::fuzz::FuzzInput input(data, size);
  const auto partition = static_cast<std::int8_t>(input.Byte());
  const int records = input.Byte();
  const events::PartitionDigest& digest = careledger::fuzz::DigestOf(records);

  CARELEDGER_FUZZ_CHECK(
      events::CheckCheckpoint(digest.ToCheckpoint(partition), partition, digest).ok());

  const std::string_view bytes = input.Piece();
  careledger::v1::Checkpoint checkpoint;
  if (!checkpoint.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return 0;
  const absl::Status checked = events::CheckCheckpoint(checkpoint, partition, digest);
  const careledger::v1::Checkpoint expected = digest.ToCheckpoint(partition);
  const bool states_digest = checkpoint.partition() == expected.partition() &&
                             checkpoint.last_offset() == expected.last_offset() &&
                             checkpoint.record_count() == expected.record_count() &&
                             checkpoint.running_hash() == expected.running_hash();
  CARELEDGER_FUZZ_CHECK(checked.ok() == states_digest);
  if (!checked.ok()) {
    CARELEDGER_FUZZ_CHECK(events::FailureKindOf(checked) ==
                          events::FailureKind::kCheckpointMismatch);
  }
  return 0;
}
