#include "ledger/internal/tail_follower.h"

#include <utility>

namespace careledger::ledger::internal {
namespace {

// How long one read waits for new records once at the end: bounds how long
// stopping takes, not how soon new records are seen (a read returns as soon
// as they arrive).
constexpr std::chrono::milliseconds kReadWait{200};
constexpr std::size_t kReadBatch = 1024;

}  // namespace

std::unique_ptr<TailFollower> TailFollower::Start(Log& log,
                                                  std::vector<std::int64_t> next_offsets) {
  std::unique_ptr<TailFollower> follower(new TailFollower());
  TailFollower* self = follower.get();
  follower->thread_ =
      std::jthread([self, &log, offsets = std::move(next_offsets)](std::stop_token stop) mutable {
        self->Follow(log, std::move(offsets), std::move(stop));
      });
  return follower;
}

TailFollower::~TailFollower() {
  RequestStop();
  // jthread joins on destruction.
}

void TailFollower::RequestStop() {
  thread_.request_stop();
  changed_.notify_all();
}

bool TailFollower::Finished() {
  std::lock_guard<std::mutex> lock(mutex_);
  return finished_;
}

void TailFollower::Follow(Log& log, std::vector<std::int64_t> next_offsets, std::stop_token stop) {
  FollowUntilStopped(log, std::move(next_offsets), stop);
  std::lock_guard<std::mutex> lock(mutex_);
  finished_ = true;
}

void TailFollower::FollowUntilStopped(Log& log, std::vector<std::int64_t> next_offsets,
                                      const std::stop_token& stop) {
  auto fail = [this](absl::Status status) {
    std::lock_guard<std::mutex> lock(mutex_);
    error_ = std::move(status);
    changed_.notify_all();
  };
  absl::StatusOr<std::unique_ptr<LogReader>> reader = log.OpenPatientReader();
  if (!reader.ok()) return fail(reader.status());
  if (absl::Status seek = (*reader)->Seek(next_offsets); !seek.ok()) return fail(seek);
  while (!stop.stop_requested()) {
    {
      // Paused while the queue is full, until Take empties it or a stop.
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, stop, [this] { return queue_.size() < kMaxQueuedRecords; });
      if (stop.stop_requested()) return;
    }
    const auto began = std::chrono::steady_clock::now();
    absl::StatusOr<ReadBatch> batch = (*reader)->Read(kReadBatch, kReadWait);
    if (!batch.ok()) return fail(batch.status());
    if (batch->records.empty() && !batch->caught_up) continue;
    std::lock_guard<std::mutex> lock(mutex_);
    for (events::LogRecord& record : batch->records) queue_.push_back(std::move(record));
    if (batch->caught_up) caught_up_read_began_ = began;
    changed_.notify_all();
  }
}

absl::Status TailFollower::Take(std::vector<events::LogRecord>& out) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (events::LogRecord& record : queue_) out.push_back(std::move(record));
  queue_.clear();
  changed_.notify_all();
  return error_;
}

bool TailFollower::CaughtUpSince(std::chrono::steady_clock::time_point since) {
  std::lock_guard<std::mutex> lock(mutex_);
  return caught_up_read_began_.has_value() && *caught_up_read_began_ >= since;
}

void TailFollower::Wait(std::chrono::steady_clock::time_point since,
                        std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait_until(lock, deadline, [&] {
    return !queue_.empty() || !error_.ok() ||
           (caught_up_read_began_.has_value() && *caught_up_read_began_ >= since);
  });
}

}  // namespace careledger::ledger::internal
