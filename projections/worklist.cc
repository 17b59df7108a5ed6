#include "projections/worklist.h"

#include <fmt/format.h>

namespace careledger::projections {
namespace {

using careledger::v1::PlanRecord;
using careledger::v1::WorklistItem;

// Adds one item per owner in `owners` and one for the patient.
void AddForEach(const std::vector<std::string>& owners, const WorklistItem& item,
                std::vector<WorklistItem>* items) {
  for (const std::string& owner : owners) {
    items->push_back(item);
    items->back().set_owner(owner);
  }
  items->push_back(item);
  items->back().set_owner(PatientWorklist(item.nhs_number()));
}

bool HasDraft(const careledger::v1::PlanState& state) {
  return state.lifecycle() == careledger::v1::PLAN_LIFECYCLE_DRAFT ||
         state.lifecycle() == careledger::v1::PLAN_LIFECYCLE_EDITING;
}

}  // namespace

std::string UserWorklist(std::string_view user_id) { return fmt::format("user/{}", user_id); }

std::string OrganisationWorklist(std::string_view ods_code) {
  return fmt::format("org/{}", ods_code);
}

std::string PatientWorklist(std::string_view nhs_number) {
  return fmt::format("patient/{}", nhs_number);
}

std::string GpPracticeOf(const PlanRecord& plan) {
  const std::string& draft = plan.state().draft().demographics().gp_practice_ods();
  return draft.empty() ? plan.state().published().demographics().gp_practice_ods() : draft;
}

std::vector<WorklistItem> WorklistItemsOf(const PlanRecord& plan) {
  const careledger::v1::PlanState& state = plan.state();
  std::vector<WorklistItem> items;
  WorklistItem item;
  item.set_nhs_number(plan.nhs_number());

  if (HasDraft(state)) {
    item.set_kind(careledger::v1::WORKLIST_KIND_DRAFT_PLAN);
    *item.mutable_since() = plan.draft_opened().recorded_at();
    item.set_detail(state.lifecycle() == careledger::v1::PLAN_LIFECYCLE_EDITING ? "Draft, Editing"
                                                                                : "Draft");
    std::vector<std::string> owners;
    for (const std::string& organisation : state.contributing_organisations()) {
      owners.push_back(OrganisationWorklist(organisation));
    }
    AddForEach(owners, item, &items);
  }

  if (HasDraft(state) && state.has_submission()) {
    const careledger::v1::Submission& submission = state.submission();
    item.set_kind(careledger::v1::WORKLIST_KIND_APPROVAL_NEEDED);
    *item.mutable_since() = submission.at();
    item.set_detail(
        submission.note().empty()
            ? fmt::format("submitted by {}", submission.by_user())
            : fmt::format("submitted by {}: {}", submission.by_user(), submission.note()));
    std::vector<std::string> owners;
    if (!submission.to_user().empty()) owners.push_back(UserWorklist(submission.to_user()));
    if (!submission.to_organisation().empty()) {
      owners.push_back(OrganisationWorklist(submission.to_organisation()));
    }
    AddForEach(owners, item, &items);
  }

  const std::vector<std::string> gp = {OrganisationWorklist(GpPracticeOf(plan))};
  for (const careledger::v1::PatientRequest& request : state.requests()) {
    if (request.resolution() != careledger::v1::REQUEST_RESOLUTION_UNSPECIFIED) continue;
    item.set_kind(request.kind() == careledger::v1::PATIENT_REQUEST_KIND_INITIATE_PLAN
                      ? careledger::v1::WORKLIST_KIND_PLAN_REQUEST
                      : careledger::v1::WORKLIST_KIND_CHANGE_REQUEST);
    *item.mutable_since() = request.at();
    item.set_detail(request.text());
    item.set_item_id(request.request_id());
    AddForEach(gp, item, &items);
  }
  return items;
}

}  // namespace careledger::projections
