// access/audit_read.h and access/worklist_read.h against a real writer on an
// in-memory log and a real projection: an audit query is on the log before
// anything is shown and in its own answer; anyone but the CMC team is refused
// and shown nothing; bad input appends nothing; the worklist's counts are
// its list's.
#include "access/audit_read.h"

#include <gtest/gtest.h>

#include "access/alert_review.h"
#include "access/worklist_read.h"
#include "events/ids.h"
#include "projections/worklist.h"
#include "tests/access/test_feeds.h"
#include "tests/ledger/ledger_world.h"
#include "tests/support/test_support.h"

namespace careledger::access {
namespace {

using careledger::testing::LedgerWorld;
using careledger::testing::StatusIs;
using careledger::testing::TempDir;
using careledger::v1::AuditScope;

careledger::v1::Command Query(const careledger::v1::Actor& actor, AuditScope scope,
                              const std::string& subject, bool for_export = false) {
  careledger::v1::Command command = LedgerWorld::As(actor);
  command.mutable_audit_query()->set_scope(scope);
  command.mutable_audit_query()->set_subject(subject);
  command.mutable_audit_query()->set_for_export(for_export);
  return command;
}

absl::Time Soon() { return absl::Now() + absl::Seconds(30); }

class AuditReadTest : public ::testing::Test {
 protected:
  AuditReadTest() {
    world_.PublishSamplePlan();
    world_.Apply(LedgerWorld::View(world_.actors().ambulance));
  }

