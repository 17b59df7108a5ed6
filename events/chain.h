// Per-stream hash chains: what "this event follows that one" means.
#ifndef CARELEDGER_EVENTS_CHAIN_H_
#define CARELEDGER_EVENTS_CHAIN_H_

#include <cstdint>

#include "absl/status/status.h"
#include "careledger/v1/envelope.pb.h"
#include "events/sha256.h"

namespace careledger::events {

// The last event of a stream: its stream_seq and the SHA-256 of its record
// value. The head of an empty stream is {0, zeros}.
struct StreamHead {
  std::uint64_t seq = 0;
  Hash hash = kZeroHash;

  bool operator==(const StreamHead&) const = default;
};

// OK when `event` is the next event after `head`: stream_seq == head.seq + 1
// and prev_hash == head.hash. Otherwise kDuplicate (seq at or below the head),
// kSequenceGap (seq beyond head + 1) or kChainBreak (prev_hash differs).
absl::Status CheckExtends(const StreamHead& head, const careledger::v1::Event& event);

}  // namespace careledger::events

#endif  // CARELEDGER_EVENTS_CHAIN_H_
