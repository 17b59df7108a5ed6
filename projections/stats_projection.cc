#include "projections/stats_projection.h"

#include "absl/time/time.h"
#include "events/plan_fold.h"
#include "events/time_util.h"
#include "projections/internal/keys.h"

namespace careledger::projections {

using careledger::v1::StatsCount;
using careledger::v1::StatsPlan;

bool IsUrgentCareView(const careledger::v1::Event& event) {
  if (!event.has_access_recorded()) return false;
  const careledger::v1::AccessRecorded& access = event.access_recorded();
  return access.outcome() == careledger::v1::ACCESS_OUTCOME_GRANTED &&
         !access.action().starts_with("audit_") &&
         event.actor().role() == careledger::v1::ROLE_URGENT_CARE;
}

std::string StatsHourOf(const google::protobuf::Timestamp& time) {
  return absl::FormatTime("%Y-%m-%dT%H", events::FromTimestamp(time), absl::UTCTimeZone());
}

StatsProjection::StatsProjection(const ProjectionStore* store, PlanProjection* plans)
    : plans_(plans),
      plan_rows_(store, StoreFamily::kStats, "statistics plan"),
      view_counts_(store, StoreFamily::kStats, "statistics count") {}

absl::Status StatsProjection::Apply(const AppliedEvent& event) {
  const careledger::v1::Event& body = event.record->event;
  if (IsUrgentCareView(body)) return CountView(body);
  if (events::IsPlanEvent(body)) return ApplyPlanEvent(body);
  return absl::OkStatus();
}

absl::Status StatsProjection::CountView(const careledger::v1::Event& event) {
  const std::string key =
      internal::StatsViewKey(StatsHourOf(event.recorded_at()), event.actor().organisation());
  absl::StatusOr<StatsCount*> found = view_counts_.Find(key);
  if (!found.ok()) return found.status();
  StatsCount* count = *found != nullptr ? *found : view_counts_.Insert(key, StatsCount());
  count->set_count(count->count() + 1);
  return absl::OkStatus();
}

absl::Status StatsProjection::ApplyPlanEvent(const careledger::v1::Event& event) {
  std::optional<std::string_view> nhs_number = NhsNumberOfStream(event.stream_id());
  if (!nhs_number) return absl::OkStatus();  // the plan projection refused it already
  absl::StatusOr<const careledger::v1::PlanRecord*> plan = plans_->Current(*nhs_number);
  if (!plan.ok()) return plan.status();
  if (*plan == nullptr ||
      (*plan)->state().lifecycle() == careledger::v1::PLAN_LIFECYCLE_UNSPECIFIED) {
    return absl::OkStatus();  // only myCMC requests so far: no plan to count
  }
  const careledger::v1::PlanState& state = (*plan)->state();
  const std::string key = internal::StatsPlanKey(*nhs_number);
  absl::StatusOr<StatsPlan*> found = plan_rows_.Find(key);
  if (!found.ok()) return found.status();
  StatsPlan* row = *found;
  if (row == nullptr) {
    StatsPlan fresh;
    fresh.set_nhs_number(std::string(*nhs_number));
    row = plan_rows_.Insert(key, std::move(fresh));
  }
  if (event.has_plan_started()) {
    *row->mutable_started_at() = event.recorded_at();
    row->set_started_by_organisation(event.actor().organisation());
  }
  if (event.has_plan_approved() && event.plan_approved().version() == 1) {
    *row->mutable_first_published_at() = event.recorded_at();
  }
  if (event.has_death_recorded()) {
    *row->mutable_death_recorded_at() = event.recorded_at();
    row->set_preferred_place_met(event.death_recorded().preferred_place_met());
  }
  row->set_status((*plan)->status());
  if (state.has_review_due()) {
    *row->mutable_review_due() = state.review_due();
  } else {
    row->clear_review_due();
  }
  row->set_consent_basis(state.draft().consent().basis());
  return absl::OkStatus();
}

void StatsProjection::Flush(StoreBatch* batch) {
  plan_rows_.Flush(batch);
  view_counts_.Flush(batch);
}

void StatsProjection::Discard() {
  plan_rows_.Discard();
  view_counts_.Discard();
}

}  // namespace careledger::projections
