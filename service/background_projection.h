// The service's projection: a projector that follows the log on its own
// thread, in the same process as the writer, and the access::ProjectionFeed
// that request threads wait on until it reaches their grant.
//
// Thread safety: store() and Advance() from any number of request threads;
// Status() from any thread. Start once, Stop once (or at destruction).
#ifndef CARELEDGER_SERVICE_BACKGROUND_PROJECTION_H_
#define CARELEDGER_SERVICE_BACKGROUND_PROJECTION_H_

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "access/plan_read.h"
#include "tools/projection_session.h"

namespace careledger::service {

struct ProjectionStatus {
  // Next offset per partition after the last run; empty before the first.
  std::vector<std::int64_t> next_offsets;
  // When a run last reached the end of the log; nullopt: never yet.
  std::optional<absl::Time> caught_up_at;
  std::uint64_t stopped_partitions = 0;
  std::string last_error;  // of the last run, "" when it succeeded
};

class BackgroundProjection : public access::ProjectionFeed {
 public:
  explicit BackgroundProjection(std::unique_ptr<tools::ProjectionSession> session)
      : session_(std::move(session)) {}
  ~BackgroundProjection() override { Stop(); }

  // Catches up once on the calling thread (so the service starts with a
  // current projection), then follows the log on a background thread.
  absl::Status Start();
  // Finishes the current run and joins the thread.
  void Stop();

  const projections::ProjectionStore& store() override { return session_->store(); }
  // The keyring the projector verifies with (immutable while serving).
  const events::Keyring& keyring() const { return session_->keyring(); }
  // Waits for the next committed run, or until `deadline`.
  absl::Status Advance(absl::Time deadline) override;

  ProjectionStatus Status() const;

 private:
  // How long one read of the follower waits for new records: the longest
  // a quiet log leaves /readyz's caught-up time unrefreshed.
  static constexpr std::chrono::milliseconds kFollowPoll{100};

  // Follows the log until `stop`, publishing every step; after an error,
  // starts again from the store's progress.
  void Run(std::stop_token stop);
  // Runs CatchUp once and publishes its outcome.
  absl::Status RunOnce();

  std::unique_ptr<tools::ProjectionSession> session_;
  mutable std::mutex mutex_;
  std::condition_variable_any advanced_;
  std::uint64_t generation_ ABSL_GUARDED_BY(mutex_) = 0;
  ProjectionStatus status_ ABSL_GUARDED_BY(mutex_);
  std::jthread thread_;
};

}  // namespace careledger::service

#endif  // CARELEDGER_SERVICE_BACKGROUND_PROJECTION_H_
