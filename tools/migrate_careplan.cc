#include "tools/migrate_careplan.h"

#include <fmt/format.h>

#include "tools/fhir_json.h"

namespace careledger::tools {
namespace {

using careledger::v1::CarePlan;
using nlohmann::json;

constexpr std::string_view kConditionClinical =
    "http://terminology.hl7.org/CodeSystem/condition-clinical";
constexpr std::string_view kConditionVerification =
    "http://terminology.hl7.org/CodeSystem/condition-ver-status";
constexpr std::string_view kConditionCategory =
    "http://terminology.hl7.org/CodeSystem/condition-category";
constexpr std::string_view kAllergyClinical =
    "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical";
constexpr std::string_view kAllergyVerification =
    "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification";

std::string CeilingText(careledger::v1::TreatmentCeiling ceiling) {
  switch (ceiling) {
    case careledger::v1::TREATMENT_CEILING_FULL_ESCALATION:
      return "full active treatment, including attempted CPR and intensive care";
    case careledger::v1::TREATMENT_CEILING_WARD_BASED:
      return "hospital admission for ward-based treatment; not for intensive care or CPR";
    case careledger::v1::TREATMENT_CEILING_TREAT_AT_HOME:
      return "treat in the usual place of residence, avoid admission where possible";
    case careledger::v1::TREATMENT_CEILING_COMFORT_ONLY:
      return "comfort and symptom control only";
    default:
      return "not recorded";
  }
}

std::string PlaceText(const careledger::v1::PlaceOfCare& place) {
  if (place.not_yet_discussed()) return "not yet discussed";
  std::string text =
      place.first_preference().empty() ? "none recorded" : "first " + place.first_preference();
  if (!place.second_preference().empty()) text += "; second " + place.second_preference();
  return text;
}

std::string ResuscitationText(const careledger::v1::Resuscitation& cpr) {
  std::string decision =
      cpr.decision() == careledger::v1::CPR_DECISION_NOT_FOR_CPR ? "not for attempted CPR (DNACPR)"
      : cpr.decision() == careledger::v1::CPR_DECISION_FOR_CPR   ? "for attempted CPR"
                                                                 : "no decision recorded";
  std::string text = fmt::format("CPR decision: {}.", decision);
  if (cpr.discussed()) {
    std::vector<std::string> days;
    for (const careledger::v1::Date& day : cpr.discussed_on()) days.push_back(DateText(day));
    text += fmt::format(" Discussed on {}: {}", fmt::join(days, ", "), cpr.summary());
  } else if (!cpr.reason_not_discussed().empty()) {
    text += fmt::format(" Not discussed: {}", cpr.reason_not_discussed());
  }
  for (const careledger::v1::DnacprAnswer& answer : cpr.dnacpr_answers()) {
    text += fmt::format("\n{}: {}", careledger::v1::DnacprQuestion_Name(answer.question()),
                        answer.answer());
  }
  return text;
}

json Note(const std::string& label, const std::string& text) {
  return {{"text", fmt::format("{}: {}", label, text)}};
}

json Notes(const CarePlan& plan) {
  json notes = json::array();
  const careledger::v1::MedicalBackground& background = plan.medical_background();
  std::string status = background.has_who_performance_status()
                           ? fmt::format("{}", background.who_performance_status())
                           : std::string("not recorded");
  if (!DateText(background.who_assessed_on()).empty()) {
    status += fmt::format(" (assessed {})", DateText(background.who_assessed_on()));
  }
  notes.push_back(Note("WHO performance status", status));
  if (!background.prognosis().empty()) notes.push_back(Note("Prognosis", background.prognosis()));
  notes.push_back(Note("Preferred place of care", PlaceText(plan.preferences().place_of_care())));
  notes.push_back(Note("Preferred place of death", PlaceText(plan.preferences().place_of_death())));
  notes.push_back(Note("Resuscitation", ResuscitationText(plan.resuscitation())));
  notes.push_back(
      Note("Ceiling of treatment", CeilingText(plan.clinical().ceiling_of_treatment())));
  if (plan.allergies().no_known_allergies()) {
    notes.push_back(
        Note("Allergies", fmt::format("no known allergies ({})",
                                      plan.allergies().no_allergies_source() ==
                                              careledger::v1::NO_ALLERGIES_SOURCE_PATIENT_REPORTS
                                          ? "no allergies known by the patient"
                                          : "not known")));
  }
  for (const careledger::v1::Medication& medicine : plan.medications().items()) {
    notes.push_back(Note(medicine.just_in_case() ? "Medication (just in case)" : "Medication",
                         fmt::format("{} {} {} {}", medicine.name(), medicine.dose(),
                                     medicine.route(), medicine.frequency())));
  }
  for (const careledger::v1::Contact& contact : plan.contacts().items()) {
    std::string text =
        fmt::format("{} ({}{}{})", contact.name(), contact.relationship(),
                    contact.organisation().empty() ? "" : ", ", contact.organisation());
    if (!contact.telephone().empty()) text += " tel. " + contact.telephone();
    if (contact.next_of_kin()) text += "; next of kin";
    if (contact.lasting_power_of_attorney()) text += "; lasting power of attorney";
    notes.push_back(Note(contact.kind() == careledger::v1::CONTACT_KIND_PROFESSIONAL
                             ? "Professional contact"
                             : "Family, friend or carer",
                         text));
  }
  const careledger::v1::SocialSupport& social = plan.social_support();
  if (social.lives_alone() || !social.care_package().empty() || !social.equipment().empty() ||
      !social.details().empty()) {
    notes.push_back(Note("Social support",
                         fmt::format("{}care package: {}; equipment: {}; {}",
                                     social.lives_alone() ? "lives alone; " : "",
                                     social.care_package(), social.equipment(), social.details())));
  }
  for (const careledger::v1::AnticipatedProblem& problem : plan.anticipated_problems().items()) {
    notes.push_back(
        Note("Anticipated problem", fmt::format("{}; immediate management: {}", problem.problem(),
                                                problem.immediate_management())));
  }
  notes.push_back(Note("Review", fmt::format("due {} by {}", DateText(plan.review().review_on()),
                                             plan.review().reviewing_clinician())));
  return notes;
}

json Condition(const std::string& id, const std::string& name, const careledger::v1::Date& on,
               const std::string& patient) {
  json condition = {
      {"resourceType", "Condition"},
      {"id", id},
      {"clinicalStatus", FhirConcept(FhirCoding(kConditionClinical, "active", "Active"))},
      {"verificationStatus",
       FhirConcept(FhirCoding(kConditionVerification, "confirmed", "Confirmed"))},
      {"category", json::array({FhirConcept(
                       FhirCoding(kConditionCategory, "problem-list-item", "Problem List Item"))})},
      {"code", {{"text", name}}},
      {"subject", {{"reference", patient}}}};
  if (const std::string day = DateText(on); !day.empty()) condition["onsetDateTime"] = day;
  return condition;
}

json Allergy(const std::string& id, const careledger::v1::Allergy& allergy,
             const std::string& patient) {
  json resource = {
      {"resourceType", "AllergyIntolerance"},
      {"id", id},
      {"clinicalStatus", FhirConcept(FhirCoding(kAllergyClinical, "active", "Active"))},
      {"verificationStatus",
       FhirConcept(FhirCoding(kAllergyVerification, "confirmed", "Confirmed"))},
      {"code", {{"text", allergy.substance()}}},
      {"patient", {{"reference", patient}}}};
  if (!allergy.reaction().empty()) {
    resource["reaction"] =
        json::array({{{"manifestation", json::array({{{"text", allergy.reaction()}}})}}});
  }
  return resource;
}

}  // namespace

std::string DateText(const careledger::v1::Date& date) {
  if (date.year() == 0) return "";
  return fmt::format("{:04}-{:02}-{:02}", date.year(), date.month(), date.day());
}

json CarePlanOf(const CarePlan& plan, const std::string& nhs_number, std::uint64_t version,
                const std::string& published_at, bool latest, const CarePlanLinks& links) {
  json contained = json::array();
  json addresses = json::array();
  json supporting = json::array();
  const careledger::v1::MedicalBackground& background = plan.medical_background();
  if (!background.main_diagnosis().empty()) {
    contained.push_back(
        Condition("main-diagnosis", background.main_diagnosis(), {}, links.patient));
    addresses.push_back({{"reference", "#main-diagnosis"}, {"display", "main diagnosis"}});
  }
  for (int i = 0; i < background.diagnoses_size(); ++i) {
    const std::string id = fmt::format("diagnosis-{}", i + 1);
    contained.push_back(Condition(id, background.diagnoses(i).name(),
                                  background.diagnoses(i).diagnosed_on(), links.patient));
    addresses.push_back({{"reference", "#" + id}});
  }
  for (int i = 0; i < plan.allergies().items_size(); ++i) {
    const std::string id = fmt::format("allergy-{}", i + 1);
    contained.push_back(Allergy(id, plan.allergies().items(i), links.patient));
    supporting.push_back({{"reference", "#" + id}});
  }
  json care_plan = {
      {"resourceType", "CarePlan"},
      {"text", FhirNarrative(fmt::format("Urgent care plan of NHS number {}, version {}, "
                                         "published {}{}",
                                         nhs_number, version, published_at,
                                         latest ? " (current)" : " (superseded)"))},
      {"identifier", json::array({FhirIdentifier("urn:careledger:plan-version",
                                                 fmt::format("{}/{}", nhs_number, version))})},
      {"status", latest ? "active" : "revoked"},
      {"intent", "plan"},
      {"category", json::array({{{"text", "Urgent care plan (Coordinate My Care)"}}})},
      {"title", fmt::format("Urgent care plan, version {}", version)},
      {"subject", {{"reference", links.patient}}},
      {"created", published_at},
      {"author", {{"reference", links.author}}},
      {"note", Notes(plan)}};
  if (!contained.empty()) care_plan["contained"] = contained;
  if (!links.replaces.empty()) {
    care_plan["replaces"] = json::array({{{"reference", links.replaces}}});
  }
  if (!plan.clinical().recommendations().empty()) {
    care_plan["description"] = plan.clinical().recommendations();
  }
  json contributors = json::array();
  for (const std::string& contributor : links.contributors) {
    contributors.push_back({{"reference", contributor}});
  }
  if (!links.reviewing_clinician.empty()) {
    contributors.push_back(
        {{"reference", links.reviewing_clinician}, {"display", "reviewing clinician"}});
  }
  if (!contributors.empty()) care_plan["contributor"] = contributors;
  if (!addresses.empty()) care_plan["addresses"] = addresses;
  if (!supporting.empty()) care_plan["supportingInfo"] = supporting;
  return care_plan;
}

}  // namespace careledger::tools
