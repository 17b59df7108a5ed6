// Proves the plan rules as pure functions (ledger/plan_rules.h, decide.h):
// NHS number validation, consent, the lifecycle folded with
// events/plan_fold.h, and the status code each kind of refusal carries. The
// writer-level behaviour is in workflow_test.cc and role_matrix_test.cc.
#include "ledger/plan_rules.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "events/plan_fold.h"
#include "events/time_util.h"
#include "ledger/dates.h"
#include "ledger/decide.h"
#include "ledger/nhs_number.h"
#include "tests/ledger/ledger_world.h"
#include "tests/support/test_support.h"

namespace careledger::ledger {
namespace {

using ::careledger::testing::DefaultNow;
using ::careledger::testing::IsOk;
using ::careledger::testing::SampleDirectory;
using ::careledger::testing::StatusIs;
using careledger::v1::Command;
using careledger::v1::Event;
using careledger::v1::PlanState;

TEST(NhsNumberTest, ValidatesTheModulus11CheckDigit) {
  EXPECT_THAT(ValidateNhsNumber("9434765919"), IsOk());  // NHS Digital's published example
  EXPECT_THAT(ValidateNhsNumber("9990000018"), IsOk());
  EXPECT_THAT(ValidateNhsNumber("9434765918"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateNhsNumber("943476591"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateNhsNumber("94347659190"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateNhsNumber("94347x5919"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateNhsNumber(""), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(NhsNumberTest, TheNumberAsPeopleWriteItIsItsTenDigits) {
  EXPECT_EQ(NhsNumberAsEntered("943 476 5919"), "9434765919");
  EXPECT_EQ(NhsNumberAsEntered("943-476-5919"), "9434765919");
  EXPECT_EQ(NhsNumberAsEntered(" 9434765919 "), "9434765919");
  // Anything else is left as given, for validation to refuse as written.
  EXPECT_EQ(NhsNumberAsEntered("943 476 591"), "943 476 591");
  EXPECT_EQ(NhsNumberAsEntered("943.476.5919"), "943.476.5919");
  EXPECT_EQ(NhsNumberAsEntered("NHS 9434765919"), "NHS 9434765919");
  EXPECT_EQ(NhsNumberAsEntered(""), "");
}

TEST(NhsNumberTest, EveryNhsNumberInADecodedCommandIsNormalised) {
  Command command;
  command.mutable_record_user()->mutable_user()->set_nhs_number("943 476 5919");
  NormaliseNhsNumbersIn(&command);
  EXPECT_EQ(command.record_user().user().nhs_number(), "9434765919");
  Command view;
  view.mutable_view_plan()->set_nhs_number("999-000-0018");
  NormaliseNhsNumbersIn(&view);
  EXPECT_EQ(view.view_plan().nhs_number(), "9990000018");
}

TEST(NhsNumberTest, AProfessionalsOwnNhsNumberIsValidatedWhenGiven) {
  testing::LedgerWorld world;
  careledger::v1::User gp = world.SampleUser("dr.patel");
  const auto with = [&](const std::string& nhs) {
    gp.set_nhs_number(nhs);
    return world.RecordUser(gp);
  };
  world.Reject(with("9434765918"), "fails the modulus 11 check");
  // Entry normalises (NhsNumberAsEntered); the ledger keeps ten digits only.
  world.Reject(with("943 476 5919"), "must be exactly 10 digits");
  world.Apply(with("9434765919"));
  world.Apply(with(""));  // optional for a professional
}

TEST(NhsNumberTest, StemsWhoseCheckWouldBeTenHaveNoValidNumber) {
  // 999000001: sum = 9*10+9*9+9*8+1*2 = 245; 245 % 11 = 3; 11-3 = 8.
  EXPECT_EQ(CompleteNhsNumber("999000001"), "9990000018");
  int invalid_stems = 0;
  for (int stem = 0; stem < 200; ++stem) {
    const std::string number = CompleteNhsNumber(fmt::format("999{:06d}", stem));
    if (number.empty()) {
      ++invalid_stems;
      continue;
    }
    EXPECT_THAT(ValidateNhsNumber(number), IsOk()) << number;
    EXPECT_TRUE(IsSyntheticNhsNumber(number));
  }
  EXPECT_GT(invalid_stems, 0) << "some stems have check digit 10 and no valid number";
}

class PlanRulesTest : public ::testing::Test {
 protected:
  Command WithActor(const careledger::v1::Actor& actor) {
    Command command;
    command.set_command_id(fmt::format("c{}", ++next_id_));
    *command.mutable_actor() = actor;
    return command;
  }

  Command StartCommand(const careledger::v1::Actor& actor) {
    Command command = WithActor(actor);
    command.mutable_start_plan()->set_nhs_number(tools::kSamplePatient);
    careledger::v1::Consent* consent = command.mutable_start_plan()->mutable_consent();
    consent->set_basis(careledger::v1::CONSENT_BASIS_PATIENT);
    consent->mutable_obtained_on()->set_year(2026);
    consent->mutable_obtained_on()->set_month(1);
    consent->mutable_obtained_on()->set_day(2);
    return command;
  }
  Command StartCommand() { return StartCommand(actors_.care_home_admin); }

  Command Approve(const careledger::v1::Actor& actor) {
    Command command = WithActor(actor);
    command.mutable_approve_plan()->set_nhs_number(tools::kSamplePatient);
    return command;
  }

  Command Edit(const careledger::v1::Actor& actor, const careledger::v1::PlanSectionValue& value) {
    Command command = WithActor(actor);
    command.mutable_update_plan_section()->set_nhs_number(tools::kSamplePatient);
    *command.mutable_update_plan_section()->mutable_value() = value;
    return command;
  }

  absl::StatusOr<PlanDecision> Decide(const Command& command) {
    return DecidePlanCommand(PlanContext{state_, seq_, directory_, now_}, command);
  }

  // Folds a decision's events into state_ as the writer would append them.
  void Fold(const PlanDecision& decision, const Command& command) {
    for (Event event : decision.events) {
      event.set_stream_id(PatientStream(tools::kSamplePatient));
      event.set_stream_seq(++seq_);
      *event.mutable_actor() = command.actor();
      event.set_command_id(command.command_id());
      *event.mutable_recorded_at() = events::ToTimestamp(now_);
      ASSERT_THAT(events::FoldPlanEvent(event, &state_), IsOk()) << event.DebugString();
    }
  }

  // Decides `command`, expects it accepted and folds it.
  PlanDecision Accept(const Command& command) {
    absl::StatusOr<PlanDecision> decision = Decide(command);
    EXPECT_THAT(decision, IsOk()) << command.DebugString();
    if (!decision.ok()) return {};
    Fold(*decision, command);
    return *decision;
  }

  int next_id_ = 0;
  absl::Time now_ = DefaultNow();
  Directory directory_ = SampleDirectory(now_);
  tools::SampleActors actors_ = tools::SampleWorldActors();
  PlanState state_;
  std::uint64_t seq_ = 0;
};

TEST_F(PlanRulesTest, StartNeedsConsentWithADate) {
  EXPECT_THAT(Decide(StartCommand()), IsOk());
  Command no_consent = StartCommand();
  no_consent.mutable_start_plan()->clear_consent();
  EXPECT_THAT(Decide(no_consent), StatusIs(absl::StatusCode::kInvalidArgument));
  Command no_date = StartCommand();
  no_date.mutable_start_plan()->mutable_consent()->clear_obtained_on();
  EXPECT_THAT(Decide(no_date), StatusIs(absl::StatusCode::kInvalidArgument));
  for (auto basis : {careledger::v1::CONSENT_BASIS_BEST_INTEREST,
                     careledger::v1::CONSENT_BASIS_LASTING_POWER_OF_ATTORNEY}) {
    Command on_behalf = StartCommand();
    on_behalf.mutable_start_plan()->mutable_consent()->set_basis(basis);
    EXPECT_THAT(Decide(on_behalf), StatusIs(absl::StatusCode::kInvalidArgument))
        << "a decision on the patient's behalf needs its justification";
    on_behalf.mutable_start_plan()->mutable_consent()->set_justification("lacks capacity");
    EXPECT_THAT(Decide(on_behalf), IsOk());
  }
}

TEST_F(PlanRulesTest, LifecycleStartEditApproveEditApprove) {
  Accept(StartCommand());
  EXPECT_EQ(state_.lifecycle(), careledger::v1::PLAN_LIFECYCLE_DRAFT);
  EXPECT_THAT(Decide(StartCommand()), StatusIs(absl::StatusCode::kFailedPrecondition));

  // Every section of a publishable plan; each event records the old value too.
  for (const careledger::v1::PlanSectionValue& section :
       tools::CompletePlanSections(tools::kSamplePatient, Today(now_))) {
    const PlanDecision edited = Accept(Edit(actors_.care_home_admin, section));
    ASSERT_EQ(edited.events.size(), 1u);
    EXPECT_EQ(edited.events[0].plan_section_updated().value().DebugString(), section.DebugString());
  }

  EXPECT_THAT(Decide(Approve(actors_.care_home_admin)),
              StatusIs(absl::StatusCode::kPermissionDenied))
      << "an administrator submits; only a clinician publishes";
  const PlanDecision approved = Accept(Approve(actors_.gp));
  ASSERT_EQ(approved.events.size(), 1u);
  EXPECT_EQ(approved.events[0].plan_approved().version(), 1u);
  EXPECT_EQ(approved.events[0].plan_approved().draft_hash().size(), 32u);
  EXPECT_EQ(state_.lifecycle(), careledger::v1::PLAN_LIFECYCLE_PUBLISHED);
  EXPECT_THAT(Decide(Approve(actors_.gp)), StatusIs(absl::StatusCode::kFailedPrecondition))
      << "nothing to publish";

  careledger::v1::PlanSectionValue background;
  *background.mutable_medical_background() = state_.published().medical_background();
  background.mutable_medical_background()->set_prognosis("weeks");
  const PlanDecision second_edit = Accept(Edit(actors_.gp, background));
  EXPECT_EQ(
      second_edit.events[0].plan_section_updated().previous().medical_background().prognosis(),
      "months")
      << "the event records the old value as well as the new";
  EXPECT_EQ(state_.lifecycle(), careledger::v1::PLAN_LIFECYCLE_EDITING);
  EXPECT_EQ(state_.published().medical_background().prognosis(), "months");
  const PlanDecision second_approval = Accept(Approve(actors_.gp));
  EXPECT_EQ(second_approval.events[0].plan_approved().version(), 2u);
  EXPECT_EQ(state_.published().medical_background().prognosis(), "weeks");
  EXPECT_EQ(state_.version_hashes_size(), 2);
}

TEST_F(PlanRulesTest, RolesThatMayNotStartPlansAreRefused) {
  careledger::v1::Actor unspecified = actors_.gp;
  unspecified.set_role(careledger::v1::ROLE_UNSPECIFIED);
  for (const careledger::v1::Actor& actor :
       {actors_.ambulance, actors_.patient, actors_.proxy, actors_.auditor, unspecified}) {
    EXPECT_THAT(Decide(StartCommand(actor)), StatusIs(absl::StatusCode::kPermissionDenied))
        << careledger::v1::Role_Name(actor.role());
  }
  EXPECT_THAT(Decide(StartCommand(actors_.gp)), IsOk());
}

TEST_F(PlanRulesTest, RefusalsCarryTheCodeOfTheirKind) {
  Accept(StartCommand());
  Command note = WithActor(actors_.ambulance);
  note.mutable_add_urgent_care_note()->set_nhs_number(tools::kSamplePatient);
  note.mutable_add_urgent_care_note()->set_text("seen");
  EXPECT_THAT(Decide(note), StatusIs(absl::StatusCode::kFailedPrecondition))
      << "not published yet: the state";
  careledger::v1::PlanSectionValue none;
  EXPECT_THAT(Decide(Edit(actors_.gp, none)), StatusIs(absl::StatusCode::kInvalidArgument))
      << "an update naming no section: the command";
  Command restrict = WithActor(actors_.gp);
  restrict.mutable_restrict_plan()->set_nhs_number(tools::kSamplePatient);
  restrict.mutable_restrict_plan()->set_reason("safeguarding");
  Accept(restrict);
  EXPECT_THAT(Decide(Edit(actors_.care_home_admin, none)),
              StatusIs(absl::StatusCode::kPermissionDenied))
      << "not named on a restricted plan";
  EXPECT_FALSE(RestrictionAllows(state_, "admin.rosewood"));
  EXPECT_TRUE(RestrictionAllows(state_, "dr.patel")) << "the restricting clinician is named";
  EXPECT_TRUE(RestrictionAllows(PlanState(), "admin.rosewood")) << "unrestricted";
}

TEST_F(PlanRulesTest, OnlyPlanCommandsAreDecidedHere) {
  EXPECT_TRUE(IsPlanCommand(StartCommand()));
  Command directory = WithActor(actors_.operator_);
  directory.mutable_change_user_status()->set_user_id("dr.patel");
  EXPECT_FALSE(IsPlanCommand(directory));
  EXPECT_FALSE(IsPlanCommand(Command()));
}

TEST_F(PlanRulesTest, CommandStreamValidatesTheNhsNumber) {
  EXPECT_EQ(*CommandStream(StartCommand()), "patient/9990000018");
  Command bad = StartCommand();
  bad.mutable_start_plan()->set_nhs_number("9990000017");
  EXPECT_THAT(CommandStream(bad), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(CommandStream(WithActor(actors_.gp)), StatusIs(absl::StatusCode::kInvalidArgument))
      << "no body";
  Command user = WithActor(actors_.operator_);
  user.mutable_change_user_status()->set_user_id("dr.patel");
  EXPECT_EQ(*CommandStream(user), "directory/user/dr.patel");
  EXPECT_EQ(CommandAction(user), "change_user_status");
}

TEST_F(PlanRulesTest, TheSystemRoleOnlyKeepsTheDirectory) {
  DecisionInput input{state_, 0, directory_, now_};
  EXPECT_THAT(DecideCommand(input, StartCommand(actors_.operator_)),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

}  // namespace
}  // namespace careledger::ledger
