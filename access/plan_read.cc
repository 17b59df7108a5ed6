#include "access/plan_read.h"

#include <fmt/format.h>

#include "events/plan_fold.h"
#include "events/sha256.h"
#include "projections/plan_queries.h"

namespace careledger::access {
namespace {

using careledger::v1::CommandResult;
using careledger::v1::PlanRecord;
using careledger::v1::PlanState;

// The ledger's reason for a read of a patient with no plan
// (ledger/plan_views.cc, CheckViewAllowed). The refusal reaches us as text
// only; tests/service/service_test.py fails if the two drift apart.
constexpr std::string_view kNoPlanReason = "this patient has no care plan";

// Who wrote a note, without where from: another reader's device and network
// address are not shown to this one.
void KeepOnlyWho(careledger::v1::Actor* actor) {
  actor->clear_device_id();
  actor->clear_network_address();
  actor->clear_purpose();
}

}  // namespace

Refusal PlanReadOutcome::refusal() const {
  return access.error().find(kNoPlanReason) != std::string::npos ? Refusal::kNoPlan
                                                                 : Refusal::kOther;
}

PlanState ShownState(const PlanState& state, careledger::v1::PlanView view) {
  PlanState shown;
  shown.set_nhs_number(state.nhs_number());
  shown.set_lifecycle(state.lifecycle());
  shown.set_published_version(state.published_version());
  if (state.has_published_at()) *shown.mutable_published_at() = state.published_at();
  if (state.has_review_due()) *shown.mutable_review_due() = state.review_due();
  if (state.has_restriction()) {
    // That the plan is restricted, and since when; not whom it names.
    shown.mutable_restriction()->set_by_user(state.restriction().by_user());
    if (state.restriction().has_since()) {
      *shown.mutable_restriction()->mutable_since() = state.restriction().since();
    }
  }
  if (state.has_death()) *shown.mutable_death() = state.death();
  if (state.has_withdrawal()) *shown.mutable_withdrawal() = state.withdrawal();
  for (const careledger::v1::UrgentCareNote& note : state.notes()) {
    careledger::v1::UrgentCareNote* kept = shown.add_notes();
    *kept = note;
    KeepOnlyWho(kept->mutable_by());
  }
  const bool draft_allowed =
      view == careledger::v1::PLAN_VIEW_DRAFT || view == careledger::v1::PLAN_VIEW_HISTORY;
  if (draft_allowed) {
    shown.set_draft_pending(state.draft_pending());
    if (state.has_submission()) *shown.mutable_submission() = state.submission();
    *shown.mutable_requests() = state.requests();
    *shown.mutable_contributing_organisations() = state.contributing_organisations();
    shown.set_started_by_user(state.started_by_user());
    if (state.has_restriction()) *shown.mutable_restriction() = state.restriction();
  }
  return shown;
}

absl::StatusOr<PlanRead> ReadGranted(const projections::ProjectionStore& store,
                                     const std::string& nhs_number,
                                     const careledger::v1::ViewGrant& grant) {
  projections::PlanQueries queries(&store);
  absl::StatusOr<PlanRecord> record = queries.GetPlan(nhs_number);
  if (record.status().code() == absl::StatusCode::kNotFound ||
      (record.ok() && record->last_event().stream_seq() < grant.stream_seq())) {
    return absl::FailedPreconditionError("the projection has not caught up with the log yet");
  }
  if (!record.ok()) return record.status();
  PlanRead read;
  read.nhs_number = nhs_number;
  read.status = record->status();
  if (grant.view() == careledger::v1::PLAN_VIEW_DRAFT) {
    read.content = record->state().draft();
  } else if (grant.version() > 0) {
    absl::StatusOr<careledger::v1::PublishedVersion> version =
        queries.GetVersion(nhs_number, grant.version());
    if (!version.ok()) return version.status();
    read.content = version->plan();
  } else {
    read.content = record->state().draft();  // history of a never-published plan
  }
  if (events::HashBytes(events::PlanContentHash(read.content)) != grant.content_hash()) {
    return absl::DataLossError(fmt::format(
        "the projection's content for {} differs from what the ledger recorded for this read; "
        "rebuild it (careledger project --rebuild)",
        nhs_number));
  }
  read.shown_state = ShownState(record->state(), grant.view());
  if (grant.view() == careledger::v1::PLAN_VIEW_HISTORY) {
    absl::StatusOr<std::vector<careledger::v1::HistoryEntry>> listed =
        queries.ListHistory(nhs_number);
    if (!listed.ok()) return listed.status();
    read.history = *std::move(listed);
  }
  return read;
}

absl::StatusOr<PlanReadOutcome> ReadPlan(ledger::Writer& writer,
                                         const careledger::v1::Command& command,
                                         ProjectionFeed& feed, absl::Time deadline) {
  WriterRecorder recorder(writer);
  return ReadPlan(recorder, command, feed, deadline);
}

absl::StatusOr<PlanReadOutcome> ReadPlan(ReadRecorder& recorder,
                                         const careledger::v1::Command& command,
                                         ProjectionFeed& feed, absl::Time deadline) {
  if (!command.has_view_plan()) {
    return absl::InvalidArgumentError("a plan read takes a view_plan command");
  }
  absl::StatusOr<CommandResult> result = recorder.Submit(command);
  if (!result.ok()) return result.status();
  PlanReadOutcome outcome;
  outcome.access = *std::move(result);
  if (outcome.access.outcome() == careledger::v1::OUTCOME_REJECTED) return outcome;
  if (!outcome.access.has_view()) {
    // A duplicate of an earlier command id answers its position but not the
    // grant: the read is already on the log; a new read needs a new id.
    return absl::AlreadyExistsError(
        fmt::format("command {} was already answered; a new read needs a new command id",
                    outcome.access.command_id()));
  }
  const std::string& nhs_number = command.view_plan().nhs_number();
  for (;;) {
    absl::StatusOr<PlanRead> read = ReadGranted(feed.store(), nhs_number, outcome.access.view());
    if (read.ok()) {
      outcome.read = *std::move(read);
      return outcome;
    }
    if (read.status().code() != absl::StatusCode::kFailedPrecondition) return read.status();
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(
          "the projection did not reach the recorded read in time; the read is recorded, "
          "nothing is shown");
    }
    if (absl::Status advanced = feed.Advance(deadline); !advanced.ok()) return advanced;
  }
}

}  // namespace careledger::access
