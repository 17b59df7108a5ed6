// What a plan must hold to be published (ledger/publish_rules.h): each
// mandatory field of the care homes guide's table in turn, the consistency
// rules and the review date rules; directly, and through the writer, where
// a refused approval appends no plan event and records the attempt, and an
// approval without a review date gets the three-month default first.
#include "ledger/publish_rules.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <functional>

#include "events/plan_fold.h"
#include "events/plan_sections.h"
#include "ledger/dates.h"
#include "ledger/nhs_number.h"
#include "tests/ledger/ledger_world.h"

namespace careledger::ledger {
namespace {

using careledger::testing::CompletePlan;
using careledger::testing::DefaultNow;
using careledger::testing::IsOk;
using careledger::testing::LedgerWorld;
using careledger::testing::SampleDirectory;
using careledger::testing::StatusIs;
using careledger::v1::CarePlan;
using careledger::v1::Event;

struct FieldCase {
  std::string field;  // the path MissingMandatoryFields names
  std::function<void(CarePlan&)> clear;
};

void RemoveDnacprAnswer(CarePlan& plan, careledger::v1::DnacprQuestion question) {
  auto* answers = plan.mutable_resuscitation()->mutable_dnacpr_answers();
  for (int i = 0; i < answers->size(); ++i) {
    if (answers->Get(i).question() == question) {
      answers->DeleteSubrange(i, 1);
      return;
    }
  }
  ADD_FAILURE() << "the complete plan has no answer to " << question;
}

std::vector<FieldCase> MandatoryFieldCases() {
  std::vector<FieldCase> cases = {
      {"consent.basis", [](CarePlan& p) { p.mutable_consent()->clear_basis(); }},
      {"consent.justification",
       [](CarePlan& p) {
         p.mutable_consent()->set_basis(careledger::v1::CONSENT_BASIS_BEST_INTEREST);
         p.mutable_consent()->clear_justification();
       }},
      {"consent.obtained_on", [](CarePlan& p) { p.mutable_consent()->clear_obtained_on(); }},
      {"demographics.given_name",
       [](CarePlan& p) { p.mutable_demographics()->clear_given_name(); }},
      {"demographics.family_name",
       [](CarePlan& p) { p.mutable_demographics()->clear_family_name(); }},
      {"demographics.nhs_number",
       [](CarePlan& p) { p.mutable_demographics()->clear_nhs_number(); }},
      {"demographics.gender", [](CarePlan& p) { p.mutable_demographics()->clear_gender(); }},
      {"demographics.date_of_birth",
       [](CarePlan& p) { p.mutable_demographics()->clear_date_of_birth(); }},
      {"demographics.address", [](CarePlan& p) { p.mutable_demographics()->clear_address(); }},
      {"demographics.gp_practice_ods",
       [](CarePlan& p) {
         p.mutable_demographics()->clear_gp_practice_ods();
         p.mutable_demographics()->clear_gp_name();
       }},
      {"medical_background.main_diagnosis",
       [](CarePlan& p) { p.mutable_medical_background()->clear_main_diagnosis(); }},
      {"medical_background.who_performance_status",
       [](CarePlan& p) { p.mutable_medical_background()->clear_who_performance_status(); }},
      {"medical_background.who_assessed_on",
       [](CarePlan& p) { p.mutable_medical_background()->clear_who_assessed_on(); }},
      {"medical_background.prognosis",
       [](CarePlan& p) { p.mutable_medical_background()->clear_prognosis(); }},
      {"preferences.place_of_care",
       [](CarePlan& p) { p.mutable_preferences()->clear_place_of_care(); }},
      {"preferences.place_of_death",
       [](CarePlan& p) { p.mutable_preferences()->clear_place_of_death(); }},
      {"resuscitation.discussed_on",
       [](CarePlan& p) { p.mutable_resuscitation()->clear_discussed_on(); }},
      {"resuscitation.summary", [](CarePlan& p) { p.mutable_resuscitation()->clear_summary(); }},
      {"resuscitation.reason_not_discussed",
       [](CarePlan& p) {
         p.mutable_resuscitation()->set_discussed(false);
         p.mutable_resuscitation()->clear_discussed_on();
         p.mutable_resuscitation()->clear_summary();
       }},
      {"resuscitation.decision", [](CarePlan& p) { p.mutable_resuscitation()->clear_decision(); }},
      {"clinical.recommendations",
       [](CarePlan& p) { p.mutable_clinical()->clear_recommendations(); }},
      {"clinical.ceiling_of_treatment",
       [](CarePlan& p) { p.mutable_clinical()->clear_ceiling_of_treatment(); }},
      {"allergies", [](CarePlan& p) { p.clear_allergies(); }},
      {"allergies.no_allergies_source",
       [](CarePlan& p) {
         p.mutable_allergies()->clear_items();
         p.mutable_allergies()->set_no_known_allergies(true);
       }},
      {"review.review_on", [](CarePlan& p) { p.mutable_review()->clear_review_on(); }},
      {"review.reviewing_clinician",
       [](CarePlan& p) { p.mutable_review()->clear_reviewing_clinician(); }},
  };
  // The eight questions of a DNACPR decision, each in turn.
  for (int q = careledger::v1::DNACPR_QUESTION_MENTAL_CAPACITY;
       q <= careledger::v1::DNACPR_QUESTION_RESPONSIBLE_CLINICIAN; ++q) {
    const auto question = static_cast<careledger::v1::DnacprQuestion>(q);
    cases.push_back({fmt::format("resuscitation.dnacpr_answers[{}]",
                                 careledger::v1::DnacprQuestion_Name(question)),
                     [question](CarePlan& p) { RemoveDnacprAnswer(p, question); }});
  }
  return cases;
}

class PublishRulesTest : public ::testing::Test {
 protected:
  absl::CivilDay today_ = Today(DefaultNow());
  Directory directory_ = SampleDirectory(DefaultNow());
  CarePlan complete_ = CompletePlan(tools::kSamplePatient, today_);
};

TEST_F(PublishRulesTest, TheSampleCompletePlanIsPublishable) {
  EXPECT_TRUE(MissingMandatoryFields(complete_).empty());
  EXPECT_THAT(CheckPublishable(complete_, directory_, today_), IsOk());
}

TEST_F(PublishRulesTest, EachMissingMandatoryFieldIsNamed) {
  const std::vector<FieldCase> cases = MandatoryFieldCases();
  EXPECT_EQ(cases.size(), 34u);
  for (const FieldCase& field_case : cases) {
    SCOPED_TRACE(field_case.field);
    CarePlan plan = complete_;
    field_case.clear(plan);
    EXPECT_EQ(MissingMandatoryFields(plan), std::vector<std::string>{field_case.field});
    const absl::Status publishable = CheckPublishable(plan, directory_, today_);
    EXPECT_THAT(publishable, StatusIs(absl::StatusCode::kFailedPrecondition));
    EXPECT_NE(publishable.message().find(field_case.field), absl::string_view::npos) << publishable;
  }
}

TEST_F(PublishRulesTest, AnEmptyPlanLacksEveryTopLevelField) {
  const std::vector<std::string> missing = MissingMandatoryFields(CarePlan());
  for (const char* field : {"consent.basis",
                            "consent.obtained_on",
                            "demographics.given_name",
                            "demographics.family_name",
                            "demographics.nhs_number",
                            "demographics.gender",
                            "demographics.date_of_birth",
                            "demographics.address",
                            "demographics.gp_practice_ods",
                            "medical_background.main_diagnosis",
                            "medical_background.who_performance_status",
                            "medical_background.who_assessed_on",
                            "medical_background.prognosis",
                            "preferences.place_of_care",
                            "preferences.place_of_death",
                            "resuscitation.reason_not_discussed",
                            "resuscitation.decision",
                            "clinical.recommendations",
                            "clinical.ceiling_of_treatment",
                            "allergies",
                            "review.review_on",
                            "review.reviewing_clinician"}) {
    EXPECT_NE(std::find(missing.begin(), missing.end(), field), missing.end()) << field;
  }
  EXPECT_EQ(missing.size(), 22u);
  EXPECT_EQ(missing.front(), "consent.basis") << "in the table's order";
}

TEST_F(PublishRulesTest, AcceptedAlternativesForMandatoryFields) {
  const std::vector<std::pair<std::string, std::function<void(CarePlan&)>>> alternatives = {
      {"GP name without the practice code",
       [](CarePlan& p) { p.mutable_demographics()->clear_gp_practice_ods(); }},
      {"GP practice code without the GP's name",
       [](CarePlan& p) { p.mutable_demographics()->clear_gp_name(); }},
      {"WHO performance status 0",
       [](CarePlan& p) { p.mutable_medical_background()->set_who_performance_status(0); }},
      {"preferences not yet discussed",
       [](CarePlan& p) {
         p.mutable_preferences()->mutable_place_of_care()->Clear();
         p.mutable_preferences()->mutable_place_of_care()->set_not_yet_discussed(true);
         p.mutable_preferences()->mutable_place_of_death()->Clear();
         p.mutable_preferences()->mutable_place_of_death()->set_not_yet_discussed(true);
       }},
      {"CPR not discussed, with the reason",
       [](CarePlan& p) {
         p.mutable_resuscitation()->set_discussed(false);
         p.mutable_resuscitation()->clear_discussed_on();
         p.mutable_resuscitation()->clear_summary();
         p.mutable_resuscitation()->set_reason_not_discussed("patient too unwell today");
       }},
      {"for CPR needs no DNACPR answers",
       [](CarePlan& p) {
         p.mutable_resuscitation()->set_decision(careledger::v1::CPR_DECISION_FOR_CPR);
         p.mutable_resuscitation()->clear_dnacpr_answers();
         p.mutable_clinical()->set_ceiling_of_treatment(
             careledger::v1::TREATMENT_CEILING_FULL_ESCALATION);
       }},
      {"no known allergies, with the source",
       [](CarePlan& p) {
         p.mutable_allergies()->clear_items();
         p.mutable_allergies()->set_no_known_allergies(true);
         p.mutable_allergies()->set_no_allergies_source(
             careledger::v1::NO_ALLERGIES_SOURCE_PATIENT_REPORTS);
       }},
      {"best-interest consent with its justification",
       [](CarePlan& p) {
         p.mutable_consent()->set_basis(careledger::v1::CONSENT_BASIS_BEST_INTEREST);
         p.mutable_consent()->set_justification("lacks capacity; decided with the family");
       }},
      {"not for CPR, ward-based ceiling",
       [](CarePlan& p) {
         p.mutable_clinical()->set_ceiling_of_treatment(
             careledger::v1::TREATMENT_CEILING_WARD_BASED);
       }},
  };
  for (const auto& [what, change] : alternatives) {
    SCOPED_TRACE(what);
    CarePlan plan = complete_;
    change(plan);
    EXPECT_TRUE(MissingMandatoryFields(plan).empty());
    EXPECT_THAT(CheckPublishable(plan, directory_, today_), IsOk());
  }
}

TEST_F(PublishRulesTest, LastingPowerOfAttorneyNeedsItsJustification) {
  complete_.mutable_consent()->set_basis(careledger::v1::CONSENT_BASIS_LASTING_POWER_OF_ATTORNEY);
  EXPECT_EQ(MissingMandatoryFields(complete_), std::vector<std::string>{"consent.justification"});
}

TEST_F(PublishRulesTest, ForCprIsInconsistentWithAnyCeilingBelowFullEscalation) {
  complete_.mutable_resuscitation()->set_decision(careledger::v1::CPR_DECISION_FOR_CPR);
  for (auto ceiling : {careledger::v1::TREATMENT_CEILING_WARD_BASED,
                       careledger::v1::TREATMENT_CEILING_TREAT_AT_HOME,
                       careledger::v1::TREATMENT_CEILING_COMFORT_ONLY}) {
    complete_.mutable_clinical()->set_ceiling_of_treatment(ceiling);
    const absl::Status status = CheckPublishable(complete_, directory_, today_);
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kFailedPrecondition));
    EXPECT_NE(status.message().find(fmt::format(
                  "clinical.ceiling_of_treatment {} is inconsistent with resuscitation.decision "
                  "FOR_CPR",
                  careledger::v1::TreatmentCeiling_Name(ceiling))),
              absl::string_view::npos)
        << status;
  }
}

