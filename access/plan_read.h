// Deciding, recording and showing one read of a plan: what `careledger plan
// show` and the service's plan routes both do, in one place.
//
// The order is the contract (DESIGN §7, docs/domain.md "Reads"):
//   1. the ViewPlan command goes through the writer (or a read replica's
//      recorder, access/read_recorder.h), which decides it and makes its
//      access record (AccessRecorded GRANTED, or the DENIED
//      refusal) durable on the log before it answers;
//   2. only after a grant is the projection brought to the granted plan
//      stream position, and the content the grant names is read from it;
//   3. that content is shown only if its hash is the hash the access record
//      names, so the record always says exactly what the reader saw.
//
// A PlanRead holds ONLY what the grant allows: the granted content (for a
// published or version read, the published version; never the working
// draft), a summary of the plan's state with the draft and everything
// about it removed unless the draft was granted, and the history only for a
// history grant. Never the whole PlanState.
#ifndef CARELEDGER_ACCESS_PLAN_READ_H_
#define CARELEDGER_ACCESS_PLAN_READ_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "access/read_recorder.h"
#include "careledger/v1/commands.pb.h"
#include "careledger/v1/projection.pb.h"
#include "ledger/writer.h"
#include "projections/projection_store.h"

namespace careledger::access {

// What a granted read may show.
struct PlanRead {
  std::string nhs_number;
  careledger::v1::PlanStatus status = careledger::v1::PLAN_STATUS_UNSPECIFIED;
  // The granted content; its events::PlanContentHash is
  // access.view().content_hash().
  careledger::v1::CarePlan content;
  // The plan's state as the grant allows it to be seen (ShownState).
  careledger::v1::PlanState shown_state;
  // Every event of the plan stream, for a history grant only.
  std::vector<careledger::v1::HistoryEntry> history;
};

// Why a read was refused, for front ends that map refusals to their own
// answers (the service: 404 for kNoPlan, 403 otherwise).
enum class Refusal { kNoPlan, kOther };

// The outcome of ReadPlan: always the writer's result (the access record's
// position, or the refusal's reason and position); `read` only when granted.
struct PlanReadOutcome {
  careledger::v1::CommandResult access;
  std::optional<PlanRead> read;
  bool granted() const { return read.has_value(); }
  Refusal refusal() const;
};

// A projection that someone brings forward: the CLI runs the projector
// itself, or waits for another process's; the service's projector runs on a
// background thread. Implementations say which threads may call.
class ProjectionFeed {
 public:
  virtual ~ProjectionFeed() = default;
  // The store to read granted content from.
  virtual const projections::ProjectionStore& store() = 0;
  // Called when the store has not reached a grant yet: brings it forward,
  // or waits for whoever does, returning by `deadline`. OK means "look
  // again"; any error ends the read with it.
  virtual absl::Status Advance(absl::Time deadline) = 0;
  // True for a replay (`project --until`): it ends where it ended, so it
  // never reaches a record appended later (the auditor's own query), and a
  // query reads it as it is instead of waiting (WaitForRecord).
  virtual bool replay() const { return false; }
};

// The state summary a grant of `view` allows. Published, version: lifecycle,
// published version and time, review date, restriction (that it exists,
// not whom it names), death, withdrawal, urgent care notes; no content (the
// content is PlanRead::content), no draft, no submission, no requests, no
// contributors. Draft and history grants add draft_pending, the submission,
// the patient requests and the contributors; never the draft content itself
// (again: PlanRead::content).
careledger::v1::PlanState ShownState(const careledger::v1::PlanState& state,
                                     careledger::v1::PlanView view);

// The granted content and its view, read from `store`. FAILED_PRECONDITION
// while the store has not reached the granted position; DATA_LOSS when the
// store holds other content than the access record names.
absl::StatusOr<PlanRead> ReadGranted(const projections::ProjectionStore& store,
                                     const std::string& nhs_number,
                                     const careledger::v1::ViewGrant& grant);

// The whole read: `command` must carry a view_plan body and an actor (who
// the caller is: the CLI's flags, the service's credentials). Errors:
// INVALID_ARGUMENT for a command that is not a ViewPlan (nothing appended);
// the writer's errors (UNAVAILABLE, ABORTED: nothing may be shown, the
// record may not be durable); FeedAdvance's errors, or DEADLINE_EXCEEDED
// when the projection does not reach the grant by `deadline` (the read is
// recorded; nothing is shown); ReadGranted's DATA_LOSS.
// `recorder` decides and records it: the writer, or a read replica
// (access/read_recorder.h); one ReadPlan for both.
absl::StatusOr<PlanReadOutcome> ReadPlan(ReadRecorder& recorder,
                                         const careledger::v1::Command& command,
                                         ProjectionFeed& feed, absl::Time deadline);
// ReadPlan recorded by `writer` (WriterRecorder).
absl::StatusOr<PlanReadOutcome> ReadPlan(ledger::Writer& writer,
                                         const careledger::v1::Command& command,
                                         ProjectionFeed& feed, absl::Time deadline);

}  // namespace careledger::access

#endif  // CARELEDGER_ACCESS_PLAN_READ_H_
