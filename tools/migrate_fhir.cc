#include "tools/migrate_fhir.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "tools/audit_export.h"
#include "tools/fhir_json.h"
#include "tools/migrate_careplan.h"

namespace careledger::tools {
namespace {

using careledger::v1::Actor;
using careledger::v1::PlanRecord;
using nlohmann::json;

constexpr std::string_view kParticipantType =
    "http://terminology.hl7.org/CodeSystem/provenance-participant-type";
constexpr std::string_view kDataOperation =
    "http://terminology.hl7.org/CodeSystem/v3-DataOperation";
constexpr std::string_view kConsentScope = "http://terminology.hl7.org/CodeSystem/consentscope";
constexpr std::string_view kLoinc = "http://loinc.org";

// Every fullUrl: the same resource of the same ledger always gets the same.
std::string Url(const std::string& ledger, std::string_view kind, const std::string& key) {
  return fmt::format("urn:uuid:{}",
                     NameUuid(fmt::format("careledger-migration\n{}\n{}\n{}", ledger, kind, key)));
}

std::string Gender(const std::string& gender) {
  std::string lower;
  for (const char c : gender)
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "male" || lower == "m") return "male";
  if (lower == "female" || lower == "f") return "female";
  if (lower == "other") return "other";
  return "unknown";
}

json Entry(const std::string& url, json resource) {
  return {{"fullUrl", url}, {"resource", std::move(resource)}};
}

json PatientOf(const careledger::v1::Demographics& who, const std::string& nhs_number,
               const std::string& gp_url) {
  json patient = {{"resourceType", "Patient"},
                  {"text", FhirNarrative(fmt::format("{} {}, NHS number {}", who.given_name(),
                                                     who.family_name(), nhs_number))},
                  {"identifier", json::array({FhirIdentifier(kFhirNhsNumber, nhs_number)})},
                  {"gender", Gender(who.gender())}};
  json name = {{"use", "official"}};
  if (!who.family_name().empty()) name["family"] = who.family_name();
  if (!who.given_name().empty()) name["given"] = json::array({who.given_name()});
  if (name.size() > 1) patient["name"] = json::array({name});
  if (const std::string born = DateText(who.date_of_birth()); !born.empty()) {
    patient["birthDate"] = born;
  }
  json address = json::object();
  if (!who.address().empty()) address["text"] = who.address();
  if (!who.postcode().empty()) address["postalCode"] = who.postcode();
  if (!address.empty()) patient["address"] = json::array({address});
  json practitioners = json::array();
  if (!gp_url.empty()) {
    practitioners.push_back(
        {{"reference", gp_url}, {"display", fmt::format("GP practice {}", who.gp_practice_ods())}});
  }
  if (!who.gp_name().empty()) practitioners.push_back({{"display", who.gp_name()}});
  if (!practitioners.empty()) patient["generalPractitioner"] = practitioners;
  return patient;
}

std::string BasisText(careledger::v1::ConsentBasis basis) {
  switch (basis) {
    case careledger::v1::CONSENT_BASIS_PATIENT:
      return "consent given by the patient";
    case careledger::v1::CONSENT_BASIS_LASTING_POWER_OF_ATTORNEY:
      return "consent given by a lasting power of attorney";
    case careledger::v1::CONSENT_BASIS_BEST_INTEREST:
      return "a clinical best-interest decision";
    default:
      return "basis not recorded";
  }
}

json ConsentOf(const careledger::v1::Consent& consent, const std::string& patient_url) {
  std::string text = fmt::format("Sharing the urgent care plan: {}", BasisText(consent.basis()));
  if (!consent.consented_by().empty()) text += fmt::format(", by {}", consent.consented_by());
  if (!consent.justification().empty()) text += fmt::format(". Why: {}", consent.justification());
  if (!consent.discussion().empty()) text += fmt::format(". Discussion: {}", consent.discussion());
  json resource = {
      {"resourceType", "Consent"},
      {"text", FhirNarrative(text)},
      {"status", "active"},
      {"scope", FhirConcept(FhirCoding(kConsentScope, "patient-privacy", "Privacy Consent"))},
      {"category", json::array({FhirConcept(FhirCoding(kLoinc, "59284-0", "Patient Consent"))})},
      {"patient", {{"reference", patient_url}}},
      {"policyRule", {{"text", text}}}};
  if (const std::string day = DateText(consent.obtained_on()); !day.empty()) {
    resource["dateTime"] = day;
  }
  if (consent.basis() == careledger::v1::CONSENT_BASIS_PATIENT) {
    resource["performer"] = json::array({{{"reference", patient_url}}});
  } else if (!consent.consented_by().empty()) {
    resource["performer"] = json::array({{{"display", consent.consented_by()}}});
  }
  return resource;
}

json PractitionerOf(const std::string& user_id, const MigrationDirectory& directory) {
  json practitioner = {{"resourceType", "Practitioner"},
                       {"identifier", json::array({FhirIdentifier(kFhirUser, user_id)})},
                       {"active", true}};
  std::string display = user_id;
  if (auto it = directory.users.find(user_id); it != directory.users.end()) {
    const careledger::v1::User& user = it->second;
    if (!user.name().empty()) {
      json name = {{"text", user.name()}};
      if (!user.family_name().empty()) name["family"] = user.family_name();
      practitioner["name"] = json::array({name});
      display = fmt::format("{} ({})", user.name(), user_id);
    }
    if (!user.professional_registration().empty()) {
      practitioner["qualification"] =
          json::array({{{"code", {{"text", user.professional_registration()}}}}});
    }
  }
  practitioner["text"] = FhirNarrative(display);
  return practitioner;
}

json OrganizationOf(const std::string& ods, const MigrationDirectory& directory) {
  json organization = {{"resourceType", "Organization"},
                       {"identifier", json::array({FhirIdentifier(kFhirOdsCode, ods)})},
                       {"active", true}};
  std::string display = ods;
  if (auto it = directory.organisations.find(ods); it != directory.organisations.end()) {
    if (!it->second.name().empty()) {
      organization["name"] = it->second.name();
      display = fmt::format("{} ({})", it->second.name(), ods);
    }
  }
  organization["text"] = FhirNarrative(display);
  return organization;
}

json ProvenanceAgent(std::string_view type, std::string_view display, const Actor& actor,
                     const std::string& ledger) {
  json agent = {{"type", FhirConcept(FhirCoding(kParticipantType, type, display))},
                {"who", {{"reference", Url(ledger, "Practitioner", actor.user_id())}}}};
  if (!actor.organisation().empty()) {
    agent["onBehalfOf"] = {{"reference", Url(ledger, "Organization", actor.organisation())}};
  }
  return agent;
}

json ProvenanceOf(const VersionAuthorship& authorship, const std::string& care_plan_url,
                  const std::string& ledger) {
  const careledger::v1::PublishedVersion& version = authorship.version;
  const careledger::v1::EventPosition& approval = version.approval();
  json agents = json::array();
  for (const Actor& editor : authorship.editors) {
    agents.push_back(ProvenanceAgent("author", "Author", editor, ledger));
  }
  agents.push_back(ProvenanceAgent("attester", "Attester", version.approved_by(), ledger));
  const bool first = version.version() == 1;
  return {{"resourceType", "Provenance"},
          {"text", FhirNarrative(fmt::format(
                       "Version {} of the plan, clinically approved by {} on {}; edited by {} "
                       "user(s)",
                       version.version(), version.approved_by().user_id(),
                       Rfc3339(version.published_at()), authorship.editors.size()))},
          {"target", json::array({{{"reference", care_plan_url}}})},
          {"recorded", Rfc3339(version.published_at())},
          {"activity", FhirConcept(FhirCoding(kDataOperation, first ? "CREATE" : "UPDATE",
                                              first ? "create" : "revise"))},
          {"agent", agents},
          {"entity",
           json::array(
               {{{"role", "source"},
                 {"what",
                  {{"identifier",
                    FhirIdentifier("urn:careledger:event",
                                   fmt::format("{}/{}", approval.partition(), approval.offset()))},
                   {"display", fmt::format("the signed PlanApproved event, stream seq {}, record "
                                           "SHA-256 {}, content SHA-256 {}",
                                           approval.stream_seq(), LowerHex(approval.value_hash()),
                                           LowerHex(version.content_hash()))}}}}})}};
}

void AddUnique(const std::string& value, std::vector<std::string>* list) {
  if (!value.empty() && std::find(list->begin(), list->end(), value) == list->end()) {
    list->push_back(value);
  }
}

}  // namespace

