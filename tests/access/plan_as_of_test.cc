// access::ReadPlanAsOf / FoldPlanAsOf (access/plan_as_of.h) against a real
// writer on an in-memory log and a real projection, and the London time
// parser (access/london_time.h): the plan at every instant between two
// events is the plan folded from the log's stream up to that instant.
#include "access/plan_as_of.h"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <map>

#include "access/london_time.h"
#include "events/plan_fold.h"
#include "events/time_util.h"
#include "projections/projector.h"
#include "tests/access/test_feeds.h"
#include "tests/ledger/ledger_world.h"
#include "tests/support/read_log.h"
#include "tests/support/test_support.h"

namespace careledger::access {
namespace {

using careledger::testing::LedgerWorld;
using careledger::testing::StatusIs;
using careledger::testing::TempDir;
using google::protobuf::util::MessageDifferencer;

absl::Time Utc(const std::string& text) {
  absl::Time time;
  std::string error;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, text, &time, &error)) << error;
  return time;
}

TEST(LondonTimeTest, LocalTimeIsGmtInWinterAndBstInSummer) {
  EXPECT_EQ(*ParseLondonTime("2026-01-15T13:00"), Utc("2026-01-15T13:00:00Z"));
  EXPECT_EQ(*ParseLondonTime("2026-06-15T13:00:00"), Utc("2026-06-15T12:00:00Z"));
  EXPECT_EQ(*ParseLondonTime("2026-06-15 13:00:00.25"), Utc("2026-06-15T12:00:00.25Z"));
  EXPECT_EQ(FormatLondonTime(Utc("2026-06-15T12:00:00Z")), "2026-06-15 13:00:00 BST");
  EXPECT_EQ(FormatLondonTime(Utc("2026-01-15T12:00:00Z")), "2026-01-15 12:00:00 GMT");
}

TEST(LondonTimeTest, AnOffsetNamesTheInstant) {
  EXPECT_EQ(*ParseLondonTime("2026-06-15T12:00:00Z"), Utc("2026-06-15T12:00:00Z"));
  EXPECT_EQ(*ParseLondonTime("2026-06-15T13:00:00+01:00"), Utc("2026-06-15T12:00:00Z"));
  EXPECT_EQ(*ParseLondonTime("2026-06-15T07:00-0500"), Utc("2026-06-15T12:00:00Z"));
  EXPECT_EQ(*ParseLondonTime("2026-06-15T12:00:00.123456789Z"),
            Utc("2026-06-15T12:00:00.123456789Z"));
}

