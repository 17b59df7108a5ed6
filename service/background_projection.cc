#include "service/background_projection.h"

#include <spdlog/spdlog.h>

namespace careledger::service {

absl::Status BackgroundProjection::Start() {
  if (absl::Status first = RunOnce(); !first.ok()) return first;
  thread_ = std::jthread([this](std::stop_token stop) { Run(stop); });
  return absl::OkStatus();
}

void BackgroundProjection::Stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  advanced_.notify_all();
  thread_.join();
}

absl::Status BackgroundProjection::RunOnce() {
  absl::StatusOr<projections::ProjectionReport> report = session_->projector().CatchUp();
  {
    std::lock_guard lock(mutex_);
    ++generation_;
    if (report.ok()) {
      status_.next_offsets = report->next_offsets;
      status_.caught_up_at = absl::Now();
      status_.stopped_partitions += report->stops.size();
      status_.last_error.clear();
    } else {
      status_.last_error = std::string(report.status().message());
    }
  }
  advanced_.notify_all();
  return report.status();
}

void BackgroundProjection::Run(std::stop_token stop) {
  while (!stop.stop_requested()) {
    std::size_t stops_seen = 0;
    const absl::Status followed = session_->projector().Follow(
        stop, kFollowPoll,
        [&](std::span<const std::int64_t> next_offsets, bool caught_up,
            const projections::ProjectionReport& so_far) {
          {
            std::lock_guard lock(mutex_);
            ++generation_;
            status_.next_offsets.assign(next_offsets.begin(), next_offsets.end());
            if (caught_up) status_.caught_up_at = absl::Now();
            status_.stopped_partitions += so_far.stops.size() - stops_seen;
            status_.last_error.clear();
          }
          stops_seen = so_far.stops.size();
          advanced_.notify_all();
        });
    if (followed.ok()) return;  // stop requested
    // The projector resumes from its last commit; a failing log is retried
    // and reported not ready meanwhile (/readyz).
    spdlog::error("projection run failed: {}", std::string(followed.message()));
    std::unique_lock lock(mutex_);
    status_.last_error = std::string(followed.message());
    advanced_.wait_for(lock, stop, std::chrono::milliseconds(500), [] { return false; });
  }
}

absl::Status BackgroundProjection::Advance(absl::Time deadline) {
  std::unique_lock lock(mutex_);
  const std::uint64_t seen = generation_;
  const absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) return absl::OkStatus();
  advanced_.wait_for(lock, absl::ToChronoMilliseconds(left) + std::chrono::milliseconds(1),
                     [&] { return generation_ != seen; });
  return absl::OkStatus();
}

ProjectionStatus BackgroundProjection::Status() const {
  std::lock_guard lock(mutex_);
  return status_;
}

}  // namespace careledger::service
