// The care plan workflow end to end through the writer (ledger/plan_rules.h,
// DESIGN §6): submission, editing a published plan while urgent care keeps
// seeing the published version, discarding, reviews, death and withdrawal,
// restriction and break-glass, urgent-care notes, myCMC, NHS numbers, and
// the idempotency of refusals.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "events/plan_fold.h"
#include "ledger/dates.h"
#include "ledger/decide.h"
#include "ledger/nhs_number.h"
#include "ledger/plan_rules.h"
#include "tests/ledger/ledger_world.h"

namespace careledger::ledger {
namespace {

using careledger::testing::LedgerWorld;
using careledger::v1::Actor;
using careledger::v1::Command;
using careledger::v1::CommandResult;
using careledger::v1::Event;
using careledger::v1::PlanState;

const std::string kPatientStream = PatientStream(tools::kSamplePatient);

careledger::v1::PlanSectionValue MedicationsEdit(const std::string& name) {
  careledger::v1::PlanSectionValue value;
  careledger::v1::Medication* medication = value.mutable_medications()->add_items();
  medication->set_name(name);
  medication->set_dose("5 mg");
  return value;
}

class WorkflowTest : public ::testing::Test {
 protected:
  // The sample world with the patient's plan drafted, and one with it published.
  static const LedgerWorld& Drafted() {
    static auto* world = [] {
      auto* w = new LedgerWorld();
      w->DraftSamplePlan();
      return w;
    }();
    return *world;
  }
  static const LedgerWorld& Published() {
    static auto* world = [] {
      auto* w = new LedgerWorld();
      w->PublishSamplePlan();
      return w;
    }();
    return *world;
  }

  const tools::SampleActors& a() const { return world_->actors(); }

  // The result of a granted read (APPLIED, with the grant), else fails.
  careledger::v1::ViewGrant Granted(const Command& view) {
    const CommandResult result = world_->Apply(view);
    EXPECT_TRUE(result.has_view());
    return result.view();
  }

  // The access record the last command appended (one record expected).
  careledger::v1::AccessRecorded AccessRecordOf(const Command& command, CommandResult* result) {
    const std::vector<std::int64_t> mark = world_->Mark();
    *result = world_->Submit(command);
    const std::vector<Event> added = world_->EventsSince(mark);
    EXPECT_EQ(added.size(), 1u);
    if (added.empty()) return {};
    EXPECT_TRUE(added.back().has_access_recorded()) << added.back().DebugString();
    return added.back().access_recorded();
  }