absl::StatusOr<std::vector<VersionAuthorship>> AuthorshipOf(
    const std::vector<careledger::v1::PublishedVersion>& versions,
    const std::vector<careledger::v1::HistoryEntry>& history) {
  // Walk the plan stream's events in order: edits collect on the pending
  // draft, an approval hands them to its version, a discard drops them.
  std::map<std::uint64_t, std::vector<Actor>> editors_of;
  std::vector<Actor> pending;
  for (const careledger::v1::HistoryEntry& entry : history) {
    const careledger::v1::Event& event = entry.event();
    if (!event.stream_id().starts_with("patient/")) continue;
    if (event.has_plan_started() || event.has_plan_section_updated()) {
      const bool known = std::any_of(pending.begin(), pending.end(), [&](const Actor& actor) {
        return actor.user_id() == event.actor().user_id();
      });
      if (!known) pending.push_back(event.actor());
    } else if (event.has_draft_discarded()) {
      pending.clear();
    } else if (event.has_plan_approved()) {
      editors_of[event.plan_approved().version()] = std::move(pending);
      pending.clear();
    }
  }
  std::vector<VersionAuthorship> authorship;
  for (const careledger::v1::PublishedVersion& version : versions) {
    auto it = editors_of.find(version.version());
    if (it == editors_of.end()) {
      return absl::DataLossError(
          fmt::format("patient {}: published version {} has no approval in the patient's history",
                      version.nhs_number(), version.version()));
    }
    authorship.push_back(VersionAuthorship{version, it->second});
  }
  return authorship;
}