TEST_F(PublishRulesTest, NotForCprIsInconsistentWithFullEscalation) {
  complete_.mutable_clinical()->set_ceiling_of_treatment(
      careledger::v1::TREATMENT_CEILING_FULL_ESCALATION);
  const absl::Status status = CheckPublishable(complete_, directory_, today_);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_NE(status.message().find("clinical.ceiling_of_treatment FULL_ESCALATION is inconsistent "
                                  "with resuscitation.decision NOT_FOR_CPR"),
            absl::string_view::npos)
      << status;
}

TEST_F(PublishRulesTest, AllergiesListedAndNoneKnownIsRefused) {
  ASSERT_GT(complete_.allergies().items_size(), 0);
  complete_.mutable_allergies()->set_no_known_allergies(true);
  complete_.mutable_allergies()->set_no_allergies_source(
      careledger::v1::NO_ALLERGIES_SOURCE_NOT_KNOWN);
  const absl::Status status = CheckPublishable(complete_, directory_, today_);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_NE(status.message().find("allergies are listed and also recorded as \"no known "
                                  "allergies\""),
            absl::string_view::npos)
      << status;
}

TEST_F(PublishRulesTest, ReviewDateMustBeAfterTodayAndWithinAYear) {
  const std::vector<std::pair<absl::CivilDay, std::string>> refused = {
      {today_ - 30, "review.review_on must be after today"},
      {today_, "review.review_on must be after today"},
      {AddMonths(today_, 12) + 1, "review.review_on is more than a year away"},
      {AddMonths(today_, 24), "review.review_on is more than a year away"},
  };
  for (const auto& [day, message] : refused) {
    SCOPED_TRACE(message);
    *complete_.mutable_review()->mutable_review_on() = FromCivilDay(day);
    const absl::Status status = CheckPublishable(complete_, directory_, today_);
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kFailedPrecondition));
    EXPECT_NE(status.message().find(message), absl::string_view::npos) << status;
  }
  for (absl::CivilDay day : {today_ + 1, AddMonths(today_, 3), AddMonths(today_, 12)}) {
    *complete_.mutable_review()->mutable_review_on() = FromCivilDay(day);
    EXPECT_THAT(CheckPublishable(complete_, directory_, today_), IsOk()) << day;
  }
}

