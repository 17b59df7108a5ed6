// no_relationship: a clinician's or administrator's read where neither the
// user's organisation nor the user is related to the plan (MEDIUM).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <set>

#include "projections/investigation/rules.h"
#include "projections/investigation/text.h"

namespace careledger::projections::investigation {

void NoRelationship(RuleScope& scope, const Examined& record) {
  const careledger::v1::AuditEntry& entry = record.entry;
  const careledger::v1::Actor& actor = entry.actor();
  if (!record.read || record.patient == nullptr ||
      (actor.role() != careledger::v1::ROLE_CLINICIAN &&
       actor.role() != careledger::v1::ROLE_ADMINISTRATOR)) {
    return;
  }
  const Patient& patient = *record.patient;
  const Content* shown = record.shown;
  const auto related_org = [&](const std::string& ods) {
    if (ods.empty()) return false;
    if (patient.organisations.contains(ods)) return true;
    return shown != nullptr &&
           (shown->gp_practice == ods ||
            std::find(shown->contact_organisations.begin(), shown->contact_organisations.end(),
                      ods) != shown->contact_organisations.end());
  };
  const auto related_user = [&](const std::string& user) {
    if (patient.users.contains(user)) return true;
    return shown != nullptr && std::find(shown->named_users.begin(), shown->named_users.end(),
                                         user) != shown->named_users.end();
  };
  if (related_org(actor.organisation()) || related_user(actor.user_id())) return;
  std::set<std::string> gps;
  for (const Content& content : patient.contents) {
    if (!content.gp_practice.empty()) gps.insert(content.gp_practice);
  }
  if (shown != nullptr && !shown->gp_practice.empty()) gps.insert(shown->gp_practice);
  scope.alerts.RaiseOne(
      "no_relationship", careledger::v1::ALERT_SEVERITY_MEDIUM, entry,
      fmt::format("{} read the plan of {} with no recorded relationship: {} is not the patient's "
                  "GP practice ({}), did not start, edit or receive the plan and is no contact's "
                  "organisation; {} did not start the plan, was not sent it and is not named on "
                  "it; and the role is not urgent care",
                  Who(actor), entry.nhs_number(),
                  actor.organisation().empty() ? "no organisation" : actor.organisation(),
                  gps.empty() ? "none recorded" : fmt::format("{}", fmt::join(gps, ", ")),
                  actor.user_id()));
}

}  // namespace careledger::projections::investigation