void NamedInBundle(const std::vector<VersionAuthorship>& versions,
                   std::vector<std::string>* user_ids, std::vector<std::string>* ods_codes) {
  for (const VersionAuthorship& authorship : versions) {
    for (const Actor& editor : authorship.editors) {
      AddUnique(editor.user_id(), user_ids);
      AddUnique(editor.organisation(), ods_codes);
    }
    AddUnique(authorship.version.approved_by().user_id(), user_ids);
    AddUnique(authorship.version.approved_by().organisation(), ods_codes);
  }
  if (!versions.empty()) {
    const careledger::v1::CarePlan& latest = versions.back().version.plan();
    AddUnique(latest.review().reviewing_clinician(), user_ids);
    AddUnique(latest.demographics().gp_practice_ods(), ods_codes);
  }
}

json MigrationBundle(const PlanRecord& plan, const std::vector<VersionAuthorship>& versions,
                     const MigrationDirectory& directory, const std::string& ledger) {
  const std::string& nhs = plan.nhs_number();
  const careledger::v1::CarePlan& latest = versions.back().version.plan();
  std::vector<std::string> user_ids;
  std::vector<std::string> ods_codes;
  NamedInBundle(versions, &user_ids, &ods_codes);

  const std::string patient_url = Url(ledger, "Patient", nhs);
  const std::string gp = latest.demographics().gp_practice_ods();
  json entries = json::array();
  entries.push_back(Entry(
      patient_url,
      PatientOf(latest.demographics(), nhs, gp.empty() ? "" : Url(ledger, "Organization", gp))));
  std::string previous;
  for (std::size_t i = 0; i < versions.size(); ++i) {
    const careledger::v1::PublishedVersion& version = versions[i].version;
    const std::string key = fmt::format("{}/{}", nhs, version.version());
    CarePlanLinks links;
    links.patient = patient_url;
    links.author = Url(ledger, "Practitioner", version.approved_by().user_id());
    for (const Actor& editor : versions[i].editors) {
      AddUnique(Url(ledger, "Practitioner", editor.user_id()), &links.contributors);
    }
    AddUnique(links.author, &links.contributors);
    links.replaces = previous;
    const std::string& reviewer = version.plan().review().reviewing_clinician();
    if (!reviewer.empty() &&
        std::find(user_ids.begin(), user_ids.end(), reviewer) != user_ids.end()) {
      links.reviewing_clinician = Url(ledger, "Practitioner", reviewer);
    }
    const std::string care_plan_url = Url(ledger, "CarePlan", key);
    entries.push_back(Entry(care_plan_url, CarePlanOf(version.plan(), nhs, version.version(),
                                                      Rfc3339(version.published_at()),
                                                      i + 1 == versions.size(), links)));
    entries.push_back(
        Entry(Url(ledger, "Provenance", key), ProvenanceOf(versions[i], care_plan_url, ledger)));
    previous = care_plan_url;
  }
  entries.push_back(Entry(Url(ledger, "Consent", nhs), ConsentOf(latest.consent(), patient_url)));
  for (const std::string& user_id : user_ids) {
    entries.push_back(
        Entry(Url(ledger, "Practitioner", user_id), PractitionerOf(user_id, directory)));
  }
  for (const std::string& ods : ods_codes) {
    entries.push_back(Entry(Url(ledger, "Organization", ods), OrganizationOf(ods, directory)));
  }
  return {{"resourceType", "Bundle"},
          {"identifier", FhirIdentifier("urn:careledger:migration", nhs)},
          {"type", "collection"},
          {"entry", entries}};
}

}  // namespace careledger::tools
