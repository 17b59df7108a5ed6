// Proves the plan-section contract (events/plan_sections.h): what SetSection
// accepts, GetSection gives back byte for byte; a section update whose own
// bytes carry fields this version does not know is refused, not trimmed.
#include "events/plan_sections.h"

#include <gtest/gtest.h>

#include "events/envelope.h"
#include "tests/support/test_support.h"

namespace careledger::events {
namespace {

using ::careledger::testing::IsOk;

TEST(PlanSectionsTest, WhatIsSetIsGivenBackExactly) {
  careledger::v1::PlanSectionValue value;
  value.mutable_demographics()->set_nhs_number("9990000018");
  value.mutable_demographics()->set_given_name("Margaret");
  careledger::v1::CarePlan plan;
  ASSERT_THAT(SetSection(value, &plan), IsOk());
  EXPECT_EQ(SectionName(value), "demographics");
  EXPECT_EQ(SerializeDeterministic(GetSection(plan, value)), SerializeDeterministic(value));
}

TEST(PlanSectionsTest, AnUnsetSectionIsGivenBackUnset) {
  careledger::v1::PlanSectionValue like;
  like.mutable_allergies();
  const careledger::v1::CarePlan plan;
  EXPECT_EQ(SectionName(GetSection(plan, like)), "");
}

TEST(PlanSectionsTest, RefusesAnUpdateNamingNoSection) {
  careledger::v1::CarePlan plan;
  EXPECT_EQ(SetSection(careledger::v1::PlanSectionValue(), &plan).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(plan.has_demographics());
}

// Found by fuzz_envelope (tests/fuzz/known_failures/README.md): a stored
// update whose PlanSectionValue carried a field number with the wrong wire
// type. Parsing kept it as an unknown field; copying the section dropped it.
TEST(PlanSectionsTest, RefusesAnUpdateCarryingUnknownFields) {
  careledger::v1::PlanSectionValue known;
  known.mutable_consent();
  // Field 12 (anticipated_problems, a message) sent as a varint: unknown.
  const std::string bytes = SerializeDeterministic(known) + std::string("\x60\x79", 2);
  careledger::v1::PlanSectionValue value;
  ASSERT_TRUE(value.ParseFromString(bytes));
  ASSERT_EQ(SectionName(value), "consent");
  careledger::v1::CarePlan plan;
  const absl::Status status = SetSection(value, &plan);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("does not know"), std::string::npos) << status;
  EXPECT_FALSE(plan.has_consent()) << "a refused update changes nothing";
}

}  // namespace
}  // namespace careledger::events
