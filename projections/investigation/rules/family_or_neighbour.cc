// family_or_neighbour: a professional's read of a relative (the family name
// and the address or postcode shared: HIGH) or of a neighbour (the
// postcode, address or street shared, not the name: MEDIUM). A shared
// family name alone raises nothing: in London, Patel, Khan, Begum and Smith
// are shared by thousands. Their own plan is own_record's, not this rule's.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <string>
#include <vector>

#include "projections/investigation/rules.h"
#include "projections/investigation/text.h"

namespace careledger::projections::investigation {

absl::Status FamilyOrNeighbour(RuleScope& scope, const Examined& record) {
  const careledger::v1::AuditEntry& entry = record.entry;
  if (!record.read || record.patient == nullptr || !IsProfessional(entry.actor().role())) {
    return absl::OkStatus();
  }
  absl::StatusOr<const careledger::v1::User*> found = scope.facts.FindUser(entry.actor().user_id());
  if (!found.ok()) return found.status();
  if (*found == nullptr) return absl::OkStatus();
  const careledger::v1::User& user = **found;
  if (SameNhsNumber(user.nhs_number(), entry.nhs_number())) return absl::OkStatus();
  const std::string family_name = NormalisedText(user.family_name());
  const std::string address = NormalisedText(user.address());
  const std::string postcode = NormalisedPostcode(user.postcode());
  const std::string street = StreetOf(user.address());
  bool same_name = false;
  bool same_address = false;
  bool same_postcode = false;
  bool same_street = false;
  const auto compare = [&](const Content& content) {
    same_name |= !family_name.empty() && family_name == content.family_name;
    same_address |= !address.empty() && address == content.address;
    same_postcode |= !postcode.empty() && postcode == content.postcode;
    same_street |= !street.empty() && street == content.street;
  };
  for (const Content& content : record.patient->contents) compare(content);
  if (record.shown != nullptr) compare(*record.shown);
  const bool lives_there = same_address || same_postcode;
  if (!lives_there && !same_street) return absl::OkStatus();
  std::vector<std::string> shared;
  if (same_name) shared.push_back(fmt::format("the family name \"{}\"", user.family_name()));
  if (same_address) shared.push_back(fmt::format("the address \"{}\"", user.address()));
  if (same_postcode) shared.push_back(fmt::format("the postcode {}", user.postcode()));
  if (same_street && !same_address) shared.push_back(fmt::format("the street \"{}\"", street));
  const bool relative = same_name && lives_there;
  scope.alerts.RaiseOne(
      "family_or_neighbour",
      relative ? careledger::v1::ALERT_SEVERITY_HIGH : careledger::v1::ALERT_SEVERITY_MEDIUM, entry,
      fmt::format("{} read the plan of {}, who shares {} with them (their directory record "
                  "against the plan's demographics): {}",
                  Who(entry.actor()), entry.nhs_number(), fmt::join(shared, " and "),
                  relative ? "a relative?" : "a neighbour?"));
  return absl::OkStatus();
}

}  // namespace careledger::projections::investigation
