#include "ledger/publish_rules.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "ledger/dates.h"

namespace careledger::ledger {
namespace {

using careledger::v1::CarePlan;

class Missing {
 public:
  void Require(bool present, std::string field) {
    if (!present) fields_.push_back(std::move(field));
  }
  std::vector<std::string> Take() { return std::move(fields_); }

 private:
  std::vector<std::string> fields_;
};

void CheckConsent(const CarePlan& plan, Missing& missing) {
  const careledger::v1::Consent& consent = plan.consent();
  missing.Require(consent.basis() != careledger::v1::CONSENT_BASIS_UNSPECIFIED, "consent.basis");
  const bool on_behalf = consent.basis() == careledger::v1::CONSENT_BASIS_BEST_INTEREST ||
                         consent.basis() == careledger::v1::CONSENT_BASIS_LASTING_POWER_OF_ATTORNEY;
  if (on_behalf) missing.Require(!consent.justification().empty(), "consent.justification");
  missing.Require(IsValidDate(consent.obtained_on()), "consent.obtained_on");
}

void CheckDemographics(const CarePlan& plan, Missing& missing) {
  const careledger::v1::Demographics& who = plan.demographics();
  missing.Require(!who.given_name().empty(), "demographics.given_name");
  missing.Require(!who.family_name().empty(), "demographics.family_name");
  missing.Require(!who.nhs_number().empty(), "demographics.nhs_number");
  missing.Require(!who.gender().empty(), "demographics.gender");
  missing.Require(IsValidDate(who.date_of_birth()), "demographics.date_of_birth");
  missing.Require(!who.address().empty(), "demographics.address");
  // "GP practice and/or name of GP".
  missing.Require(!who.gp_practice_ods().empty() || !who.gp_name().empty(),
                  "demographics.gp_practice_ods");
}

void CheckBackground(const CarePlan& plan, Missing& missing) {
  const careledger::v1::MedicalBackground& background = plan.medical_background();
  missing.Require(!background.main_diagnosis().empty(), "medical_background.main_diagnosis");
  missing.Require(background.has_who_performance_status() &&
                      background.who_performance_status() >= 0 &&
                      background.who_performance_status() <= 4,
                  "medical_background.who_performance_status");
  missing.Require(IsValidDate(background.who_assessed_on()), "medical_background.who_assessed_on");
  missing.Require(!background.prognosis().empty(), "medical_background.prognosis");
}

void CheckPreferences(const CarePlan& plan, Missing& missing) {
  const auto stated = [](const careledger::v1::PlaceOfCare& place) {
    return place.not_yet_discussed() || !place.first_preference().empty();
  };
  missing.Require(stated(plan.preferences().place_of_care()), "preferences.place_of_care");
  missing.Require(stated(plan.preferences().place_of_death()), "preferences.place_of_death");
}

void CheckResuscitation(const CarePlan& plan, Missing& missing) {
  const careledger::v1::Resuscitation& cpr = plan.resuscitation();
  if (cpr.discussed()) {
    missing.Require(!cpr.discussed_on().empty() &&
                        std::all_of(cpr.discussed_on().begin(), cpr.discussed_on().end(),
                                    [](const careledger::v1::Date& d) { return IsValidDate(d); }),
                    "resuscitation.discussed_on");
    missing.Require(!cpr.summary().empty(), "resuscitation.summary");
  } else {
    missing.Require(!cpr.reason_not_discussed().empty(), "resuscitation.reason_not_discussed");
  }
  missing.Require(cpr.decision() != careledger::v1::CPR_DECISION_UNSPECIFIED,
                  "resuscitation.decision");
  if (cpr.decision() != careledger::v1::CPR_DECISION_NOT_FOR_CPR) return;
  for (int q = careledger::v1::DNACPR_QUESTION_MENTAL_CAPACITY;
       q <= careledger::v1::DNACPR_QUESTION_RESPONSIBLE_CLINICIAN; ++q) {
    const bool answered = std::any_of(cpr.dnacpr_answers().begin(), cpr.dnacpr_answers().end(),
                                      [q](const careledger::v1::DnacprAnswer& a) {
                                        return a.question() == q && !a.answer().empty();
                                      });
    missing.Require(answered, fmt::format("resuscitation.dnacpr_answers[{}]",
                                          careledger::v1::DnacprQuestion_Name(q)));
  }
}

void CheckRest(const CarePlan& plan, Missing& missing) {
  missing.Require(!plan.clinical().recommendations().empty(), "clinical.recommendations");
  missing.Require(
      plan.clinical().ceiling_of_treatment() != careledger::v1::TREATMENT_CEILING_UNSPECIFIED,
      "clinical.ceiling_of_treatment");
  const careledger::v1::Allergies& allergies = plan.allergies();
  if (allergies.items().empty()) {
    missing.Require(allergies.no_known_allergies(), "allergies");
    if (allergies.no_known_allergies()) {
      missing.Require(
          allergies.no_allergies_source() != careledger::v1::NO_ALLERGIES_SOURCE_UNSPECIFIED,
          "allergies.no_allergies_source");
    }
  }
  missing.Require(IsValidDate(plan.review().review_on()), "review.review_on");
  missing.Require(!plan.review().reviewing_clinician().empty(), "review.reviewing_clinician");
}

absl::Status Refuse(std::string why) {
  return absl::FailedPreconditionError(fmt::format("cannot publish: {}", why));
}

}  // namespace

std::vector<std::string> MissingMandatoryFields(const CarePlan& plan) {
  Missing missing;
  CheckConsent(plan, missing);
  CheckDemographics(plan, missing);
  CheckBackground(plan, missing);
  CheckPreferences(plan, missing);
  CheckResuscitation(plan, missing);
  CheckRest(plan, missing);
  return missing.Take();
}

absl::Status CheckPublishable(const CarePlan& plan, const Directory& directory,
                              absl::CivilDay today) {
  if (std::vector<std::string> missing = MissingMandatoryFields(plan); !missing.empty()) {
    return Refuse(fmt::format("mandatory fields missing: {}", fmt::join(missing, ", ")));
  }
  const careledger::v1::CprDecision decision = plan.resuscitation().decision();
  const careledger::v1::TreatmentCeiling ceiling = plan.clinical().ceiling_of_treatment();
  if (decision == careledger::v1::CPR_DECISION_FOR_CPR &&
      ceiling != careledger::v1::TREATMENT_CEILING_FULL_ESCALATION) {
    return Refuse(fmt::format(
        "clinical.ceiling_of_treatment {} is inconsistent with resuscitation.decision FOR_CPR "
        "(attempted CPR implies full escalation)",
        careledger::v1::TreatmentCeiling_Name(ceiling)));
  }
  if (decision == careledger::v1::CPR_DECISION_NOT_FOR_CPR &&
      ceiling == careledger::v1::TREATMENT_CEILING_FULL_ESCALATION) {
    return Refuse(
        "clinical.ceiling_of_treatment FULL_ESCALATION is inconsistent with "
        "resuscitation.decision NOT_FOR_CPR");
  }
  if (plan.allergies().no_known_allergies() && !plan.allergies().items().empty()) {
    return Refuse("allergies are listed and also recorded as \"no known allergies\"");
  }
  const absl::CivilDay review_on = ToCivilDay(plan.review().review_on());
  if (review_on <= today) return Refuse("review.review_on must be after today");
  if (review_on > AddMonths(today, kMaxReviewMonths)) {
    return Refuse("review.review_on is more than a year away");
  }
  const DirectoryUser* reviewer = directory.FindUser(plan.review().reviewing_clinician());
  if (reviewer == nullptr || reviewer->user.role() != careledger::v1::ROLE_CLINICIAN) {
    return Refuse(fmt::format("review.reviewing_clinician {} is not a registered clinician",
                              plan.review().reviewing_clinician()));
  }
  return absl::OkStatus();
}

}  // namespace careledger::ledger