TEST(LondonTimeTest, TheClockChangesAreRefusedNotGuessed) {
  // 29 March 2026: 01:00 GMT became 02:00 BST; 01:30 never happened.
  EXPECT_THAT(ParseLondonTime("2026-03-29T01:30"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(*ParseLondonTime("2026-03-29T00:59:59"), Utc("2026-03-29T00:59:59Z"));
  EXPECT_EQ(*ParseLondonTime("2026-03-29T02:00"), Utc("2026-03-29T01:00:00Z"));
  // 25 October 2026: 02:00 BST became 01:00 GMT; 01:30 happened twice.
  EXPECT_THAT(ParseLondonTime("2026-10-25T01:30"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(*ParseLondonTime("2026-10-25T01:30+01:00"), Utc("2026-10-25T00:30:00Z"));
  EXPECT_EQ(*ParseLondonTime("2026-10-25T01:30+00:00"), Utc("2026-10-25T01:30:00Z"));
}

TEST(LondonTimeTest, AnythingElseIsRefused) {
  for (const char* text : {"", "2026-06-15", "2026-06-15T25:00", "2026-13-01T10:00",
                           "15/06/2026 13:00", "2026-06-15T13:00+1:0x", "yesterday"}) {
    EXPECT_THAT(ParseLondonTime(text), StatusIs(absl::StatusCode::kInvalidArgument)) << text;
  }
}

// Every record of the log, opened and verified, by position.
class WholeLogRecords : public StreamRecords {
 public:
  WholeLogRecords(LedgerWorld& world) : keyring_(&world.signer().keyring) {
    for (const events::LogRecord& record : careledger::testing::ReadAll(world.log())) {
      records_[{record.partition, record.offset}] = record;
    }
  }
  absl::StatusOr<events::OpenedRecord> ReadVerified(
      const careledger::v1::EventPosition& position) override {
    ++reads;
    auto found = records_.find({position.partition(), position.offset()});
    if (found == records_.end()) return absl::NotFoundError("no record there");
    absl::StatusOr<events::OpenedRecord> opened =
        events::OpenRecord(found->second.key, found->second.value);
    if (!opened.ok()) return opened.status();
    if (absl::Status signature = events::VerifySignature(*opened, *keyring_); !signature.ok()) {
      return absl::DataLossError(signature.message());
    }
    return opened;
  }
  int reads = 0;

 private:
  const events::Keyring* keyring_;
  std::map<std::pair<std::int32_t, std::int64_t>, events::LogRecord> records_;
};

careledger::v1::PlanSectionValue AllergyEdit(const std::string& reaction) {
  careledger::v1::PlanSectionValue value;
  careledger::v1::Allergy* allergy = value.mutable_allergies()->add_items();
  allergy->set_substance("Latex");
  allergy->set_reaction(reaction);
  return value;
}

class PlanAsOfTest : public ::testing::Test {
 protected:
  PlanAsOfTest() {
    const careledger::v1::Actor& gp = world_.actors().gp;
    world_.PublishSamplePlan();
    for (const careledger::v1::Command& command :
         {LedgerWorld::Update(gp, AllergyEdit("Hives")), LedgerWorld::Approve(gp),
          LedgerWorld::Restrict(gp, {gp.user_id()}), LedgerWorld::Lift(gp),
          LedgerWorld::Update(gp, AllergyEdit("Anaphylaxis"))}) {
      world_.clock().Advance(absl::Minutes(7));
      world_.Apply(command);
    }
    world_.clock().Advance(absl::Minutes(7));
    careledger::v1::Date died_on;
    died_on.set_year(2026);
    died_on.set_month(6);
    died_on.set_day(15);
    world_.Apply(LedgerWorld::Death(gp, died_on, "home"));
    world_.clock().Advance(absl::Minutes(7));
  }

  careledger::v1::Command AsOf(absl::Time when) {
    careledger::v1::Command command = LedgerWorld::View(world_.actors().gp);
    command.mutable_view_plan()->clear_view();
    *command.mutable_view_plan()->mutable_as_of() = events::ToTimestamp(when);
    return command;
  }

  LedgerWorld world_;
  TempDir dir_;
};

TEST_F(PlanAsOfTest, EveryInstantIsTheFoldOfTheStreamUpToIt) {
  const std::string stream = std::string(events::kPatientStreamPrefix) + tools::kSamplePatient;
  const std::vector<careledger::v1::Event> events = world_.StreamEvents(stream);
  ASSERT_GE(events.size(), 8u);
  std::vector<absl::Time> instants;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const absl::Time at = events::FromTimestamp(events[i].recorded_at());
    instants.push_back(at);
    instants.push_back(at + absl::Seconds(1));  // between this event and the next
  }
  CatchUpFeed feed(world_, dir_.path());
  for (const absl::Time instant : instants) {
    WholeLogRecords records(world_);
    absl::StatusOr<PlanAsOfOutcome> outcome = ReadPlanAsOf(
        world_.writer(), AsOf(instant), feed, records, absl::Now() + absl::Seconds(30));
    ASSERT_TRUE(outcome.ok()) << outcome.status();
    ASSERT_TRUE(outcome->granted()) << outcome->access.error();
    careledger::v1::PlanState expected;
    std::size_t folded = 0;
    for (const careledger::v1::Event& event : events) {
      if (events::FromTimestamp(event.recorded_at()) > instant) break;
      ASSERT_TRUE(events::FoldPlanEvent(event, &expected).ok());
      ++folded;
    }
    const PlanAsOf& answer = *outcome->answer;
    EXPECT_TRUE(answer.existed);
    EXPECT_EQ(answer.folded.size(), folded);
    EXPECT_TRUE(MessageDifferencer::Equals(answer.state, expected))
        << absl::FormatTime(instant) << "\n"
        << answer.state.DebugString() << "\n!=\n"
        << expected.DebugString();
    EXPECT_EQ(answer.urgent_care_view.has_value(), expected.published_version() > 0);
    ASSERT_TRUE(answer.last_by.has_value());
    EXPECT_EQ(answer.last_by->position.stream_seq(), folded);
    EXPECT_EQ(answer.death_by.has_value(), expected.has_death());
    EXPECT_GE(records.reads, static_cast<int>(folded));
  }
}

TEST_F(PlanAsOfTest, TheReadIsRecordedWithItsInstantBeforeAnythingIsShown) {
  const absl::Time instant = world_.clock().Now() - absl::Minutes(30);
  CatchUpFeed feed(world_, dir_.path());
  WholeLogRecords records(world_);
  const std::vector<std::int64_t> mark = world_.Mark();
  absl::StatusOr<PlanAsOfOutcome> outcome =
      ReadPlanAsOf(world_.writer(), AsOf(instant), feed, records, absl::Now() + absl::Seconds(30));
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  const std::vector<careledger::v1::Event> appended = world_.EventsSince(mark);
  ASSERT_EQ(appended.size(), 1u);
  const careledger::v1::AccessRecorded& access = appended[0].access_recorded();
  EXPECT_EQ(access.view(), careledger::v1::PLAN_VIEW_HISTORY);
  EXPECT_EQ(events::FromTimestamp(access.as_of()), instant);
}

TEST_F(PlanAsOfTest, BeforeThePlanExistedThereIsNothing) {
  const std::string stream = std::string(events::kPatientStreamPrefix) + tools::kSamplePatient;
  const absl::Time first = events::FromTimestamp(world_.StreamEvents(stream).front().recorded_at());
  CatchUpFeed feed(world_, dir_.path());
  WholeLogRecords records(world_);
  absl::StatusOr<PlanAsOfOutcome> outcome =
      ReadPlanAsOf(world_.writer(), AsOf(first - absl::Nanoseconds(1)), feed, records,
                   absl::Now() + absl::Seconds(30));
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  ASSERT_TRUE(outcome->granted());
  EXPECT_FALSE(outcome->answer->existed);
  EXPECT_TRUE(outcome->answer->folded.empty());
}

TEST_F(PlanAsOfTest, UrgentCareAndTheFutureAreRefused) {
  CatchUpFeed feed(world_, dir_.path());
  WholeLogRecords records(world_);
  careledger::v1::Command crew = AsOf(world_.clock().Now() - absl::Minutes(1));
  *crew.mutable_actor() = world_.actors().ambulance;
  absl::StatusOr<PlanAsOfOutcome> refused =
      ReadPlanAsOf(world_.writer(), crew, feed, records, absl::Now() + absl::Seconds(30));
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_FALSE(refused->granted());
  absl::StatusOr<PlanAsOfOutcome> future =
      ReadPlanAsOf(world_.writer(), AsOf(world_.clock().Now() + absl::Hours(1)), feed, records,
                   absl::Now() + absl::Seconds(30));
  ASSERT_TRUE(future.ok()) << future.status();
  EXPECT_FALSE(future->granted());
  EXPECT_NE(future->access.error().find("future"), std::string::npos) << future->access.error();
}

}  // namespace
}  // namespace careledger::access
