// Reads a log on a thread of its own from given offsets onwards, so that the
// writer learns what the log holds after its folded digest (its own appends,
// and other appenders' records: docs/replicas.md) without waiting for the
// log on its commit thread. On Kafka a read of the tail waits for fetches and
// for transaction markers (hundreds of milliseconds at the broker's default
// fetch wait); done between batches, that wait stalled every request behind
// it.
//
// Contract: records come out of Take in the log's order within each
// partition, each exactly once, starting at the offsets given to Start. The
// follower stops at its first error (Seek or Read); Take then returns that
// error after the records read before it, and nothing more is read: the
// caller starts a new follower from what it has folded. At most
// kMaxQueuedRecords wait in the queue; past that the follower pauses until
// Take empties it, so an idle caller holds bounded memory.
#ifndef CARELEDGER_LEDGER_INTERNAL_TAIL_FOLLOWER_H_
#define CARELEDGER_LEDGER_INTERNAL_TAIL_FOLLOWER_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "events/record.h"
#include "ledger/log.h"

namespace careledger::ledger::internal {

class TailFollower {
 public:
  static constexpr std::size_t kMaxQueuedRecords = 65'536;

  // Opens a reader of `log` and starts following it from `next_offsets` (one
  // per partition). The reader is positioned on the follower's thread; an
  // error opening or positioning it comes out of Take.
  static std::unique_ptr<TailFollower> Start(Log& log, std::vector<std::int64_t> next_offsets);

  // Stops following and joins the thread (a read in progress ends within
  // its wait; a Kafka seek within the log's timeout).
  ~TailFollower();
  TailFollower(const TailFollower&) = delete;
  TailFollower& operator=(const TailFollower&) = delete;

  // Asks the follower to stop without waiting for it (a Kafka read or seek
  // in progress may take a while to end); Finished says when it has.
  void RequestStop();
  bool Finished();

  // Appends every record read since the last Take to `out`. OK while the
  // follower runs; its error once it stopped on one.
  absl::Status Take(std::vector<events::LogRecord>& out);

  // Waits until a record or an error arrives, or the follower reaches the
  // end of the log in a read that began at or after `since`, or `deadline`.
  void Wait(std::chrono::steady_clock::time_point since,
            std::chrono::steady_clock::time_point deadline);

  // Whether a read that began at or after `since` found the log's end with
  // every record before it already queued (or taken): the follower has seen
  // everything appended before `since`.
  bool CaughtUpSince(std::chrono::steady_clock::time_point since);

 private:
  TailFollower() = default;
  // The thread: FollowUntilStopped, then finished_.
  void Follow(Log& log, std::vector<std::int64_t> next_offsets, std::stop_token stop);
  void FollowUntilStopped(Log& log, std::vector<std::int64_t> next_offsets,
                          const std::stop_token& stop);

  std::mutex mutex_;
  std::condition_variable_any changed_;
  std::vector<events::LogRecord> queue_;  // guarded by mutex_
  absl::Status error_;                    // guarded by mutex_
  // When the last read that ended caught up began; guarded by mutex_.
  std::optional<std::chrono::steady_clock::time_point> caught_up_read_began_;
  bool finished_ = false;  // guarded by mutex_: Follow returned
  std::jthread thread_;    // last: stopped and joined first
};

}  // namespace careledger::ledger::internal

#endif  // CARELEDGER_LEDGER_INTERNAL_TAIL_FOLLOWER_H_