TEST_F(PublishRulesTest, ReviewingClinicianMustBeARegisteredClinician) {
  for (const char* who : {"dr.nobody", "admin.rosewood", "crew.lee", "proxy.jane"}) {
    complete_.mutable_review()->set_reviewing_clinician(who);
    const absl::Status status = CheckPublishable(complete_, directory_, today_);
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kFailedPrecondition));
    EXPECT_NE(status.message().find(
                  fmt::format("review.reviewing_clinician {} is not a registered clinician", who)),
              absl::string_view::npos)
        << status;
  }
  complete_.mutable_review()->set_reviewing_clinician("nurse.rosewood");
  EXPECT_THAT(CheckPublishable(complete_, directory_, today_), IsOk());
}

// ---- through the writer ----

class PublishThroughWriterTest : public ::testing::Test {
 protected:
  void SetUp() override { world_.DraftSamplePlan(); }

  // Replaces one section of the draft, then the GP tries to approve: refused
  // naming `field`; nothing reaches the plan; the attempt is recorded.
  void ExpectApprovalRefused(const careledger::v1::PlanSectionValue& section,
                             const std::string& field) {
    SCOPED_TRACE(field);
    world_.Apply(LedgerWorld::Update(world_.actors().care_home_admin, section));
    const std::string patient = PatientStream(tools::kSamplePatient);
    const std::size_t plan_events = world_.StreamEvents(patient).size();
    const std::vector<std::int64_t> mark = world_.Mark();
    const careledger::v1::CommandResult result =
        world_.Reject(LedgerWorld::Approve(world_.actors().gp), field);
    EXPECT_NE(result.error().find("cannot publish"), std::string::npos) << result.error();
    EXPECT_EQ(world_.StreamEvents(patient).size(), plan_events);
    const std::vector<Event> added = world_.EventsSince(mark);
    ASSERT_EQ(added.size(), 1u);
    EXPECT_EQ(added[0].access_recorded().outcome(), careledger::v1::ACCESS_OUTCOME_DENIED);
    EXPECT_EQ(added[0].access_recorded().action(), "approve_plan");
    EXPECT_EQ(added[0].access_recorded().reason(), result.error());
    EXPECT_EQ(world_.Plan().published_version(), 0u);
  }

