#include "events/chain.h"

#include <fmt/format.h>

#include "events/failure.h"
#include "events/format.h"

namespace careledger::events {

absl::Status CheckExtends(const StreamHead& head, const careledger::v1::Event& event) {
  const std::uint64_t expected = head.seq + 1;
  if (event.stream_seq() < expected) {
    return VerificationFailure(FailureKind::kDuplicate,
                               fmt::format("stream '{}' seq {} is at or below its head {}",
                                           event.stream_id(), event.stream_seq(), head.seq));
  }
  if (event.stream_seq() > expected) {
    return VerificationFailure(FailureKind::kSequenceGap,
                               fmt::format("stream '{}' expected seq {}, found {}",
                                           event.stream_id(), expected, event.stream_seq()));
  }
  if (event.prev_hash() != HashBytes(head.hash)) {
    return VerificationFailure(
        FailureKind::kChainBreak,
        fmt::format(
            "stream '{}' seq {}: prev_hash does not match the previous record (expected {})",
            event.stream_id(), event.stream_seq(), HashHex(head.hash)));
  }
  return absl::OkStatus();
}

}  // namespace careledger::events
