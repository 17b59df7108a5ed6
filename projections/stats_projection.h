// StatsProjection: what the CMC figures are counted from (family `stats`;
// the queries are stats_queries.h, docs/governance.md "Statistics").
//
//   "plan/<NHS number>"  a StatsPlan per started plan: status, when and by
//       which organisation it was started, when version 1 was published,
//       review date, consent basis, and a death's recorded time and whether
//       the preferred place of death was met. Rewritten after every plan
//       event of its stream from the plan as PlanProjection has just folded
//       it (status is PlanStatusOf, the one definition), so the statistics
//       never hold a second copy of the plan rules.
//   "view/<UTC hour>/<ODS code>"  a StatsCount of urgent-care views: access
//       records the audit trail classifies as a READ (GRANTED, not an
//       "audit_..." query) whose actor has the urgent-care role, counted
//       per UTC hour ("2026-01-15T09") and reading organisation.
//
// Organisation types are not stored: the directory event naming an
// organisation may sit in another partition, applied before or after, so a
// stored type would make the store depend on how the log was batched. The
// queries resolve each ODS code's type from the directory when they read
// (as the audit queries resolve sites). Counts are sums, and plan rows
// depend on one stream only, so a rebuild is byte-identical however the log
// is batched. Hours in UTC, not London months, keep the store independent of
// the time-zone database; London offsets are whole hours, so the queries
// still bucket exactly by London month.
//
// Never refuses an event (the plan projection, applied first, refuses what
// contradicts the plan).
#ifndef CARELEDGER_PROJECTIONS_STATS_PROJECTION_H_
#define CARELEDGER_PROJECTIONS_STATS_PROJECTION_H_

#include <string>
#include <string_view>

#include "careledger/v1/projection.pb.h"
#include "projections/internal/pending.h"
#include "projections/plan_projection.h"
#include "projections/projection.h"
#include "projections/projection_store.h"

namespace careledger::projections {

// True when an access record counts as an urgent-care view of a plan.
bool IsUrgentCareView(const careledger::v1::Event& event);

// The UTC hour of `time` as the view keys name it: "YYYY-MM-DDTHH".
std::string StatsHourOf(const google::protobuf::Timestamp& time);

class StatsProjection final : public Projection {
 public:
  // `store` and `plans` must outlive the projection; `plans` must be
  // applied before it, to the same events (Projector does so).
  StatsProjection(const ProjectionStore* store, PlanProjection* plans);

  std::string_view name() const override { return "stats"; }
  absl::Status Apply(const AppliedEvent& event) override;
  void Flush(StoreBatch* batch) override;
  void Discard() override;

 private:
  absl::Status ApplyPlanEvent(const careledger::v1::Event& event);
  absl::Status CountView(const careledger::v1::Event& event);

  PlanProjection* plans_;
  internal::PendingRecords<careledger::v1::StatsPlan> plan_rows_;
  internal::PendingRecords<careledger::v1::StatsCount> view_counts_;
};

}  // namespace careledger::projections

#endif  // CARELEDGER_PROJECTIONS_STATS_PROJECTION_H_
