// PlanProjection: the current plan of each patient (family `plans`) and every
// published version (family `versions`), from the plan events of the streams
// "patient/<NHS number>".
//
//   PlanStarted         a new PlanRecord, DRAFT, whose draft holds the consent
//                       and demographics.nhs_number.
//   PlanSectionUpdated  the section named by PlanSectionValue's oneof replaces
//                       the draft's CarePlan field of the same name
//                       (events::SetSection). With no
//                       draft pending the draft starts as a copy of the
//                       published plan. Status: EDITING once a version is
//                       published, else DRAFT. The published plan is untouched.
//   PlanApproved        the draft becomes the published plan as `version`
//                       (also stored in `versions`); the draft is cleared;
//                       status PUBLISHED.
//   anything else       no change (checkpoints, access and directory events).
//
// A plan event that contradicts the projected plan is refused with
// FAILED_PRECONDITION (the partition stops there): PlanStarted on a non-patient
// stream, for another NHS number or for a plan that exists; an update or
// approval before PlanStarted; an update naming no section; an approval with no
// draft, of a version other than published_version + 1, or whose draft_hash is
// set and differs from SHA-256 of the deterministic draft (what was approved is
// not what would be published). An empty draft_hash is not checked.
//
// These are the meanings ledger/plan_rules.cc's ApplyPlanEvent gives the same
// events when it computes draft_hash; the two must change together.
#ifndef CARELEDGER_PROJECTIONS_PLAN_PROJECTION_H_
#define CARELEDGER_PROJECTIONS_PLAN_PROJECTION_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "careledger/v1/plan.pb.h"
#include "careledger/v1/projection.pb.h"
#include "projections/projection.h"
#include "projections/projection_store.h"

namespace careledger::projections {

inline constexpr std::string_view kPatientStreamPrefix = "patient/";

// The NHS number of a "patient/<NHS number>" stream, or nullopt.
std::optional<std::string_view> NhsNumberOfStream(std::string_view stream_id);

class PlanProjection final : public Projection {
 public:
  // `store` must outlive the projection.
  explicit PlanProjection(const ProjectionStore* store) : store_(store) {}

  std::string_view name() const override { return "plans"; }
  absl::Status Apply(const AppliedEvent& event) override;
  void Flush(StoreBatch* batch) override;
  void Discard() override;

 private:
  // The plan of `nhs_number` as of the events applied so far: pending, else
  // stored (then copied into pending), else nullptr.
  absl::StatusOr<careledger::v1::PlanRecord*> Find(const std::string& nhs_number);

  absl::Status ApplyStarted(const AppliedEvent& event, const std::string& nhs_number);
  absl::Status ApplySectionUpdated(const AppliedEvent& event, const std::string& nhs_number);
  absl::Status ApplyApproved(const AppliedEvent& event, const std::string& nhs_number);

  const ProjectionStore* store_;
  absl::flat_hash_map<std::string, careledger::v1::PlanRecord> pending_plans_;
  std::vector<careledger::v1::PublishedVersion> pending_versions_;
};

}  // namespace careledger::projections

#endif  // CARELEDGER_PROJECTIONS_PLAN_PROJECTION_H_