  careledger::v1::PlanSectionValue Section(const std::string& name) {
    for (const careledger::v1::PlanSectionValue& section :
         tools::CompletePlanSections(tools::kSamplePatient, world_.today())) {
      if (events::SectionName(section) == name) return section;
    }
    ADD_FAILURE() << "no section " << name;
    return {};
  }

  LedgerWorld world_;
};

TEST_F(PublishThroughWriterTest, MissingPrognosisIsNamed) {
  careledger::v1::PlanSectionValue background = Section("medical_background");
  background.mutable_medical_background()->clear_prognosis();
  ExpectApprovalRefused(background, "medical_background.prognosis");
}

TEST_F(PublishThroughWriterTest, MissingDnacprAnswerIsNamed) {
  careledger::v1::PlanSectionValue cpr = Section("resuscitation");
  cpr.mutable_resuscitation()->mutable_dnacpr_answers()->RemoveLast();
  ExpectApprovalRefused(cpr, "resuscitation.dnacpr_answers[DNACPR_QUESTION_RESPONSIBLE_CLINICIAN]");
}

TEST_F(PublishThroughWriterTest, MissingAllergiesAndDemographicsAreAllNamed) {
  careledger::v1::PlanSectionValue allergies;
  allergies.mutable_allergies();  // an empty section: neither listed nor "none known"
  world_.Apply(LedgerWorld::Update(world_.actors().care_home_admin, allergies));
  careledger::v1::PlanSectionValue who = Section("demographics");
  who.mutable_demographics()->clear_gender();
  who.mutable_demographics()->clear_address();
  ExpectApprovalRefused(who,
                        "mandatory fields missing: demographics.gender, "
                        "demographics.address, allergies");
}

