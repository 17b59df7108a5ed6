#include "tools/cli_feed.h"

#include <algorithm>
#include <iostream>

namespace careledger::tools {

absl::StatusOr<std::unique_ptr<CliFeed>> CliFeed::Open(const Context& context, ledger::Log* log) {
  if (!context.ReplayProjection().empty()) {
    absl::StatusOr<std::unique_ptr<projections::ProjectionStore>> replay =
        context.OpenReplayProjection();
    if (!replay.ok()) return replay.status();
    auto feed = std::unique_ptr<CliFeed>(new CliFeed());
    feed->follower_ = *std::move(replay);
    feed->replay_ = true;
    return feed;
  }
  ProjectionSessionOptions options;
  options.log = log;
  absl::StatusOr<std::unique_ptr<ProjectionSession>> session =
      ProjectionSession::Open(context, options);
  auto feed = std::unique_ptr<CliFeed>(new CliFeed());
  if (session.ok()) {
    feed->session_ = *std::move(session);
    return feed;
  }
  if (session.status().code() != absl::StatusCode::kFailedPrecondition) {
    return session.status();
  }
  absl::StatusOr<std::unique_ptr<projections::ProjectionStore>> follower =
      projections::ProjectionStore::OpenFollower(context.ProjectionDir());
  if (!follower.ok()) return session.status();
  feed->follower_ = *std::move(follower);
  return feed;
}

const projections::ProjectionStore& CliFeed::store() {
  return session_ != nullptr ? session_->store() : *follower_;
}

absl::Status CliFeed::Advance(absl::Time deadline) {
  if (replay_) return absl::OkStatus();
  if (session_ != nullptr) {
    absl::StatusOr<projections::ProjectionReport> report = session_->projector().CatchUp();
    if (!report.ok()) return report.status();
    for (const projections::PartitionStop& stop : report->stops) {
      std::cerr << "warning: projection partition stopped: " << stop.reason << "\n";
    }
    return absl::OkStatus();
  }
  if (refreshed_once_) {
    absl::SleepFor(std::min(absl::Milliseconds(50), deadline - absl::Now()));
  }
  refreshed_once_ = true;
  return follower_->Refresh();
}

}  // namespace careledger::tools
