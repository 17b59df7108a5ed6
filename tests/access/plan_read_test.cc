// access::ReadPlan (access/plan_read.h) against a real writer on an
// in-memory log and a real projection: what a read may show, that it is on
// the log before anything is shown, and what happens when it may not be shown.
#include "access/plan_read.h"

#include <gtest/gtest.h>

#include "events/plan_fold.h"
#include "events/sha256.h"
#include "projections/projector.h"
#include "tests/access/test_feeds.h"
#include "tests/ledger/ledger_world.h"
#include "tests/support/faulty_log.h"
#include "tests/support/test_support.h"

namespace careledger::access {
namespace {

using careledger::testing::LedgerWorld;
using careledger::testing::StatusIs;
using careledger::testing::TempDir;

careledger::v1::PlanSectionValue MedicationsEdit() {
  careledger::v1::PlanSectionValue value;
  careledger::v1::Medication* medication = value.mutable_medications()->add_items();
  medication->set_name("Draft-only medication");
  medication->set_dose("5 mg");
  return value;
}

class PlanReadTest : public ::testing::Test {
 protected:
  PlanReadTest() {
    world_.PublishSamplePlan();
    // A working draft on top of version 1: urgent care must never see it.
    world_.Apply(LedgerWorld::Update(world_.actors().gp, MedicationsEdit()));
  }