TEST_F(PublishThroughWriterTest, InconsistentCprDecisionIsRefused) {
  careledger::v1::PlanSectionValue clinical = Section("clinical");
  clinical.mutable_clinical()->set_ceiling_of_treatment(
      careledger::v1::TREATMENT_CEILING_FULL_ESCALATION);
  ExpectApprovalRefused(clinical, "inconsistent with resuscitation.decision NOT_FOR_CPR");
}

TEST_F(PublishThroughWriterTest, ReviewingClinicianWhoIsNotAClinicianIsRefused) {
  careledger::v1::PlanSectionValue review = Section("review");
  review.mutable_review()->set_reviewing_clinician("admin.rosewood");
  ExpectApprovalRefused(review,
                        "review.reviewing_clinician admin.rosewood is not a registered "
                        "clinician");
}

TEST_F(PublishThroughWriterTest, ReviewDateMoreThanAYearAwayIsRefused) {
  careledger::v1::PlanSectionValue review = Section("review");
  *review.mutable_review()->mutable_review_on() = FromCivilDay(AddMonths(world_.today(), 12) + 1);
  ExpectApprovalRefused(review, "review.review_on is more than a year away");
}

TEST_F(PublishThroughWriterTest, ApprovalDefaultsTheReviewDateToThreeMonths) {
  careledger::v1::PlanSectionValue review;
  review.mutable_review()->set_reviewing_clinician("dr.patel");  // no date
  world_.Apply(LedgerWorld::Update(world_.actors().care_home_admin, review));
  const std::string patient = PatientStream(tools::kSamplePatient);
  const std::size_t plan_events = world_.StreamEvents(patient).size();

  const careledger::v1::CommandResult approved =
      world_.Apply(LedgerWorld::Approve(world_.actors().gp));

  const std::vector<Event> events = world_.StreamEvents(patient);
  ASSERT_EQ(events.size(), plan_events + 2) << "the default review date, then the approval";
  const careledger::v1::Date expected = FromCivilDay(AddMonths(world_.today(), 3));
  const Event& defaulted = events[plan_events];
  ASSERT_TRUE(defaulted.has_plan_section_updated()) << defaulted.DebugString();
  EXPECT_EQ(defaulted.plan_section_updated().value().review().review_on().DebugString(),
            expected.DebugString());
  EXPECT_EQ(defaulted.plan_section_updated().value().review().reviewing_clinician(), "dr.patel");
  EXPECT_FALSE(defaulted.plan_section_updated().previous().review().has_review_on());
  EXPECT_EQ(defaulted.actor().user_id(), "dr.patel");
  const Event& approval = events[plan_events + 1];
  ASSERT_TRUE(approval.has_plan_approved());
  EXPECT_EQ(approval.plan_approved().version(), 1u);
  EXPECT_EQ(approved.stream_seq(), approval.stream_seq()) << "the answer cites the approval";

  const careledger::v1::PlanState plan = world_.Plan();
  EXPECT_EQ(plan.lifecycle(), careledger::v1::PLAN_LIFECYCLE_PUBLISHED);
  EXPECT_EQ(plan.review_due().DebugString(), expected.DebugString());
  EXPECT_EQ(plan.published().review().review_on().DebugString(), expected.DebugString());
}

TEST_F(PublishThroughWriterTest, RefusedApprovalAppendsNoDefaultReviewDate) {
  careledger::v1::PlanSectionValue review;
  review.mutable_review()->set_reviewing_clinician("dr.patel");
  world_.Apply(LedgerWorld::Update(world_.actors().care_home_admin, review));
  careledger::v1::PlanSectionValue background = Section("medical_background");
  background.mutable_medical_background()->clear_main_diagnosis();
  ExpectApprovalRefused(background, "medical_background.main_diagnosis");
  EXPECT_FALSE(world_.Plan().draft().review().has_review_on());
}

TEST_F(PublishThroughWriterTest, OutOfRangeWhoStatusIsRefusedAsAnEdit) {
  careledger::v1::PlanSectionValue background = Section("medical_background");
  background.mutable_medical_background()->set_who_performance_status(5);
  world_.Reject(LedgerWorld::Update(world_.actors().care_home_admin, background),
                "the WHO performance status is 0 to 4");
}

}  // namespace
}  // namespace careledger::ledger
