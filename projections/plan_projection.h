// PlanProjection: each patient's plan (family `plans`), every published
// version (family `versions`), the Action Needed items the plans open
// (family `worklist`, see worklist.h) and their review dates (family
// `review_due`, see review_due.h), from the plan events of the streams
// "patient/<NHS number>".
//
// What a plan event means is defined once, by events::FoldPlanEvent
// (events/plan_fold.h), which the ledger also decides with: a PlanRecord holds
// that fold (`state`) plus what only the projection knows, where each part
// came from in the log:
//
//   last_event     every plan event applied.
//   draft_opened   the event that made a working draft pending (PlanStarted,
//                  or the first edit after a publication or a discard);
//                  cleared when no draft is pending.
//   draft_saved    the last PlanStarted / PlanSectionUpdated of that draft.
//   published_by   the PlanApproved of the current published version; each
//                  approval also writes a PublishedVersion, with its content
//                  hash, to `versions`.
//   status         PlanStatusOf(state), below.
//
// A myCMC request may come before any plan: the record then has lifecycle
// UNSPECIFIED (status UNSPECIFIED) and holds the open requests.
//
// A plan event the fold refuses (an edit of a closed plan, an approval whose
// draft_hash is not the draft's, a request resolved twice, ...), or a plan
// event on a stream that is not a patient's, is refused here with
// FAILED_PRECONDITION: the projector stops the partition there
// ("inconsistent_event"). Other events are ignored.
#ifndef CARELEDGER_PROJECTIONS_PLAN_PROJECTION_H_
#define CARELEDGER_PROJECTIONS_PLAN_PROJECTION_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "careledger/v1/plan_state.pb.h"
#include "careledger/v1/projection.pb.h"
#include "events/plan_fold.h"
#include "projections/internal/pending.h"
#include "projections/projection.h"
#include "projections/projection_store.h"

namespace careledger::projections {

using events::kPatientStreamPrefix;

// The NHS number of a "patient/<NHS number>" stream, or nullopt.
std::optional<std::string_view> NhsNumberOfStream(std::string_view stream_id);

// The status a plan shows: its lifecycle, with DRAFT split into DRAFT and
// SUBMITTED (a submission pending). EDITING stays EDITING when the edit is
// submitted; state.submission tells.
careledger::v1::PlanStatus PlanStatusOf(const careledger::v1::PlanState& state);

class PlanProjection final : public Projection {
 public:
  // `store` must outlive the projection.
  explicit PlanProjection(const ProjectionStore* store);

  std::string_view name() const override { return "plans"; }
  absl::Status Apply(const AppliedEvent& event) override;
  void Flush(StoreBatch* batch) override;
  void Discard() override;

  // The plan of `nhs_number` as of the events applied so far (this batch's
  // included), or nullptr when it has none: what later projections of the
  // same event (StatsProjection) read instead of folding the plan again.
  // Valid until the next Apply, Flush or Discard. Errors as the store's.
  absl::StatusOr<const careledger::v1::PlanRecord*> Current(std::string_view nhs_number);

 private:
  // What one plan derives in the families `worklist` and `review_due`:
  // key -> deterministic value bytes.
  struct DerivedEntries {
    std::map<std::string, std::string> worklist;
    std::map<std::string, std::string> review_due;
  };
  static DerivedEntries DerivedEntriesOf(const careledger::v1::PlanRecord& plan);

  internal::PendingRecords<careledger::v1::PlanRecord> plans_;
  // Per plan touched in this batch: its worklist and review-date entries as
  // stored, so Flush can delete what closed and write what changed.
  absl::flat_hash_map<std::string, DerivedEntries> derived_before_;
  std::vector<careledger::v1::PublishedVersion> versions_;
};

}  // namespace careledger::projections

#endif  // CARELEDGER_PROJECTIONS_PLAN_PROJECTION_H_