  LedgerWorld world_;
  TempDir dir_;
};

TEST_F(PlanReadTest, UrgentCareSeesThePublishedVersionAndNothingOfTheDraft) {
  CatchUpFeed feed(world_, dir_.Sub("projection"));
  const std::vector<std::int64_t> mark = world_.Mark();
  absl::StatusOr<PlanReadOutcome> outcome =
      ReadPlan(world_.writer(), LedgerWorld::View(world_.actors().ambulance), feed,
               absl::Now() + absl::Seconds(30));
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  ASSERT_TRUE(outcome->granted());
  // The access record was appended before the content was read: the feed
  // had to be advanced to reach the grant.
  EXPECT_EQ(world_.EventsSince(mark).size(), 1u);
  EXPECT_GE(feed.advances, 1);
  const PlanRead& read = *outcome->read;
  const careledger::v1::PlanState state = world_.Plan();
  ASSERT_TRUE(state.draft_pending());
  EXPECT_EQ(outcome->access.view().version(), 1u);
  EXPECT_EQ(events::HashBytes(events::PlanContentHash(read.content)),
            outcome->access.view().content_hash());
  EXPECT_EQ(events::PlanContentHash(read.content), events::PlanContentHash(state.published()));
  EXPECT_NE(events::PlanContentHash(read.content), events::PlanContentHash(state.draft()));
  EXPECT_FALSE(read.shown_state.has_draft());
  EXPECT_FALSE(read.shown_state.has_published());
  EXPECT_FALSE(read.shown_state.draft_pending());
  EXPECT_FALSE(read.shown_state.has_submission());
  EXPECT_EQ(read.shown_state.requests_size(), 0);
  EXPECT_EQ(read.shown_state.contributing_organisations_size(), 0);
  EXPECT_TRUE(read.history.empty());
  EXPECT_EQ(read.content.DebugString().find("Draft-only medication"), std::string::npos);
}

TEST_F(PlanReadTest, TheClinicianSeesTheDraftItHasTheRightTo) {
  CatchUpFeed feed(world_, dir_.Sub("projection"));
  absl::StatusOr<PlanReadOutcome> outcome = ReadPlan(
      world_.writer(), LedgerWorld::View(world_.actors().gp, careledger::v1::PLAN_VIEW_DRAFT), feed,
      absl::Now() + absl::Seconds(30));
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  ASSERT_TRUE(outcome->granted());
  EXPECT_NE(outcome->read->content.DebugString().find("Draft-only medication"), std::string::npos);
  EXPECT_TRUE(outcome->read->shown_state.draft_pending());
  EXPECT_FALSE(outcome->read->shown_state.has_draft());  // the content is `content`
}

TEST_F(PlanReadTest, ARefusedReadIsRecordedAndShowsNothing) {
  CatchUpFeed feed(world_, dir_.Sub("projection"));
  const std::vector<std::int64_t> mark = world_.Mark();
  absl::StatusOr<PlanReadOutcome> outcome =
      ReadPlan(world_.writer(),
               LedgerWorld::View(world_.actors().ambulance, careledger::v1::PLAN_VIEW_DRAFT), feed,
               absl::Now() + absl::Seconds(30));
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_FALSE(outcome->granted());
  EXPECT_EQ(outcome->refusal(), Refusal::kOther);
  EXPECT_EQ(feed.advances, 0);  // nothing was fetched
  const std::vector<careledger::v1::Event> added = world_.EventsSince(mark);
  ASSERT_EQ(added.size(), 1u);
  EXPECT_EQ(added[0].access_recorded().outcome(), careledger::v1::ACCESS_OUTCOME_DENIED);
}

TEST_F(PlanReadTest, AProbeOfAPatientWithoutAPlanIsRecordedAsSuch) {
  CatchUpFeed feed(world_, dir_.Sub("projection"));
  const std::vector<std::int64_t> mark = world_.Mark();
  absl::StatusOr<PlanReadOutcome> outcome =
      ReadPlan(world_.writer(),
               LedgerWorld::View(world_.actors().ambulance, careledger::v1::PLAN_VIEW_PUBLISHED, "",
                                 "9434765919"),
               feed, absl::Now() + absl::Seconds(30));
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_FALSE(outcome->granted());
  EXPECT_EQ(outcome->refusal(), Refusal::kNoPlan);
  EXPECT_EQ(world_.EventsSince(mark).size(), 1u);
}

TEST_F(PlanReadTest, AProjectionThatNeverReachesTheGrantShowsNothingButTheReadIsRecorded) {
  StalledFeed feed(dir_.Sub("stalled"));
  const std::vector<std::int64_t> mark = world_.Mark();
  absl::StatusOr<PlanReadOutcome> outcome =
      ReadPlan(world_.writer(), LedgerWorld::View(world_.actors().ambulance), feed,
               absl::Now() + absl::Milliseconds(200));
  EXPECT_THAT(outcome, StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_EQ(world_.EventsSince(mark).size(), 1u);
}

// The log cannot take the access record: the read fails with the log's
// error and nothing is shown (the service answers 503).
TEST_F(PlanReadTest, ALogThatCannotTakeTheRecordShowsNothing) {
  for (const careledger::testing::AppendFault fault :
       {careledger::testing::AppendFault::kFenced,
        careledger::testing::AppendFault::kFailBeforeWrite}) {
    careledger::testing::FaultyLog log(world_.log().Clone());
    ledger::WriterOptions options;
    options.key_id = world_.signer().key_id;
    options.signing_key = world_.signer().key;
    options.clock = &world_.clock();
    options.checkpoint_every = 0;
    options.checkpoint_interval = std::chrono::milliseconds(0);
    absl::StatusOr<std::unique_ptr<ledger::Writer>> writer =
        ledger::Writer::Open(&log, std::move(options));
    ASSERT_TRUE(writer.ok()) << writer.status();
    CatchUpFeed feed(
        world_,
        dir_.Sub(fault == careledger::testing::AppendFault::kFenced ? "fenced" : "unavailable"));
    log.FailNextAppend(fault);
    absl::StatusOr<PlanReadOutcome> outcome =
        ReadPlan(**writer, LedgerWorld::View(world_.actors().ambulance), feed,
                 absl::Now() + absl::Seconds(30));
    EXPECT_FALSE(outcome.ok());
    EXPECT_EQ(outcome.status().code(), fault == careledger::testing::AppendFault::kFenced
                                           ? absl::StatusCode::kAborted
                                           : absl::StatusCode::kUnavailable)
        << outcome.status();
    EXPECT_EQ(feed.advances, 0);  // nothing was fetched to show
  }
}

TEST(ShownStateTest, OtherReadersDevicesAndAddressesAreNeverShown) {
  careledger::v1::PlanState state;
  careledger::v1::UrgentCareNote* note = state.add_notes();
  note->set_text("comfortable");
  note->mutable_by()->set_user_id("crew.lee");
  note->mutable_by()->set_device_id("dev-AMB001");
  note->mutable_by()->set_network_address("10.1.2.3");
  note->mutable_by()->set_purpose("emergency");
  state.mutable_restriction()->add_allowed_users("dr.patel");
  for (careledger::v1::PlanView view :
       {careledger::v1::PLAN_VIEW_PUBLISHED, careledger::v1::PLAN_VIEW_DRAFT}) {
    const careledger::v1::PlanState shown = ShownState(state, view);
    ASSERT_EQ(shown.notes_size(), 1);
    EXPECT_EQ(shown.notes(0).by().user_id(), "crew.lee");
    EXPECT_TRUE(shown.notes(0).by().device_id().empty());
    EXPECT_TRUE(shown.notes(0).by().network_address().empty());
  }
  // Whom a restriction names is for those who may see the draft.
  EXPECT_EQ(
      ShownState(state, careledger::v1::PLAN_VIEW_PUBLISHED).restriction().allowed_users_size(), 0);
  EXPECT_EQ(ShownState(state, careledger::v1::PLAN_VIEW_DRAFT).restriction().allowed_users_size(),
            1);
}

}  // namespace
}  // namespace careledger::access