  LedgerWorld world_;
  TempDir dir_;
};

TEST_F(AuditReadTest, TheCmcTeamsQueryIsRecordedFirstAndInItsOwnAnswer) {
  CatchUpFeed feed(world_, dir_.Sub("projection"));
  const std::vector<std::int64_t> mark = world_.Mark();
  projections::AuditPageRequest request;
  request.limit = 1000;
  absl::StatusOr<AuditTrailRead> read = ReadAuditTrail(
      world_.writer(),
      Query(world_.actors().auditor, careledger::v1::AUDIT_SCOPE_PATIENT, tools::kSamplePatient),
      request, feed, Soon());
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_TRUE(read->granted());
  const std::vector<careledger::v1::Event> added = world_.EventsSince(mark);
  ASSERT_EQ(added.size(), 1u);
  EXPECT_EQ(added[0].access_recorded().action(), "audit_patient");
  EXPECT_EQ(added[0].access_recorded().outcome(), careledger::v1::ACCESS_OUTCOME_GRANTED);
  EXPECT_GE(feed.advances, 1);  // the projection was brought up to the record
  bool own = false;
  bool crew = false;
  for (const careledger::v1::AuditEntry& entry : read->page->entries) {
    own |= entry.position().partition() == read->recorded.partition() &&
           entry.position().offset() == read->recorded.offset();
    if (entry.actor().user_id() == world_.actors().ambulance.user_id()) {
      crew = true;
      // Named as the sample directory records them (tools/sample_world.cc).
      EXPECT_EQ(entry.actor_name(), "Chris Lee");
    }
  }
  EXPECT_TRUE(own) << "the query's own record is in the trail it answers";
  EXPECT_TRUE(crew) << "the crew's read is in the patient's trail";
}

TEST_F(AuditReadTest, ASummaryIsTheWholeTrailWhateverThePageInTheSameRecordedQuery) {
  CatchUpFeed feed(world_, dir_.Sub("projection"));
  const std::vector<std::int64_t> mark = world_.Mark();
  projections::AuditPageRequest request;
  request.limit = 1;
  request.newest_first = true;
  const careledger::v1::Command command =
      Query(world_.actors().auditor, careledger::v1::AUDIT_SCOPE_PATIENT, tools::kSamplePatient);
  absl::StatusOr<AuditTrailRead> read =
      ReadAuditTrail(world_.writer(), command, request, feed, Soon(), /*summarise=*/true);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_TRUE(read->summary.has_value());
  EXPECT_EQ(world_.EventsSince(mark).size(), 1u);  // one query, the summary in it
  EXPECT_EQ(read->page->entries.size(), 1u);
  std::size_t listed = 0;
  ASSERT_TRUE(WriteTrail(feed.store(), command.audit_query(), AuditRange{},
                         [&](const careledger::v1::AuditEntry&) { return ++listed > 0; })
                  .ok());
  EXPECT_GT(listed, 1u);
  EXPECT_EQ(read->summary->entries, listed);
  EXPECT_EQ(read->summary->audit_queries, 1u);  // its own record
  EXPECT_GE(read->summary->reads, 1u);          // the crew's

  absl::StatusOr<AuditTrailRead> plain = ReadAuditTrail(
      world_.writer(),
      Query(world_.actors().auditor, careledger::v1::AUDIT_SCOPE_PATIENT, tools::kSamplePatient),
      request, feed, Soon());
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_FALSE(plain->summary.has_value());
}

TEST_F(AuditReadTest, AnyoneButTheCmcTeamIsRefusedRecordedAndShownNothing) {
  CatchUpFeed feed(world_, dir_.Sub("projection"));
  const std::vector<std::int64_t> mark = world_.Mark();
  absl::StatusOr<AuditTrailRead> read = ReadAuditTrail(
      world_.writer(),
      Query(world_.actors().ambulance, careledger::v1::AUDIT_SCOPE_PATIENT, tools::kSamplePatient),
      {}, feed, Soon());
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_FALSE(read->granted());
  EXPECT_EQ(read->recorded.outcome(), careledger::v1::OUTCOME_REJECTED);
  EXPECT_NE(read->recorded.error().find("only the CMC team audits"), std::string::npos);
  EXPECT_EQ(feed.advances, 0);  // nothing was fetched
  const std::vector<careledger::v1::Event> added = world_.EventsSince(mark);
  ASSERT_EQ(added.size(), 1u);
  EXPECT_EQ(added[0].access_recorded().outcome(), careledger::v1::ACCESS_OUTCOME_DENIED);

  absl::StatusOr<AuditExport> exported = ExportAuditTrail(
      world_.writer(),
      Query(world_.actors().gp, careledger::v1::AUDIT_SCOPE_PATIENT, tools::kSamplePatient, true),
      {}, feed, Soon(), [](const careledger::v1::AuditEntry&) { ADD_FAILURE() << "shown"; });
  ASSERT_TRUE(exported.ok()) << exported.status();
  EXPECT_FALSE(exported->granted);
  EXPECT_EQ(exported->exported, 0u);
}

TEST_F(AuditReadTest, BadInputAppendsNothing) {
  CatchUpFeed feed(world_, dir_.Sub("projection"));
  const std::vector<std::int64_t> mark = world_.Mark();
  EXPECT_THAT(ReadAuditTrail(
                  world_.writer(),
                  Query(world_.actors().auditor, careledger::v1::AUDIT_SCOPE_PATIENT, "1234567890"),
                  {}, feed, Soon()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  projections::AuditPageRequest zero;
  zero.limit = 0;
  EXPECT_THAT(
      ReadAuditTrail(world_.writer(),
                     Query(world_.actors().auditor, careledger::v1::AUDIT_SCOPE_USER, "crew.lee"),
                     zero, feed, Soon()),
      StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ReadAuditTrail(world_.writer(),
                             Query(world_.actors().auditor, careledger::v1::AUDIT_SCOPE_USER,
                                   "crew.lee", /*for_export=*/true),
                             {}, feed, Soon()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(world_.EventsSince(mark).empty());
}

TEST_F(AuditReadTest, AProjectionThatNeverReachesTheQueryShowsNothingButTheQueryIsRecorded) {
  StalledFeed feed(dir_.Sub("stalled"));
  const std::vector<std::int64_t> mark = world_.Mark();
  EXPECT_THAT(ReadAuditTrail(world_.writer(),
                             Query(world_.actors().auditor,
                                   careledger::v1::AUDIT_SCOPE_ORGANISATION, "AMB001"),
                             {}, feed, absl::Now() + absl::Milliseconds(200)),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_EQ(world_.EventsSince(mark).size(), 1u);
}

TEST_F(AuditReadTest, AnExportHandsOverTheWholeTrailEndingWithItsOwnRecord) {
  CatchUpFeed feed(world_, dir_.Sub("projection"));
  std::vector<careledger::v1::AuditEntry> entries;
  absl::StatusOr<AuditExport> exported = ExportAuditTrail(
      world_.writer(),
      Query(world_.actors().auditor, careledger::v1::AUDIT_SCOPE_PATIENT, tools::kSamplePatient,
            /*for_export=*/true),
      {}, feed, Soon(), [&](const careledger::v1::AuditEntry& entry) { entries.push_back(entry); });
  ASSERT_TRUE(exported.ok()) << exported.status();
  ASSERT_TRUE(exported->granted);
  EXPECT_EQ(exported->exported, entries.size());
  ASSERT_FALSE(entries.empty());
  EXPECT_EQ(entries.back().action(), "audit_export_patient");
  EXPECT_EQ(entries.back().position().offset(), exported->recorded.offset());
}

TEST_F(AuditReadTest, TheCmcTeamReadsTheAlertsOthersAreRefused) {
  CatchUpFeed feed(world_, dir_.Sub("projection"));
  absl::StatusOr<projections::InvestigationRequest> request = AlertsRequest("", {}, {}, "");
  ASSERT_TRUE(request.ok()) << request.status();
  absl::StatusOr<AlertsRead> read = ReadAlerts(
      world_.writer(), Query(world_.actors().auditor, careledger::v1::AUDIT_SCOPE_ALERTS, ""),
      *request, feed, Soon());
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_TRUE(read->granted());
  EXPECT_GT(read->found->records_examined, 0u);
  absl::StatusOr<AlertsRead> refused =
      ReadAlerts(world_.writer(), Query(world_.actors().gp, careledger::v1::AUDIT_SCOPE_ALERTS, ""),
                 *request, feed, Soon());
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_FALSE(refused->granted());
  EXPECT_THAT(AlertsRequest("snooping", {}, {}, "--").status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(AlertsRequest("", {"nerves=steel"}, {}, "").status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(AuditReadTest, AReviewOfAnAlertTheRulesDoNotRaiseAppendsNothingOthersAreRefused) {
  CatchUpFeed feed(world_, dir_.Sub("projection"));
  auto no_record = [](std::int32_t, std::int64_t) -> absl::StatusOr<absl::Time> {
    return absl::NotFoundError("no record there");
  };
  careledger::v1::Command review = LedgerWorld::As(world_.actors().auditor);
  review.mutable_review_alert()->set_alert_id("break_glass/0-999999");
  review.mutable_review_alert()->set_outcome(careledger::v1::ALERT_REVIEW_OUTCOME_JUSTIFIED);
  const std::vector<std::int64_t> mark = world_.Mark();
  EXPECT_THAT(ReviewAlert(world_.writer(), review, {}, feed, no_record, Soon()),
              StatusIs(absl::StatusCode::kNotFound));
  review.mutable_review_alert()->set_alert_id("not an id");
  EXPECT_THAT(ReviewAlert(world_.writer(), review, {}, feed, no_record, Soon()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(world_.EventsSince(mark).empty());

  // Anyone else's review goes to the ledger, which refuses and records it,
  // without being told whether the alert exists.
  careledger::v1::Command crew = review;
  *crew.mutable_actor() = world_.actors().ambulance;
  crew.mutable_review_alert()->set_alert_id("break_glass/0-999999");
  absl::StatusOr<careledger::v1::CommandResult> refused =
      ReviewAlert(world_.writer(), crew, {}, feed, no_record, Soon());
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_EQ(refused->outcome(), careledger::v1::OUTCOME_REJECTED);
  EXPECT_EQ(world_.EventsSince(mark).size(), 1u);
}

TEST(ReviewOutcomeTest, NamesRoundTrip) {
  for (const char* name :
       {"justified", "inappropriate-access-confirmed", "false-positive", "referred"}) {
    absl::StatusOr<careledger::v1::AlertReviewOutcome> outcome = ParseReviewOutcome("", name);
    ASSERT_TRUE(outcome.ok()) << outcome.status();
    EXPECT_EQ(ReviewOutcomeName(*outcome), name);
  }
  EXPECT_TRUE(ParseReviewOutcome("", "false_positive").ok());
  EXPECT_THAT(ParseReviewOutcome("", "shrug").status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(AuditRangeTest, DaysCoverWholeDaysAndTheRangeIsRecorded) {
  careledger::v1::AuditQuery query;
  absl::StatusOr<AuditRange> june = ParseAuditRange("2026-06-01", "2026-06-30", "--", &query);
  ASSERT_TRUE(june.ok()) << june.status();
  EXPECT_EQ(june->from, absl::FromCivil(absl::CivilDay(2026, 6, 1), absl::UTCTimeZone()));
  EXPECT_EQ(june->to, absl::FromCivil(absl::CivilDay(2026, 7, 1), absl::UTCTimeZone()));
  EXPECT_TRUE(query.has_range_from());
  EXPECT_TRUE(query.has_range_to());
  careledger::v1::AuditQuery unbounded;
  absl::StatusOr<AuditRange> all = ParseAuditRange("", "", "", &unbounded);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->from, absl::InfinitePast());
  EXPECT_FALSE(unbounded.has_range_from());
  EXPECT_THAT(ParseAuditRange("yesterday", "", "", &query).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseAuditRange("2026-06-02", "2026-06-01", "", &query).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(WorklistTaskTest, TaskNamesRoundTrip) {
  std::vector<std::string> names;
  for (careledger::v1::WorklistKind kind : TaskTypes()) {
    names.push_back(TaskName(kind));
    absl::StatusOr<careledger::v1::WorklistKind> parsed = ParseTask(names.back());
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, kind);
  }
  // The migration notice's Summary box order.
  EXPECT_EQ(names, (std::vector<std::string>{"draft_plan", "review_needed", "approval_needed",
                                             "plan_request", "change_request"}));
  EXPECT_THAT(ParseTask("DRAFT_PLAN").status(), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(WorklistReadTest, CountsAreTheWholeListsAndTheTaskFiltersTheItems) {
  LedgerWorld world;
  world.DraftSamplePlan();
  world.Apply(LedgerWorld::SubmitTo(world.actors().care_home_admin, "", tools::kGpPracticeOds));
  TempDir dir;
  CatchUpFeed feed(world, dir.Sub("projection"));
  ASSERT_TRUE(feed.Advance(Soon()).ok());
  const std::string owner = projections::OrganisationWorklist(tools::kGpPracticeOds);
  absl::StatusOr<Worklist> all =
      ReadWorklist(feed.store(), owner, std::nullopt, ReviewHorizon::At(absl::Now()));
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->owner, owner);
  EXPECT_EQ(all->total, all->items.size());
  EXPECT_EQ(all->counts.size(), TaskTypes().size());
  EXPECT_EQ(all->counts.at(careledger::v1::WORKLIST_KIND_APPROVAL_NEEDED), 1u);
  absl::StatusOr<Worklist> approvals =
      ReadWorklist(feed.store(), owner, careledger::v1::WORKLIST_KIND_APPROVAL_NEEDED,
                   ReviewHorizon::At(absl::Now()));
  ASSERT_TRUE(approvals.ok()) << approvals.status();
  ASSERT_EQ(approvals->items.size(), 1u);
  EXPECT_EQ(approvals->items[0].nhs_number(), tools::kSamplePatient);
  EXPECT_EQ(approvals->counts, all->counts);
  EXPECT_EQ(approvals->total, all->total);
}

}  // namespace
}  // namespace careledger::access