  std::unique_ptr<LedgerWorld> world_;
};

// ---- submission and approval ----

TEST_F(WorkflowTest, AdministratorCannotApproveButSubmitsToAClinician) {
  world_ = Drafted().Clone();
  world_->Reject(LedgerWorld::Approve(a().care_home_admin),
                 "only a registered clinician may approve (publish) a plan");
  EXPECT_EQ(world_->Plan().published_version(), 0u);
  world_->Apply(LedgerWorld::SubmitTo(a().care_home_admin, "dr.patel", ""));
  PlanState plan = world_->Plan();
  EXPECT_EQ(plan.submission().to_user(), "dr.patel");
  EXPECT_EQ(plan.submission().by_user(), "admin.rosewood");
  world_->Apply(LedgerWorld::Approve(a().gp));
  plan = world_->Plan();
  EXPECT_EQ(plan.lifecycle(), careledger::v1::PLAN_LIFECYCLE_PUBLISHED);
  EXPECT_EQ(plan.published_version(), 1u);
  EXPECT_FALSE(plan.has_submission()) << "approval settles the submission";
}

TEST_F(WorkflowTest, SubmitToAnOrganisation) {
  world_ = Drafted().Clone();
  world_->Apply(LedgerWorld::SubmitTo(a().care_home_admin, "", tools::kGpPracticeOds));
  EXPECT_EQ(world_->Plan().submission().to_organisation(), tools::kGpPracticeOds);
}

TEST_F(WorkflowTest, SubmitToUnknownOrUnsuitableRecipientsIsRefused) {
  world_ = Drafted().Clone();
  world_->Reject(LedgerWorld::SubmitTo(a().care_home_admin, "dr.nobody", ""),
                 "dr.nobody is not a registered clinician");
  world_->Reject(LedgerWorld::SubmitTo(a().care_home_admin, "admin.rosewood", ""),
                 "admin.rosewood is not a registered clinician");
  world_->Reject(LedgerWorld::SubmitTo(a().care_home_admin, "", "XX0000"),
                 "organisation XX0000 is not registered");
  world_->Reject(LedgerWorld::SubmitTo(a().care_home_admin, "", ""), "say who should approve it");
  EXPECT_FALSE(world_->Plan().has_submission());
}

// ---- editing a published plan ----

TEST_F(WorkflowTest, EditingKeepsThePublishedVersionVisibleUntilApproved) {
  world_ = Published().Clone();
  const careledger::v1::ViewGrant v1 = Granted(LedgerWorld::View(a().ambulance));
  EXPECT_EQ(v1.version(), 1u);
  EXPECT_EQ(v1.content_hash(), world_->Plan().version_hashes(0));

  world_->Apply(LedgerWorld::Update(a().care_home_admin, MedicationsEdit("Morphine")));
  EXPECT_EQ(world_->Plan().lifecycle(), careledger::v1::PLAN_LIFECYCLE_EDITING);

  // Urgent care still sees version 1, and never the draft.
  const careledger::v1::ViewGrant during = Granted(LedgerWorld::View(a().ambulance));
  EXPECT_EQ(during.version(), 1u);
  EXPECT_EQ(during.content_hash(), v1.content_hash());
  world_->Reject(LedgerWorld::View(a().ambulance, careledger::v1::PLAN_VIEW_DRAFT),
                 "role ROLE_URGENT_CARE sees published plans only");
  world_->Reject(LedgerWorld::View(a().patient, careledger::v1::PLAN_VIEW_DRAFT),
                 "sees published plans only");
  world_->Reject(LedgerWorld::View(a().ambulance, careledger::v1::PLAN_VIEW_HISTORY),
                 "sees published plans only");
  // The editors see the draft, whose hash is the working draft's.
  const careledger::v1::ViewGrant draft =
      Granted(LedgerWorld::View(a().gp, careledger::v1::PLAN_VIEW_DRAFT));
  EXPECT_NE(draft.content_hash(), v1.content_hash());
  EXPECT_EQ(draft.content_hash(),
            events::HashBytes(events::PlanContentHash(world_->Plan().draft())));

  // Approval publishes version 2: exactly the draft that was shown.
  world_->Apply(LedgerWorld::Approve(a().gp));
  const careledger::v1::ViewGrant v2 = Granted(LedgerWorld::View(a().ambulance));
  EXPECT_EQ(v2.version(), 2u);
  EXPECT_EQ(v2.content_hash(), draft.content_hash());
  // Version 1 stays readable as a version.
  Command old = LedgerWorld::View(a().ambulance, careledger::v1::PLAN_VIEW_VERSION);
  old.mutable_view_plan()->set_version(1);
  EXPECT_EQ(Granted(old).content_hash(), v1.content_hash());
  old = LedgerWorld::View(a().ambulance, careledger::v1::PLAN_VIEW_VERSION);
  old.mutable_view_plan()->set_version(3);
  world_->Reject(old, "there is no published version 3");
}

TEST_F(WorkflowTest, DiscardDropsTheDraftAndKeepsThePublishedVersion) {
  world_ = Published().Clone();
  const PlanState before = world_->Plan();
  world_->Apply(LedgerWorld::Update(a().care_home_admin, MedicationsEdit("Haloperidol")));
  world_->Apply(LedgerWorld::Discard(a().care_home_admin));
  const PlanState after = world_->Plan();
  EXPECT_EQ(after.lifecycle(), careledger::v1::PLAN_LIFECYCLE_PUBLISHED);
  EXPECT_FALSE(after.draft_pending());
  EXPECT_EQ(after.draft().DebugString(), before.published().DebugString());
  EXPECT_EQ(after.published_version(), 1u);
  world_->Reject(LedgerWorld::View(a().gp, careledger::v1::PLAN_VIEW_DRAFT),
                 "the plan has no working draft");
  world_->Reject(LedgerWorld::Discard(a().care_home_admin), "the plan has no working draft");
}

TEST_F(WorkflowTest, NeverPublishedDraftCannotBeDiscarded) {
  world_ = Drafted().Clone();
  world_->Reject(LedgerWorld::Discard(a().gp), "never published has no version to go back to");
}

TEST_F(WorkflowTest, ADemographicsEditCannotMoveThePlanToAnotherPatient) {
  world_ = Published().Clone();
  careledger::v1::PlanSectionValue who;
  who.mutable_demographics()->set_nhs_number("9990000026");
  world_->Reject(LedgerWorld::Update(a().gp, who), "must be the plan's own NHS number");
}

// ---- review ----

TEST_F(WorkflowTest, ReviewMovesTheReviewDate) {
  world_ = Published().Clone();
  const absl::CivilDay today = world_->today();
  const careledger::v1::Date six_months = FromCivilDay(AddMonths(today, 6));
  world_->Apply(LedgerWorld::Review(a().gp, &six_months));
  EXPECT_EQ(world_->Plan().review_due().DebugString(), six_months.DebugString());
  world_->Apply(LedgerWorld::Review(a().gp, nullptr));
  EXPECT_EQ(world_->Plan().review_due().DebugString(),
            FromCivilDay(AddMonths(today, 3)).DebugString())
      << "three months by default";
  const careledger::v1::Date past = FromCivilDay(today - 1);
  world_->Reject(LedgerWorld::Review(a().gp, &past), "after today and within a year");
  const careledger::v1::Date too_far = FromCivilDay(AddMonths(today, 12) + 1);
  world_->Reject(LedgerWorld::Review(a().gp, &too_far), "after today and within a year");
  EXPECT_EQ(world_->Plan().review_due().DebugString(),
            FromCivilDay(AddMonths(today, 3)).DebugString());
  world_->Reject(LedgerWorld::Review(a().care_home_admin, nullptr), "may not review_plan");
}

// ---- death and withdrawal ----

TEST_F(WorkflowTest, DeathRecordsWhetherThePreferredPlaceWasMet) {
  const std::vector<std::pair<std::string, careledger::v1::PreferredPlaceMet>> cases = {
      {"Rosewood Care Home", careledger::v1::PREFERRED_PLACE_MET_FIRST},
      {"  rosewood care HOME ", careledger::v1::PREFERRED_PLACE_MET_FIRST},
      {"St Anne's Hospice", careledger::v1::PREFERRED_PLACE_MET_SECOND},
      {"Royal London Hospital", careledger::v1::PREFERRED_PLACE_MET_NOT_MET},
  };
  for (const auto& [place, met] : cases) {
    SCOPED_TRACE(place);
    world_ = Published().Clone();
    world_->Apply(
        LedgerWorld::Death(a().care_home_nurse, FromCivilDay(world_->today() - 1), place));
    const PlanState plan = world_->Plan();
    EXPECT_EQ(plan.lifecycle(), careledger::v1::PLAN_LIFECYCLE_CLOSED);
    EXPECT_EQ(plan.death().preferred_place_met(), met);
    EXPECT_EQ(plan.death().place(), place);
  }
}

TEST_F(WorkflowTest, DeathWithNoPreferenceRecordedSaysSo) {
  world_ = Published().Clone();
  careledger::v1::PlanSectionValue preferences;
  preferences.mutable_preferences()->mutable_place_of_care()->set_not_yet_discussed(true);
  preferences.mutable_preferences()->mutable_place_of_death()->set_not_yet_discussed(true);
  world_->Apply(LedgerWorld::Update(a().gp, preferences));
  world_->Apply(LedgerWorld::Approve(a().gp));
  world_->Apply(LedgerWorld::Death(a().gp, FromCivilDay(world_->today()), "Rosewood Care Home"));
  EXPECT_EQ(world_->Plan().death().preferred_place_met(),
            careledger::v1::PREFERRED_PLACE_MET_NOT_DISCUSSED);
}

TEST_F(WorkflowTest, DeathIsComparedWithThePublishedPreferenceNotTheDraft) {
  world_ = Published().Clone();
  careledger::v1::PlanSectionValue preferences;
  preferences.mutable_preferences()->mutable_place_of_care()->set_first_preference("Home");
  preferences.mutable_preferences()->mutable_place_of_death()->set_first_preference("Home");
  world_->Apply(LedgerWorld::Update(a().gp, preferences));  // not approved
  world_->Apply(LedgerWorld::Death(a().gp, FromCivilDay(world_->today()), "Rosewood Care Home"));
  EXPECT_EQ(world_->Plan().death().preferred_place_met(),
            careledger::v1::PREFERRED_PLACE_MET_FIRST);
}

TEST_F(WorkflowTest, DeathNeedsAPastDateAndAPlace) {
  world_ = Published().Clone();
  world_->Reject(LedgerWorld::Death(a().gp, FromCivilDay(world_->today() + 1), "Home"),
                 "the date of death must be a date no later than today");
  world_->Reject(LedgerWorld::Death(a().gp, FromCivilDay(world_->today()), ""),
                 "say where the patient died");
  EXPECT_EQ(world_->Plan().lifecycle(), careledger::v1::PLAN_LIFECYCLE_PUBLISHED);
}

TEST_F(WorkflowTest, ClosedPlanTakesNoMoreChanges) {
  world_ = Published().Clone();
  world_->Apply(LedgerWorld::Death(a().gp, FromCivilDay(world_->today()), "Rosewood Care Home"));
  const std::size_t closed_at = world_->StreamEvents(kPatientStream).size();
  for (const Command& change :
       {LedgerWorld::Update(a().gp, MedicationsEdit("Morphine")),
        LedgerWorld::Update(a().care_home_admin, MedicationsEdit("Morphine")),
        LedgerWorld::Approve(a().gp), LedgerWorld::Review(a().gp, nullptr),
        LedgerWorld::Restrict(a().gp, {}), LedgerWorld::Withdraw(a().gp),
        LedgerWorld::Note(a().ambulance, "called"),
        LedgerWorld::Request(a().patient, careledger::v1::PATIENT_REQUEST_KIND_CHANGE)}) {
    world_->Reject(change, "the plan is closed");
  }
  EXPECT_EQ(world_->StreamEvents(kPatientStream).size(), closed_at);
  // It is still readable (a closed plan is not withdrawn).
  EXPECT_EQ(Granted(LedgerWorld::View(a().gp)).version(), 1u);
}

TEST_F(WorkflowTest, WithdrawnPlanIsRemovedFromViewButForTheCmcTeam) {
  world_ = Published().Clone();
  world_->Apply(LedgerWorld::Withdraw(a().care_home_admin));
  EXPECT_EQ(world_->Plan().lifecycle(), careledger::v1::PLAN_LIFECYCLE_WITHDRAWN);
  EXPECT_EQ(world_->Plan().withdrawal().withdrawn_on().DebugString(),
            FromCivilDay(world_->today()).DebugString());
  for (const Actor& reader :
       {a().gp, a().care_home_admin, a().ambulance, a().nhs111, a().patient, a().proxy}) {
    world_->Reject(LedgerWorld::View(reader),
                   "consent was withdrawn: the plan is removed from view");
  }
  EXPECT_EQ(Granted(LedgerWorld::View(a().auditor)).version(), 1u);
  world_->Reject(LedgerWorld::Update(a().gp, MedicationsEdit("x")), "consent was withdrawn");
}

TEST_F(WorkflowTest, WithdrawalDateCannotBeInTheFuture) {
  world_ = Published().Clone();
  Command withdraw = LedgerWorld::Withdraw(a().gp);
  *withdraw.mutable_withdraw_consent()->mutable_withdrawn_on() = FromCivilDay(world_->today() + 1);
  world_->Reject(withdraw, "withdrawn_on must be a date no later than today");
}

// ---- restriction and break-glass ----

TEST_F(WorkflowTest, RestrictedPlanIsForNamedUsersAndBreakGlassReadsAreFlagged) {
  world_ = Published().Clone();
  world_->Apply(LedgerWorld::Restrict(a().gp, {"nurse.rosewood"}));
  const PlanState plan = world_->Plan();
  ASSERT_TRUE(plan.has_restriction());
  EXPECT_EQ(plan.restriction().by_user(), "dr.patel");

  // Named users (and the restricting clinician) read it, flagged restricted.
  for (const Actor& named : {a().gp, a().care_home_nurse}) {
    const careledger::v1::ViewGrant grant = Granted(LedgerWorld::View(named));
    EXPECT_TRUE(grant.restricted());
    EXPECT_FALSE(grant.break_glass());
  }
  // Anyone else is refused, and the refusal recorded.
  for (const Actor& other : {a().care_home_admin, a().ambulance, a().nhs111, a().auditor}) {
    CommandResult result;
    const careledger::v1::AccessRecorded record = AccessRecordOf(LedgerWorld::View(other), &result);
    EXPECT_EQ(result.outcome(), careledger::v1::OUTCOME_REJECTED);
    EXPECT_NE(result.error().find("give a break-glass reason"), std::string::npos)
        << result.error();
    EXPECT_EQ(record.outcome(), careledger::v1::ACCESS_OUTCOME_DENIED);
  }

  // Break-glass: granted read-only, flagged in the answer and the record.
  CommandResult result;
  const careledger::v1::AccessRecorded record =
      AccessRecordOf(LedgerWorld::View(a().ambulance, careledger::v1::PLAN_VIEW_PUBLISHED,
                                       "unconscious patient, no other record available"),
                     &result);
  EXPECT_EQ(result.outcome(), careledger::v1::OUTCOME_APPLIED) << result.error();
  EXPECT_TRUE(result.view().break_glass());
  EXPECT_TRUE(result.view().restricted());
  EXPECT_EQ(result.view().version(), 1u);
  EXPECT_EQ(record.outcome(), careledger::v1::ACCESS_OUTCOME_GRANTED);
  EXPECT_TRUE(record.break_glass());
  EXPECT_TRUE(record.restricted());
  EXPECT_EQ(record.break_glass_reason(), "unconscious patient, no other record available");

  // Break-glass never writes.
  world_->Reject(LedgerWorld::Note(a().ambulance, "seen"), "the plan is restricted to named users");
  world_->Reject(LedgerWorld::Update(a().care_home_admin, MedicationsEdit("x")),
                 "the plan is restricted to named users");
}

TEST_F(WorkflowTest, NamedUsersMayEditARestrictedPlanAndTheRestrictionCanBeLifted) {
  world_ = Published().Clone();
  world_->Apply(LedgerWorld::Restrict(a().gp, {"nurse.rosewood"}));
  world_->Apply(LedgerWorld::Update(a().care_home_nurse, MedicationsEdit("Morphine")));
  world_->Reject(LedgerWorld::Lift(a().care_home_admin), "may not lift_restriction");
  world_->Apply(LedgerWorld::Lift(a().gp));
  EXPECT_FALSE(world_->Plan().has_restriction());
  const careledger::v1::ViewGrant grant = Granted(LedgerWorld::View(a().care_home_admin));
  EXPECT_FALSE(grant.restricted());
  EXPECT_FALSE(grant.break_glass());
  world_->Reject(LedgerWorld::Lift(a().gp), "the plan is not restricted");
}

TEST_F(WorkflowTest, RestrictionNeedsAReasonAndRegisteredUsers) {
  world_ = Published().Clone();
  Command no_reason = LedgerWorld::Restrict(a().gp, {});
  no_reason.mutable_restrict_plan()->clear_reason();
  world_->Reject(no_reason, "restricting a plan needs a reason");
  world_->Reject(LedgerWorld::Restrict(a().gp, {"dr.nobody"}), "user dr.nobody is not registered");
  EXPECT_FALSE(world_->Plan().has_restriction());
}

// ---- urgent care notes ----

TEST_F(WorkflowTest, UrgentCareNotesAreBoundedAndDoNotChangeTheContent) {
  world_ = Published().Clone();
  const careledger::v1::ViewGrant before = Granted(LedgerWorld::View(a().nhs111));
  world_->Apply(LedgerWorld::Note(a().ambulance, std::string(kMaxNoteLength, 'n')));
  world_->Reject(LedgerWorld::Note(a().ambulance, std::string(kMaxNoteLength + 1, 'n')),
                 "a note is at most 500 characters (this one has 501)");
  world_->Reject(LedgerWorld::Note(a().ambulance, ""), "the note is empty");
  world_->Apply(LedgerWorld::Note(a().nhs111, "Advised the family; GP to visit in the morning."));
  const careledger::v1::ViewGrant after = Granted(LedgerWorld::View(a().nhs111));
  EXPECT_EQ(after.version(), before.version());
  EXPECT_EQ(after.content_hash(), before.content_hash());
  const PlanState plan = world_->Plan();
  ASSERT_EQ(plan.notes_size(), 2);
  EXPECT_EQ(plan.notes(0).text().size(), kMaxNoteLength);
  EXPECT_EQ(plan.notes(0).by().user_id(), "crew.lee");
  EXPECT_EQ(plan.notes(1).by().user_id(), "call.okafor");
  EXPECT_EQ(events::HashBytes(events::PlanContentHash(plan.published())), before.content_hash());
  EXPECT_FALSE(plan.draft_pending()) << "a note is not an edit";
}

// ---- myCMC ----

class MyCmcTest : public WorkflowTest {
 protected:
  static constexpr char kOtherPatient[] = "9990000026";

