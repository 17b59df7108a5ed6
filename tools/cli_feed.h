// The command line's access::ProjectionFeed (access/plan_read.h): its own
// projector, run when no other process projects, else the store another
// process's projector (`project --follow`) commits to, refreshed until it
// reaches what the reader waits for. One thread at a time.
#ifndef CARELEDGER_TOOLS_CLI_FEED_H_
#define CARELEDGER_TOOLS_CLI_FEED_H_

#include <memory>

#include "absl/status/statusor.h"
#include "access/plan_read.h"
#include "ledger/log.h"
#include "projections/projection_store.h"
#include "tools/context.h"
#include "tools/projection_session.h"

namespace careledger::tools {

class CliFeed : public access::ProjectionFeed {
 public:
  // Projects from `log` (not owned; outlives the feed) when the projection
  // is free, else follows it read-only. With a replay projection
  // (Context::ReplayProjection), that replay as it is: Advance does nothing.
  static absl::StatusOr<std::unique_ptr<CliFeed>> Open(const Context& context, ledger::Log* log);

  const projections::ProjectionStore& store() override;
  // Runs the projector to the log's end (warning on stderr of a stopped
  // partition), or refreshes the followed store (after the first call,
  // waiting up to 50 ms first).
  absl::Status Advance(absl::Time deadline) override;
  bool replay() const override { return replay_; }

 private:
  CliFeed() = default;
  std::unique_ptr<ProjectionSession> session_;
  std::unique_ptr<projections::ProjectionStore> follower_;
  bool refreshed_once_ = false;
  bool replay_ = false;
};

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_CLI_FEED_H_
