#include "access/plan_as_of.h"

#include <fmt/format.h>
#include <google/protobuf/util/message_differencer.h>

#include <algorithm>

#include "events/plan_fold.h"
#include "events/sha256.h"
#include "events/time_util.h"
#include "projections/plan_projection.h"

namespace careledger::access {
namespace {

using careledger::v1::EventPosition;
using careledger::v1::PlanState;
using google::protobuf::util::MessageDifferencer;

// The body's field name in Event ("plan_approved", ...), as the audit names it.
std::string BodyName(const careledger::v1::Event& event) {
  const auto* field = careledger::v1::Event::descriptor()->FindFieldByNumber(event.body_case());
  return field == nullptr ? std::string("none") : std::string(field->name());
}

bool SameConsent(const PlanState& a, const PlanState& b) {
  return MessageDifferencer::Equals(a.published().consent(), b.published().consent()) &&
         MessageDifferencer::Equals(a.draft().consent(), b.draft().consent()) &&
         MessageDifferencer::Equals(a.withdrawal(), b.withdrawal());
}

bool SameDraft(const PlanState& a, const PlanState& b) {
  return a.draft_pending() == b.draft_pending() &&
         events::PlanContentHash(a.draft()) == events::PlanContentHash(b.draft());
}

// Names `cause` for every part of the plan that `before` -> `after` changed.
void Attribute(const PlanState& before, const PlanState& after, const Cause& cause,
               PlanAsOf* answer) {
  if (projections::PlanStatusOf(before) != projections::PlanStatusOf(after)) {
    answer->status_by = cause;
  }
  if (before.published_version() != after.published_version()) answer->published_by = cause;
  if (!SameDraft(before, after)) answer->draft_by = cause;
  if (!MessageDifferencer::Equals(before.restriction(), after.restriction()) ||
      before.has_restriction() != after.has_restriction()) {
    answer->restriction_by = cause;
  }
  if (!SameConsent(before, after)) answer->consent_by = cause;
  if (before.has_death() != after.has_death()) answer->death_by = cause;
  answer->last_by = cause;
}

}  // namespace

absl::StatusOr<PlanAsOf> FoldPlanAsOf(const std::vector<careledger::v1::HistoryEntry>& history,
                                      const std::string& nhs_number, std::uint64_t up_to_seq,
                                      absl::Time as_of, StreamRecords& records) {
  const std::string stream = fmt::format("{}{}", events::kPatientStreamPrefix, nhs_number);
  std::vector<EventPosition> positions;
  for (const careledger::v1::HistoryEntry& item : history) {
    if (item.stream_id() == stream && item.position().stream_seq() <= up_to_seq) {
      positions.push_back(item.position());
    }
  }
  std::sort(positions.begin(), positions.end(),
            [](const auto& a, const auto& b) { return a.stream_seq() < b.stream_seq(); });
  if (positions.size() != up_to_seq) {
    return absl::FailedPreconditionError(fmt::format(
        "the projection holds {} of the {} records of {} up to seq {}: it has not caught up",
        positions.size(), up_to_seq, stream, up_to_seq));
  }

  PlanAsOf answer;
  answer.as_of = as_of;
  events::Hash previous = events::kZeroHash;
  for (const EventPosition& position : positions) {
    absl::StatusOr<events::OpenedRecord> opened = records.ReadVerified(position);
    if (!opened.ok()) return opened.status();
    const careledger::v1::Event& event = opened->event;
    const std::uint64_t expected_seq = answer.folded.size() + 1;
    if (event.stream_id() != stream || event.stream_seq() != expected_seq ||
        event.prev_hash() != events::HashBytes(previous)) {
      return absl::DataLossError(
          fmt::format("partition {} offset {}: not seq {} of {} chained on the one before",
                      position.partition(), position.offset(), expected_seq, stream));
    }
    const absl::Time recorded_at = events::FromTimestamp(event.recorded_at());
    if (recorded_at > as_of) break;  // the stream's prefix recorded by then
    const PlanState before = answer.state;
    if (absl::Status folded = events::FoldPlanEvent(event, &answer.state); !folded.ok()) {
      return absl::DataLossError(fmt::format("partition {} offset {}: {}", position.partition(),
                                             position.offset(), std::string(folded.message())));
    }
    Cause cause{position, BodyName(event), event.actor(), recorded_at,
                opened->signed_event.key_id()};
    Attribute(before, answer.state, cause, &answer);
    if (event.has_plan_approved()) {
      answer.versions[event.plan_approved().version()] = answer.state.published();
    }
    previous = opened->value_hash;
    answer.folded.push_back(position);
  }
  answer.existed = answer.state.lifecycle() != careledger::v1::PLAN_LIFECYCLE_UNSPECIFIED;
  if (!answer.existed) {
    // Nothing but myCMC requests before the plan was started: no plan yet.
    PlanAsOf none;
    none.as_of = as_of;
    none.folded = std::move(answer.folded);
    return none;
  }
  answer.status = projections::PlanStatusOf(answer.state);
  if (answer.state.published_version() > 0 &&
      answer.state.lifecycle() != careledger::v1::PLAN_LIFECYCLE_WITHDRAWN) {
    answer.urgent_care_view = answer.state.published();
  }
  return answer;
}

absl::StatusOr<PlanAsOfOutcome> ReadPlanAsOf(ledger::Writer& writer,
                                             const careledger::v1::Command& command,
                                             ProjectionFeed& feed, StreamRecords& records,
                                             absl::Time deadline) {
  if (!command.has_view_plan() || !command.view_plan().has_as_of()) {
    return absl::InvalidArgumentError("a point-in-time read takes a view_plan command with as_of");
  }
  absl::StatusOr<PlanReadOutcome> read = ReadPlan(writer, command, feed, deadline);
  if (!read.ok()) return read.status();
  PlanAsOfOutcome outcome;
  outcome.access = std::move(read->access);
  if (!read->granted()) return outcome;
  absl::StatusOr<PlanAsOf> answer = FoldPlanAsOf(
      read->read->history, command.view_plan().nhs_number(), outcome.access.view().stream_seq(),
      events::FromTimestamp(command.view_plan().as_of()), records);
  if (!answer.ok()) return answer.status();
  outcome.answer = *std::move(answer);
  return outcome;
}

}  // namespace careledger::access
