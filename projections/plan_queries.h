// PlanQueries: read the plan, version, worklist and history projections, for
// the read service, the CLI, audit and replay.
//
// A projection lags the log: NOT_FOUND (or an empty list) means "not in this
// projection yet", which also covers events beyond the projected offsets or
// in a stopped partition. Offsets() and StoredStops() say how far the
// projection has got, so a caller can tell those cases apart.
//
// Every error other than NOT_FOUND comes from the store (DATA_LOSS for an
// unreadable record).
//
// Thread safety: every method may be called from any thread, also while a
// projector is committing. Each method reads one committed state; two calls
// may see two different states.
#ifndef CARELEDGER_PROJECTIONS_PLAN_QUERIES_H_
#define CARELEDGER_PROJECTIONS_PLAN_QUERIES_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "careledger/v1/projection.pb.h"
#include "projections/progress.h"
#include "projections/projection_store.h"

namespace careledger::projections {

class PlanQueries {
 public:
  // `store` must outlive the queries.
  explicit PlanQueries(const ProjectionStore* store) : store_(store) {}

  // The patient's plan record (the folded PlanState, status, positions).
  // NOT_FOUND when no plan event of `nhs_number` has been projected. A record
  // whose status is PLAN_STATUS_UNSPECIFIED holds only myCMC requests: no
  // plan was started.
  absl::StatusOr<careledger::v1::PlanRecord> GetPlan(std::string_view nhs_number) const;

  // The NHS number of every projected plan record (myCMC-request-only
  // records included), in ascending order, from one consistent state: for
  // a read of every plan (the migration export), one GetPlan each.
  absl::StatusOr<std::vector<std::string>> ListPlanNumbers() const;

  // One published version. NOT_FOUND when that version has not been
  // projected (never published, or not yet).
  absl::StatusOr<careledger::v1::PublishedVersion> GetVersion(std::string_view nhs_number,
                                                              std::uint64_t version) const;

  // Every published version, oldest first, from one consistent state. Empty
  // (not NOT_FOUND) when none has been projected.
  absl::StatusOr<std::vector<careledger::v1::PublishedVersion>> ListVersions(
      std::string_view nhs_number) const;

  // Every event about the patient (their plan stream's events and the access
  // records naming them, history_projection.h), in recorded order, ties in
  // log order, from one consistent state. Empty when none is projected.
  absl::StatusOr<std::vector<careledger::v1::HistoryEntry>> ListHistory(
      std::string_view nhs_number) const;

  // The open Action Needed items of `owner` (UserWorklist,
  // OrganisationWorklist or PatientWorklist of worklist.h), oldest first,
  // from one consistent state. Empty when it has none.
  absl::StatusOr<std::vector<careledger::v1::WorklistItem>> ListWorklist(
      std::string_view owner) const;

  // The review-date entries of `owner` (UserWorklist or PatientWorklist;
  // review_due.h) whose review date is on or before `through`, earliest
  // first (ties in NHS number order), from one consistent state. The cost is
  // that of the entries returned. Empty when none.
  absl::StatusOr<std::vector<careledger::v1::ReviewDue>> ListReviewsDue(
      std::string_view owner, const careledger::v1::Date& through) const;

  // The next offset of every partition (empty before the first projector run).
  absl::StatusOr<std::vector<std::int64_t>> Offsets() const { return ReadOffsets(*store_); }

  // The partitions stopped by their last run, in partition order.
  absl::StatusOr<std::vector<PartitionStop>> StoredStops() const { return ReadStops(*store_); }

 private:
  const ProjectionStore* store_;
};

}  // namespace careledger::projections

#endif  // CARELEDGER_PROJECTIONS_PLAN_QUERIES_H_
