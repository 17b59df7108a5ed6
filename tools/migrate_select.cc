#include "tools/migrate_select.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "projections/worklist.h"
#include "tools/audit_export.h"

namespace careledger::tools {
namespace {

using careledger::v1::PlanRecord;
using careledger::v1::WorklistItem;
using careledger::v1::WorklistKind;

constexpr std::string_view kOrgOwner = "org/";

// The ODS codes owning `plan`'s open items of `kind` (with `item_id`, when
// given), sorted.
std::vector<std::string> ItemOrganisations(const PlanRecord& plan, WorklistKind kind,
                                           std::string_view item_id = {}) {
  std::set<std::string> organisations;
  for (const WorklistItem& item : projections::WorklistItemsOf(plan)) {
    if (item.kind() != kind || !item.owner().starts_with(kOrgOwner)) continue;
    if (!item_id.empty() && item.item_id() != item_id) continue;
    organisations.insert(item.owner().substr(kOrgOwner.size()));
  }
  return {organisations.begin(), organisations.end()};
}

// The plan's contributing organisations, else its GP practice.
std::vector<std::string> PlanOrganisations(const PlanRecord& plan) {
  std::set<std::string> organisations(plan.state().contributing_organisations().begin(),
                                      plan.state().contributing_organisations().end());
  if (organisations.empty()) {
    if (std::string gp = projections::GpPracticeOf(plan); !gp.empty()) organisations.insert(gp);
  }
  return {organisations.begin(), organisations.end()};
}

std::string VerdictDetail(MigrationVerdict verdict, const PlanRecord& plan) {
  const careledger::v1::PlanState& state = plan.state();
  switch (verdict) {
    case MigrationVerdict::kErased:
      return "the patient was erased (careledger erase): the content can never be read "
             "again, so nothing migrates";
    case MigrationVerdict::kWithdrawn:
      return "consent withdrawn: the plan is removed from view and does not migrate";
    case MigrationVerdict::kDeceased:
      return "the patient's death is recorded: the closed plan stays in CMC's record "
             "(docs/migration.md)";
    case MigrationVerdict::kNoPlan:
      return "no plan was started: only myCMC requests";
    case MigrationVerdict::kDraftOnly:
      return "never published: a draft has no clinical approval; finalise and publish it";
    case MigrationVerdict::kRestricted:
      return fmt::format(
          "restricted since {} by {}: contact the patient and, if they agree, lift the "
          "restriction",
          Rfc3339(state.restriction().since()), state.restriction().by_user());
    case MigrationVerdict::kMigrates:
      break;
  }
  return "";
}

}  // namespace

std::string_view MigrationVerdictName(MigrationVerdict verdict) {
  switch (verdict) {
    case MigrationVerdict::kMigrates:
      return "migrates";
    case MigrationVerdict::kErased:
      return "erased";
    case MigrationVerdict::kWithdrawn:
      return "withdrawn";
    case MigrationVerdict::kDeceased:
      return "deceased";
    case MigrationVerdict::kNoPlan:
      return "no_plan";
    case MigrationVerdict::kDraftOnly:
      return "draft_only";
    case MigrationVerdict::kRestricted:
      return "restricted";
  }
  return "unknown";
}

MigrationVerdict DecideMigration(const PlanRecord& plan) {
  const careledger::v1::PlanState& state = plan.state();
  if (state.lifecycle() == careledger::v1::PLAN_LIFECYCLE_ERASED || state.content_erased()) {
    return MigrationVerdict::kErased;
  }
  if (state.lifecycle() == careledger::v1::PLAN_LIFECYCLE_WITHDRAWN || state.has_withdrawal()) {
    return MigrationVerdict::kWithdrawn;
  }
  if (state.lifecycle() == careledger::v1::PLAN_LIFECYCLE_CLOSED || state.has_death()) {
    return MigrationVerdict::kDeceased;
  }
  if (state.lifecycle() == careledger::v1::PLAN_LIFECYCLE_UNSPECIFIED) {
    return MigrationVerdict::kNoPlan;
  }
  if (state.published_version() == 0) return MigrationVerdict::kDraftOnly;
  if (state.has_restriction()) return MigrationVerdict::kRestricted;
  return MigrationVerdict::kMigrates;
}

std::vector<LeftBehind> LeftBehindOf(const PlanRecord& plan) {
  std::vector<LeftBehind> left;
  const careledger::v1::PlanState& state = plan.state();
  const MigrationVerdict verdict = DecideMigration(plan);
  if (verdict != MigrationVerdict::kMigrates) {
    left.push_back(
        LeftBehind{plan.nhs_number(), std::string(MigrationVerdictName(verdict)),
                   verdict == MigrationVerdict::kDraftOnly
                       ? ItemOrganisations(plan, careledger::v1::WORKLIST_KIND_DRAFT_PLAN)
                       : PlanOrganisations(plan),
                   VerdictDetail(verdict, plan)});
  }
  if (state.draft_pending() && state.published_version() > 0) {
    left.push_back(LeftBehind{
        plan.nhs_number(), "draft_edit",
        ItemOrganisations(plan, careledger::v1::WORKLIST_KIND_DRAFT_PLAN),
        fmt::format("an edit of published version {} is in draft: only the published version "
                    "migrates; approve or discard the edit",
                    state.published_version())});
  }
  for (const careledger::v1::PatientRequest& request : state.requests()) {
    if (request.resolution() != careledger::v1::REQUEST_RESOLUTION_UNSPECIFIED) continue;
    const bool initiate = request.kind() == careledger::v1::PATIENT_REQUEST_KIND_INITIATE_PLAN;
    const WorklistKind kind = initiate ? careledger::v1::WORKLIST_KIND_PLAN_REQUEST
                                       : careledger::v1::WORKLIST_KIND_CHANGE_REQUEST;
    left.push_back(
        LeftBehind{plan.nhs_number(), initiate ? "open_plan_request" : "open_change_request",
                   ItemOrganisations(plan, kind, request.request_id()),
                   fmt::format("myCMC request {} by {} is open and is not carried: {}",
                               request.request_id(), request.by_user(), request.text())});
  }
  return left;
}

void Count(const LeftBehind& entry, std::map<std::string, OrganisationCounts>* counts) {
  std::vector<std::string> organisations = entry.organisations;
  if (organisations.empty()) organisations.push_back("");
  for (const std::string& organisation : organisations) {
    OrganisationCounts& of = (*counts)[organisation];
    if (entry.reason == "draft_only" || entry.reason == "draft_edit") {
      ++of.draft_plans;
    } else if (entry.reason == "restricted") {
      ++of.restricted_records;
    } else if (entry.reason == "open_plan_request") {
      ++of.patient_plan_requests;
    } else if (entry.reason == "open_change_request") {
      ++of.patient_change_requests;
    } else if (entry.reason == "withdrawn") {
      ++of.withdrawn;
    } else if (entry.reason == "deceased") {
      ++of.deceased;
    }
  }
}

}  // namespace careledger::tools
