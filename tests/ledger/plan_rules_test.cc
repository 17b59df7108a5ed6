// Proves the minimal plan rules and NHS number validation.
#include "ledger/plan_rules.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "ledger/nhs_number.h"
#include "tests/support/test_support.h"

namespace careledger::ledger {
namespace {

using ::careledger::testing::IsOk;
using ::careledger::testing::StatusIs;
using careledger::v1::Command;

TEST(NhsNumberTest, ValidatesTheModulus11CheckDigit) {
  EXPECT_THAT(ValidateNhsNumber("9434765919"), IsOk());  // NHS Digital's published example
  EXPECT_THAT(ValidateNhsNumber("9990000018"), IsOk());
  EXPECT_THAT(ValidateNhsNumber("9434765918"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateNhsNumber("943476591"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateNhsNumber("94347659190"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateNhsNumber("94347x5919"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateNhsNumber(""), StatusIs(absl::StatusCode::kInvalidArgument));
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

Command WithActor(careledger::v1::Role role) {
  Command command;
  command.set_command_id("c1");
  command.mutable_actor()->set_user_id("u1");
  command.mutable_actor()->set_role(role);
  return command;
}

Command StartCommand(careledger::v1::Role role = careledger::v1::ROLE_ADMINISTRATOR) {
  Command command = WithActor(role);
  command.mutable_start_plan()->set_nhs_number("9990000018");
  careledger::v1::Consent* consent = command.mutable_start_plan()->mutable_consent();
  consent->set_basis(careledger::v1::CONSENT_BASIS_PATIENT);
  consent->mutable_obtained_on()->set_year(2026);
  consent->mutable_obtained_on()->set_month(1);
  consent->mutable_obtained_on()->set_day(2);
  return command;
}

TEST(PlanRulesTest, StartNeedsConsentWithADate) {
  PlanState empty;
  EXPECT_THAT(DecidePlanCommand(empty, StartCommand()), IsOk());
  Command no_consent = StartCommand();
  no_consent.mutable_start_plan()->clear_consent();
  EXPECT_THAT(DecidePlanCommand(empty, no_consent), StatusIs(absl::StatusCode::kInvalidArgument));
  Command no_date = StartCommand();
  no_date.mutable_start_plan()->mutable_consent()->clear_obtained_on();
  EXPECT_THAT(DecidePlanCommand(empty, no_date), StatusIs(absl::StatusCode::kInvalidArgument));
  Command best_interest = StartCommand();
  best_interest.mutable_start_plan()->mutable_consent()->set_basis(
      careledger::v1::CONSENT_BASIS_BEST_INTEREST);
  EXPECT_THAT(DecidePlanCommand(empty, best_interest), StatusIs(absl::StatusCode::kInvalidArgument))
      << "a best-interest decision needs its justification";
  best_interest.mutable_start_plan()->mutable_consent()->set_justification("lacks capacity");
  EXPECT_THAT(DecidePlanCommand(empty, best_interest), IsOk());
}

TEST(PlanRulesTest, LifecycleStartEditApproveEditApprove) {
  PlanState state;
  auto started = DecidePlanCommand(state, StartCommand());
  ASSERT_THAT(started, IsOk());
  ApplyPlanEvent((*started)[0], &state);
  EXPECT_TRUE(state.started);
  EXPECT_THAT(DecidePlanCommand(state, StartCommand()),
              StatusIs(absl::StatusCode::kFailedPrecondition));

  Command edit = WithActor(careledger::v1::ROLE_ADMINISTRATOR);
  edit.mutable_update_plan_section()->set_nhs_number("9990000018");
  edit.mutable_update_plan_section()->mutable_value()->mutable_resuscitation()->set_decision(
      "not for CPR");
  auto edited = DecidePlanCommand(state, edit);
  ASSERT_THAT(edited, IsOk());
  EXPECT_FALSE((*edited)[0].plan_section_updated().previous().has_resuscitation());
  ApplyPlanEvent((*edited)[0], &state);

  Command approve = WithActor(careledger::v1::ROLE_ADMINISTRATOR);
  approve.mutable_approve_plan()->set_nhs_number("9990000018");
  EXPECT_THAT(DecidePlanCommand(state, approve), StatusIs(absl::StatusCode::kPermissionDenied))
      << "an administrator submits; only a clinician publishes";
  approve.mutable_actor()->set_role(careledger::v1::ROLE_CLINICIAN);
  auto approved = DecidePlanCommand(state, approve);
  ASSERT_THAT(approved, IsOk());
  EXPECT_EQ((*approved)[0].plan_approved().version(), 1u);
  EXPECT_EQ((*approved)[0].plan_approved().draft_hash().size(), 32u);
  ApplyPlanEvent((*approved)[0], &state);
  EXPECT_THAT(DecidePlanCommand(state, approve), StatusIs(absl::StatusCode::kFailedPrecondition))
      << "nothing to publish";

  edit.mutable_update_plan_section()->mutable_value()->mutable_resuscitation()->set_decision(
      "for CPR");
  auto second_edit = DecidePlanCommand(state, edit);
  ASSERT_THAT(second_edit, IsOk());
  EXPECT_EQ((*second_edit)[0].plan_section_updated().previous().resuscitation().decision(),
            "not for CPR")
      << "the event records the old value as well as the new";
  ApplyPlanEvent((*second_edit)[0], &state);
  auto second_approval = DecidePlanCommand(state, approve);
  ASSERT_THAT(second_approval, IsOk());
  EXPECT_EQ((*second_approval)[0].plan_approved().version(), 2u);
}

TEST(PlanRulesTest, RolesThatMayNotChangePlansAreRefused) {
  for (auto role : {careledger::v1::ROLE_URGENT_CARE, careledger::v1::ROLE_PATIENT,
                    careledger::v1::ROLE_PROXY_VIEWER, careledger::v1::ROLE_AUDITOR,
                    careledger::v1::ROLE_UNSPECIFIED}) {
    EXPECT_THAT(DecidePlanCommand(PlanState{}, StartCommand(role)),
                StatusIs(absl::StatusCode::kPermissionDenied))
        << careledger::v1::Role_Name(role);
  }
}

TEST(PlanRulesTest, CommandStreamValidatesTheNhsNumber) {
  EXPECT_EQ(*CommandStream(StartCommand()), "patient/9990000018");
  Command bad = StartCommand();
  bad.mutable_start_plan()->set_nhs_number("9990000017");
  EXPECT_THAT(CommandStream(bad), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(CommandStream(WithActor(careledger::v1::ROLE_CLINICIAN)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace careledger::ledger