  void SetUp() override {
    world_ = Published().Clone();
    careledger::v1::User other = world_->SampleUser("patient.9990000018");
    other.set_user_id("patient.9990000026");
    other.set_nhs_number(kOtherPatient);
    world_->Apply(world_->RecordUser(other));
    careledger::v1::User proxy = world_->SampleUser("proxy.jane");
    proxy.set_user_id("proxy.tom");
    world_->Apply(world_->RecordUser(proxy));
    other_patient_ = a().patient;
    other_patient_.set_user_id("patient.9990000026");
    other_proxy_ = a().proxy;
    other_proxy_.set_user_id("proxy.tom");
  }

  Actor other_patient_;
  Actor other_proxy_;
};

TEST_F(MyCmcTest, PatientSeesOnlyTheirOwnSubscribedPublishedPlan) {
  EXPECT_EQ(Granted(LedgerWorld::View(a().patient)).version(), 1u);
  world_->Reject(LedgerWorld::View(other_patient_), "a patient may only see their own plan");
  world_->Reject(LedgerWorld::View(a().patient, careledger::v1::PLAN_VIEW_DRAFT),
                 "sees published plans only");
}

TEST_F(MyCmcTest, UnsubscribedPlanIsNotShownToThePatientUntilSubscribed) {
  world_->DraftSamplePlan(kOtherPatient);
  careledger::v1::PlanSectionValue unsubscribed;
  unsubscribed.mutable_mycmc()->set_subscribed(false);
  world_->Apply(LedgerWorld::Update(a().gp, unsubscribed, kOtherPatient));
  world_->Apply(LedgerWorld::Approve(a().gp, kOtherPatient));
  world_->Reject(
      LedgerWorld::View(other_patient_, careledger::v1::PLAN_VIEW_PUBLISHED, "", kOtherPatient),
      "the plan is not subscribed to myCMC");
  world_->Reject(LedgerWorld::Request(other_patient_, careledger::v1::PATIENT_REQUEST_KIND_CHANGE,
                                      kOtherPatient),
                 "change requests need a published plan subscribed to myCMC");
  careledger::v1::PlanSectionValue subscribed;
  subscribed.mutable_mycmc()->set_subscribed(true);
  world_->Apply(LedgerWorld::Update(a().gp, subscribed, kOtherPatient));
  // only the published version counts
  world_->Reject(
      LedgerWorld::View(other_patient_, careledger::v1::PLAN_VIEW_PUBLISHED, "", kOtherPatient),
      "the plan is not subscribed to myCMC");
  world_->Apply(LedgerWorld::Approve(a().gp, kOtherPatient));
  EXPECT_EQ(Granted(LedgerWorld::View(other_patient_, careledger::v1::PLAN_VIEW_PUBLISHED, "",
                                      kOtherPatient))
                .version(),
            2u);
}

TEST_F(MyCmcTest, ProxySeesThePlanOnlyWhenNamedOnIt) {
  EXPECT_EQ(Granted(LedgerWorld::View(a().proxy)).version(), 1u);
  world_->Reject(LedgerWorld::View(other_proxy_), "this proxy viewer is not named on the plan");
  world_->Reject(LedgerWorld::Request(other_proxy_, careledger::v1::PATIENT_REQUEST_KIND_CHANGE),
                 "this proxy viewer is not named on the patient's plan");
  // Naming a user who is not a proxy viewer is refused.
  careledger::v1::PlanSectionValue mycmc;
  mycmc.mutable_mycmc()->set_subscribed(true);
  mycmc.mutable_mycmc()->add_proxy_viewers()->set_user_id("crew.lee");
  world_->Reject(LedgerWorld::Update(a().gp, mycmc),
                 "proxy viewer crew.lee is not registered as a proxy viewer");
  // Named (and published): let in.
  mycmc.mutable_mycmc()->mutable_proxy_viewers(0)->set_user_id("proxy.tom");
  world_->Apply(LedgerWorld::Update(a().gp, mycmc));
  // named on the draft only
  world_->Reject(LedgerWorld::View(other_proxy_), "not named on the plan");
  world_->Apply(LedgerWorld::Approve(a().gp));
  EXPECT_EQ(Granted(LedgerWorld::View(other_proxy_)).version(), 2u);
  // no longer named
  world_->Reject(LedgerWorld::View(a().proxy), "not named on the plan");
}

TEST_F(MyCmcTest, PatientAsksForAPlanWhenNoneExists) {
  const Command ask = LedgerWorld::Request(
      other_patient_, careledger::v1::PATIENT_REQUEST_KIND_INITIATE_PLAN, kOtherPatient);
  world_->Apply(ask);
  PlanState plan = world_->Plan(kOtherPatient);
  EXPECT_EQ(plan.lifecycle(), careledger::v1::PLAN_LIFECYCLE_UNSPECIFIED);
  ASSERT_EQ(plan.requests_size(), 1);
  EXPECT_EQ(plan.requests(0).request_id(), ask.command_id());
  EXPECT_EQ(plan.requests(0).kind(), careledger::v1::PATIENT_REQUEST_KIND_INITIATE_PLAN);
  EXPECT_EQ(plan.requests(0).by_user(), "patient.9990000026");
  // Only about their own record; only the patient; only when there is no plan.
  world_->Reject(
      LedgerWorld::Request(other_patient_, careledger::v1::PATIENT_REQUEST_KIND_INITIATE_PLAN,
                           "9990000034"),
      "a patient may only see or ask about their own plan");
  world_->Reject(LedgerWorld::Request(a().proxy, careledger::v1::PATIENT_REQUEST_KIND_INITIATE_PLAN,
                                      kOtherPatient),
                 "only the patient may ask for a plan to be started");
  world_->Reject(
      LedgerWorld::Request(a().patient, careledger::v1::PATIENT_REQUEST_KIND_INITIATE_PLAN),
      "this patient already has a plan");
  // A professional starts the plan and resolves the request.
  world_->Apply(world_->StartPlan(a().care_home_admin, kOtherPatient));
  world_->Apply(LedgerWorld::Resolve(a().care_home_admin, ask.command_id(),
                                     careledger::v1::REQUEST_RESOLUTION_RESOLVED, kOtherPatient));
  plan = world_->Plan(kOtherPatient);
  EXPECT_EQ(plan.requests(0).resolution(), careledger::v1::REQUEST_RESOLUTION_RESOLVED);
  EXPECT_EQ(plan.requests(0).resolved_by(), "admin.rosewood");
}

TEST_F(MyCmcTest, ChangeRequestsAreResolvedOrDeclinedByProfessionals) {
  const Command change =
      LedgerWorld::Request(a().patient, careledger::v1::PATIENT_REQUEST_KIND_CHANGE);
  world_->Apply(change);
  const Command from_proxy =
      LedgerWorld::Request(a().proxy, careledger::v1::PATIENT_REQUEST_KIND_CHANGE);
  world_->Apply(from_proxy);
  Command empty = LedgerWorld::Request(a().patient, careledger::v1::PATIENT_REQUEST_KIND_CHANGE);
  empty.mutable_make_patient_request()->clear_text();
  world_->Reject(empty, "a request says what is wanted");
  Command no_kind = LedgerWorld::Request(a().patient, careledger::v1::PATIENT_REQUEST_KIND_CHANGE);
  no_kind.mutable_make_patient_request()->clear_kind();
  world_->Reject(no_kind, "say what kind of request it is");

  world_->Reject(LedgerWorld::Resolve(a().patient, change.command_id(),
                                      careledger::v1::REQUEST_RESOLUTION_RESOLVED),
                 "may not resolve_patient_request");
  world_->Reject(LedgerWorld::Resolve(a().gp, change.command_id(),
                                      careledger::v1::REQUEST_RESOLUTION_UNSPECIFIED),
                 "say whether the request is resolved or declined");
  world_->Apply(LedgerWorld::Resolve(a().gp, change.command_id(),
                                     careledger::v1::REQUEST_RESOLUTION_RESOLVED));
  world_->Apply(LedgerWorld::Resolve(a().care_home_admin, from_proxy.command_id(),
                                     careledger::v1::REQUEST_RESOLUTION_DECLINED));
  const PlanState plan = world_->Plan();
  ASSERT_EQ(plan.requests_size(), 2);
  EXPECT_EQ(plan.requests(0).resolution(), careledger::v1::REQUEST_RESOLUTION_RESOLVED);
  EXPECT_EQ(plan.requests(0).resolved_by(), "dr.patel");
  EXPECT_EQ(plan.requests(1).resolution(), careledger::v1::REQUEST_RESOLUTION_DECLINED);
  EXPECT_EQ(plan.requests(1).by_user(), "proxy.jane");
  EXPECT_FALSE(plan.draft_pending()) << "a request does not change the plan";

  world_->Reject(
      LedgerWorld::Resolve(a().gp, "no-such-request", careledger::v1::REQUEST_RESOLUTION_RESOLVED),
      "there is no open request no-such-request on this plan");
  // a request is settled once
  world_->Reject(LedgerWorld::Resolve(a().gp, change.command_id(),
                                      careledger::v1::REQUEST_RESOLUTION_DECLINED),
                 fmt::format("there is no open request {}", change.command_id()));
}

// ---- NHS numbers ----

TEST_F(WorkflowTest, InvalidNhsNumbersAreRefusedAndRecorded) {
  world_ = Published().Clone();
  for (const char* bad : {"9990000017", "999000001", "99900000180", "99900x0018"}) {
    SCOPED_TRACE(bad);
    CommandResult result;
    const careledger::v1::AccessRecorded record =
        AccessRecordOf(world_->StartPlan(a().care_home_admin, bad), &result);
    EXPECT_EQ(result.outcome(), careledger::v1::OUTCOME_REJECTED);
    EXPECT_FALSE(result.error().empty());
    EXPECT_TRUE(result.stream_id().starts_with("access/"));
    EXPECT_EQ(record.outcome(), careledger::v1::ACCESS_OUTCOME_DENIED);
    EXPECT_EQ(record.action(), "start_plan");
    EXPECT_EQ(record.nhs_number(), bad);
    EXPECT_EQ(record.reason(), result.error());
    EXPECT_TRUE(world_->StreamEvents(PatientStream(bad)).empty());
  }
  world_->Reject(world_->StartPlan(a().care_home_admin, "9990000019"),
                 "NHS number '9990000019' fails the modulus 11 check");
  world_->Reject(world_->StartPlan(a().care_home_admin, "999000001"),
                 "NHS number '999000001' must be exactly 10 digits");
  world_->Reject(LedgerWorld::View(a().gp, careledger::v1::PLAN_VIEW_PUBLISHED, "", "9990000017"),
                 "fails the modulus 11 check");
}

// ---- idempotency of refusals ----

TEST_F(WorkflowTest, RetriedRefusalIsAnsweredTheSameAndAppendsNothingMore) {
  world_ = Published().Clone();
  const Command approve = LedgerWorld::Approve(a().care_home_admin);
  const CommandResult first = world_->Reject(approve, "only a registered clinician");
  const std::size_t records = world_->log().size();
  const CommandResult again = world_->Submit(approve);
  EXPECT_EQ(again.outcome(), careledger::v1::OUTCOME_REJECTED);
  EXPECT_EQ(again.error(), first.error());
  EXPECT_EQ(again.stream_id(), first.stream_id());
  EXPECT_EQ(again.stream_seq(), first.stream_seq());
  EXPECT_EQ(again.offset(), first.offset());
  EXPECT_EQ(world_->log().size(), records);

  // Even when the retry would now be allowed, and after a restart.
  Command retry_as_gp = approve;
  *retry_as_gp.mutable_actor() = a().gp;
  world_->Restart();
  const CommandResult after_restart = world_->Submit(retry_as_gp);
  EXPECT_EQ(after_restart.outcome(), careledger::v1::OUTCOME_REJECTED);
  EXPECT_EQ(after_restart.error(), first.error());
  EXPECT_EQ(after_restart.offset(), first.offset());
  EXPECT_EQ(world_->log().size(), records);
}

}  // namespace
}  // namespace careledger::ledger
