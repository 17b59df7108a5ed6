// Proves what the plan projection makes of plan events: every event kind and
// the status of each lifecycle (draft, submitted, published, editing, closed,
// withdrawn, requests before any plan), the positions only the projection
// knows, every published version with its content hash, that applying a whole
// history in one batch gives the same bytes as applying it one event per run,
// and that plan events which contradict the projected plan (as the shared
// fold judges them) stop their partition instead of being applied or skipped.
#include "projections/plan_projection.h"

#include <gtest/gtest.h>

#include "projections/plan_queries.h"
#include "projections/progress.h"
#include "tests/projections/projection_fixture.h"

namespace careledger::projections {
namespace {

using ::careledger::testing::IsOk;
using ::careledger::testing::StatusIs;
using careledger::v1::CarePlan;
using careledger::v1::PlanRecord;
using careledger::v1::PublishedVersion;

class PlanProjectionTest : public ProjectionTest {
 protected:
  // Projects the log into `store`, expecting no stop, and returns the plan.
  PlanRecord ProjectAndGet(ProjectionStore* store, const std::string& nhs_number) {
    absl::StatusOr<ProjectionReport> report = Project(store);
    EXPECT_THAT(report, IsOk());
    if (report.ok()) {
      EXPECT_TRUE(report->stops.empty()) << report->stops.front().reason;
    }
    absl::StatusOr<PlanRecord> plan = PlanQueries(store).GetPlan(nhs_number);
    EXPECT_THAT(plan, IsOk());
    return plan.ok() ? *plan : PlanRecord();
  }

  // Projects the log, expecting exactly one stop, and returns it.
  PartitionStop ProjectExpectingOneStop(ProjectionStore* store) {
    absl::StatusOr<ProjectionReport> report = Project(store);
    EXPECT_THAT(report, IsOk());
    if (!report.ok() || report->stops.size() != 1) {
      ADD_FAILURE() << "expected exactly one stop";
      return {};
    }
    return report->stops.front();
  }
};

TEST_F(PlanProjectionTest, LifecycleKeepsThePublishedVersionWhileEditing) {
  const std::string nhs = NhsNumberInPartition(1);
  std::unique_ptr<ProjectionStore> store = OpenStore("stepwise");
  PlanQueries queries(store.get());

  // Started: a draft holding the consent; nothing published.
  const ledger::LogPosition started = StartPlan(nhs);
  CarePlan draft;
  *draft.mutable_consent() = PatientConsent();
  draft.mutable_demographics()->set_nhs_number(nhs);
  PlanRecord plan = ProjectAndGet(store.get(), nhs);
  EXPECT_EQ(plan.nhs_number(), nhs);
  EXPECT_EQ(plan.status(), careledger::v1::PLAN_STATUS_DRAFT);
  EXPECT_EQ(plan.state().lifecycle(), careledger::v1::PLAN_LIFECYCLE_DRAFT);
  EXPECT_TRUE(plan.state().draft_pending());
  EXPECT_EQ(Text(plan.state().draft()), Text(draft));
  EXPECT_FALSE(plan.state().has_published());
  EXPECT_EQ(plan.state().published_version(), 0u);
  EXPECT_EQ(plan.state().started_by_user(), "test-user");
  EXPECT_EQ(plan.last_event().stream_seq(), 1u);
  EXPECT_EQ(plan.draft_opened().offset(), started.offset);
  EXPECT_EQ(plan.draft_saved().offset(), started.offset);
  EXPECT_FALSE(plan.has_published_by());

  // Updated: the section lands in the draft, which was saved again.
  const ledger::LogPosition saved = UpdateSection(nhs, DemographicsSection(nhs, "Lovelace"));
  *draft.mutable_demographics() = DemographicsSection(nhs, "Lovelace").demographics();
  plan = ProjectAndGet(store.get(), nhs);
  EXPECT_EQ(plan.status(), careledger::v1::PLAN_STATUS_DRAFT);
  EXPECT_EQ(Text(plan.state().draft()), Text(draft));
  EXPECT_EQ(plan.draft_opened().offset(), started.offset);
  EXPECT_EQ(plan.draft_saved().offset(), saved.offset);

  // Approved: the draft is published as version 1; no draft is pending.
  const CarePlan version_1 = draft;
  const ledger::LogPosition approval_1 = Approve(nhs);
  plan = ProjectAndGet(store.get(), nhs);
  EXPECT_EQ(plan.status(), careledger::v1::PLAN_STATUS_PUBLISHED);
  EXPECT_EQ(plan.state().published_version(), 1u);
  EXPECT_EQ(Text(plan.state().published()), Text(version_1));
  EXPECT_FALSE(plan.state().draft_pending());
  EXPECT_FALSE(plan.has_draft_opened());
  EXPECT_FALSE(plan.has_draft_saved());
  EXPECT_EQ(plan.published_by().partition(), approval_1.partition);
  EXPECT_EQ(plan.published_by().offset(), approval_1.offset);
  EXPECT_EQ(plan.published_by().stream_seq(), 3u);

  // Edited after publishing: EDITING, urgent care still sees version 1, and
  // the edit opened the draft.
  const ledger::LogPosition edit =
      UpdateSection(nhs, ResuscitationSection(careledger::v1::CPR_DECISION_NOT_FOR_CPR));
  CarePlan version_2 = version_1;
  *version_2.mutable_resuscitation() =
      ResuscitationSection(careledger::v1::CPR_DECISION_NOT_FOR_CPR).resuscitation();
  plan = ProjectAndGet(store.get(), nhs);
  EXPECT_EQ(plan.status(), careledger::v1::PLAN_STATUS_EDITING);
  EXPECT_EQ(plan.state().published_version(), 1u);
  EXPECT_EQ(Text(plan.state().published()), Text(version_1));
  EXPECT_EQ(Text(plan.state().draft()), Text(version_2));
  EXPECT_EQ(plan.draft_opened().offset(), edit.offset);

  // Approved again: version 2 published, version 1 kept in the history.
  const ledger::LogPosition approval_2 = Approve(nhs);
  plan = ProjectAndGet(store.get(), nhs);
  EXPECT_EQ(plan.status(), careledger::v1::PLAN_STATUS_PUBLISHED);
  EXPECT_EQ(plan.state().published_version(), 2u);
  EXPECT_EQ(Text(plan.state().published()), Text(version_2));
  EXPECT_FALSE(plan.state().draft_pending());
  EXPECT_EQ(plan.last_event().stream_seq(), 5u);
  EXPECT_EQ(plan.published_by().offset(), approval_2.offset);

  CL_ASSERT_OK_AND_ASSIGN(std::vector<PublishedVersion> versions, queries.ListVersions(nhs));
  ASSERT_EQ(versions.size(), 2u);
  EXPECT_EQ(versions[0].version(), 1u);
  EXPECT_EQ(Text(versions[0].plan()), Text(version_1));
  EXPECT_EQ(versions[0].approval().offset(), approval_1.offset);
  EXPECT_EQ(versions[0].approved_by().user_id(), "test-user");
  EXPECT_EQ(versions[0].content_hash(), events::HashBytes(events::PlanContentHash(version_1)));
  EXPECT_EQ(versions[1].version(), 2u);
  EXPECT_EQ(Text(versions[1].plan()), Text(version_2));
  EXPECT_EQ(versions[1].approval().offset(), approval_2.offset);
  EXPECT_EQ(versions[1].content_hash(), events::HashBytes(events::PlanContentHash(version_2)));
  ASSERT_EQ(plan.state().version_hashes_size(), 2);
  EXPECT_EQ(plan.state().version_hashes(1), versions[1].content_hash());
  CL_ASSERT_OK_AND_ASSIGN(PublishedVersion first, queries.GetVersion(nhs, 1));
  EXPECT_EQ(Text(first.plan()), Text(version_1));
  EXPECT_THAT(queries.GetVersion(nhs, 3), StatusIs(absl::StatusCode::kNotFound));

  // The whole history in one batch (read-your-writes inside the batch) gives
  // the same bytes as five runs of one event each.
  std::unique_ptr<ProjectionStore> at_once = OpenStore("at-once");
  CL_ASSERT_OK_AND_ASSIGN(ProjectionReport report, Project(at_once.get()));
  EXPECT_EQ(report.records_applied, kGeneses + 5u);
  EXPECT_EQ(Fingerprint(*at_once), Fingerprint(*store));
}

TEST_F(PlanProjectionTest, StatusFollowsEveryLifecycle) {
  const std::string nhs = NhsNumberInPartition(2);
  std::unique_ptr<ProjectionStore> store = OpenStore("store");

  StartPlan(nhs);
  EXPECT_EQ(ProjectAndGet(store.get(), nhs).status(), careledger::v1::PLAN_STATUS_DRAFT);

  // Submitted for approval: SUBMITTED, with the submission.
  Submit(nhs, "dr-who", "", "please approve");
  PlanRecord plan = ProjectAndGet(store.get(), nhs);
  EXPECT_EQ(plan.status(), careledger::v1::PLAN_STATUS_SUBMITTED);
  EXPECT_EQ(plan.state().lifecycle(), careledger::v1::PLAN_LIFECYCLE_DRAFT);
  EXPECT_EQ(plan.state().submission().to_user(), "dr-who");
  EXPECT_EQ(plan.state().submission().note(), "please approve");

  // Approved: PUBLISHED, the submission is gone.
  Approve(nhs);
  plan = ProjectAndGet(store.get(), nhs);
  EXPECT_EQ(plan.status(), careledger::v1::PLAN_STATUS_PUBLISHED);
  EXPECT_FALSE(plan.state().has_submission());

  // An edit, submitted: still EDITING (documented), the submission kept.
  UpdateSection(nhs, ResuscitationSection(careledger::v1::CPR_DECISION_NOT_FOR_CPR));
  Submit(nhs, "", "RYJ");
  plan = ProjectAndGet(store.get(), nhs);
  EXPECT_EQ(plan.status(), careledger::v1::PLAN_STATUS_EDITING);
  EXPECT_EQ(plan.state().submission().to_organisation(), "RYJ");

  // Discarded: back to the published version, no draft, no submission.
  DiscardDraft(nhs);
  plan = ProjectAndGet(store.get(), nhs);
  EXPECT_EQ(plan.status(), careledger::v1::PLAN_STATUS_PUBLISHED);
  EXPECT_FALSE(plan.state().draft_pending());
  EXPECT_FALSE(plan.state().has_submission());
  EXPECT_FALSE(plan.has_draft_opened());
  EXPECT_EQ(Text(plan.state().draft()), Text(plan.state().published()));
  EXPECT_FALSE(plan.state().draft().has_resuscitation());

  // Reviewed, restricted, noted, unrestricted: content and status unchanged.
  Review(nhs, MakeDate(2024, 9, 1));
  plan = ProjectAndGet(store.get(), nhs);
  EXPECT_EQ(Text(plan.state().review_due()), Text(MakeDate(2024, 9, 1)));
  Restrict(nhs, {"dr-who"});
  plan = ProjectAndGet(store.get(), nhs);
  ASSERT_TRUE(plan.state().has_restriction());
  EXPECT_THAT(plan.state().restriction().allowed_users(),
              ::testing::ElementsAre("dr-who", "test-user"));
  ActAs("crew-7", careledger::v1::ROLE_URGENT_CARE, "RRU");
  AddNote(nhs, "key safe code with daughter");
  ActAs("test-user", careledger::v1::ROLE_CLINICIAN);
  LiftRestriction(nhs);
  plan = ProjectAndGet(store.get(), nhs);
  EXPECT_FALSE(plan.state().has_restriction());
  ASSERT_EQ(plan.state().notes_size(), 1);
  EXPECT_EQ(plan.state().notes(0).text(), "key safe code with daughter");
  EXPECT_EQ(plan.state().notes(0).by().user_id(), "crew-7");
  EXPECT_EQ(plan.status(), careledger::v1::PLAN_STATUS_PUBLISHED);
  EXPECT_EQ(plan.state().published_version(), 1u);

  // Death recorded: CLOSED.
  RecordDeath(nhs);
  plan = ProjectAndGet(store.get(), nhs);
  EXPECT_EQ(plan.status(), careledger::v1::PLAN_STATUS_CLOSED);
  EXPECT_EQ(plan.state().death().place(), "home");
  EXPECT_EQ(plan.last_event().stream_seq(), 11u);

  // Another patient withdraws consent while editing: WITHDRAWN.
  const std::string other = NhsNumberInPartition(2, 1);
  StartPlan(other);
  Approve(other);
  UpdateSection(other, DemographicsSection(other, "Seacole"));
  WithdrawConsent(other);
  plan = ProjectAndGet(store.get(), other);
  EXPECT_EQ(plan.status(), careledger::v1::PLAN_STATUS_WITHDRAWN);
  EXPECT_EQ(plan.state().withdrawal().note(), "the patient asked");

  // PlanStatusOf is total over the lifecycles.
  careledger::v1::PlanState state;
  EXPECT_EQ(PlanStatusOf(state), careledger::v1::PLAN_STATUS_UNSPECIFIED);
}

TEST_F(PlanProjectionTest, RequestsBeforeAnyPlanMakeARecordWithoutLifecycle) {
  const std::string nhs = NhsNumberInPartition(3);
  ActAs("patient-1", careledger::v1::ROLE_PATIENT);
  const std::string request =
      MakeRequest(nhs, careledger::v1::PATIENT_REQUEST_KIND_INITIATE_PLAN, "please start my plan");
  std::unique_ptr<ProjectionStore> store = OpenStore("store");
  PlanRecord plan = ProjectAndGet(store.get(), nhs);
  EXPECT_EQ(plan.nhs_number(), nhs);
  EXPECT_EQ(plan.status(), careledger::v1::PLAN_STATUS_UNSPECIFIED);
  EXPECT_EQ(plan.state().lifecycle(), careledger::v1::PLAN_LIFECYCLE_UNSPECIFIED);
  ASSERT_EQ(plan.state().requests_size(), 1);
  EXPECT_EQ(plan.state().requests(0).request_id(), request);
  EXPECT_EQ(plan.state().requests(0).by_user(), "patient-1");
  EXPECT_EQ(plan.state().requests(0).resolution(), careledger::v1::REQUEST_RESOLUTION_UNSPECIFIED);
  EXPECT_FALSE(plan.has_draft_opened());

  // A clinician starts the plan and resolves the request.
  ActAs("test-user", careledger::v1::ROLE_CLINICIAN);
  StartPlan(nhs);
  ResolveRequest(nhs, request);
  plan = ProjectAndGet(store.get(), nhs);
  EXPECT_EQ(plan.status(), careledger::v1::PLAN_STATUS_DRAFT);
  ASSERT_EQ(plan.state().requests_size(), 1);
  EXPECT_EQ(plan.state().requests(0).resolution(), careledger::v1::REQUEST_RESOLUTION_RESOLVED);
  EXPECT_EQ(plan.state().requests(0).resolved_by(), "test-user");
}

TEST_F(PlanProjectionTest, EditAfterDeathStops) {
  const std::string nhs = NhsNumberInPartition(0);
  StartPlan(nhs);
  Approve(nhs);
  RecordDeath(nhs);
  const ledger::LogPosition bad =
      UpdateSection(nhs, ResuscitationSection(careledger::v1::CPR_DECISION_FOR_CPR));
  const std::string after = NhsNumberInPartition(0, 1);
  StartPlan(after);

  std::unique_ptr<ProjectionStore> store = OpenStore("store");
  const PartitionStop stop = ProjectExpectingOneStop(store.get());
  EXPECT_EQ(stop.partition, 0);
  EXPECT_EQ(stop.offset, bad.offset);
  EXPECT_EQ(stop.KindName(), kInconsistentEventKind);
  EXPECT_NE(stop.reason.find("not open"), std::string::npos) << stop.reason;

  // The plan is as the death left it; nothing after the bad record applied.
  PlanQueries queries(store.get());
  CL_ASSERT_OK_AND_ASSIGN(PlanRecord plan, queries.GetPlan(nhs));
  EXPECT_EQ(plan.status(), careledger::v1::PLAN_STATUS_CLOSED);
  EXPECT_EQ(plan.last_event().stream_seq(), 3u);
  EXPECT_FALSE(plan.state().draft().has_resuscitation());
  EXPECT_THAT(queries.GetPlan(after), StatusIs(absl::StatusCode::kNotFound));
  CL_ASSERT_OK_AND_ASSIGN(std::vector<careledger::v1::HistoryEntry> history,
                          queries.ListHistory(nhs));
  EXPECT_EQ(history.size(), 3u);
}

TEST_F(PlanProjectionTest, ResolvingARequestTwiceStops) {
  const std::string nhs = NhsNumberInPartition(1);
  StartPlan(nhs);
  const std::string request =
      MakeRequest(nhs, careledger::v1::PATIENT_REQUEST_KIND_CHANGE, "add my daughter");
  ResolveRequest(nhs, request, careledger::v1::REQUEST_RESOLUTION_DECLINED);
  const ledger::LogPosition bad = ResolveRequest(nhs, request);
  std::unique_ptr<ProjectionStore> store = OpenStore("store");
  const PartitionStop stop = ProjectExpectingOneStop(store.get());
  EXPECT_EQ(stop.offset, bad.offset);
  EXPECT_NE(stop.reason.find(fmt::format("no open request {}", request)), std::string::npos)
      << stop.reason;
  CL_ASSERT_OK_AND_ASSIGN(PlanRecord plan, PlanQueries(store.get()).GetPlan(nhs));
  EXPECT_EQ(plan.state().requests(0).resolution(), careledger::v1::REQUEST_RESOLUTION_DECLINED);
}

TEST_F(PlanProjectionTest, UnknownPatientIsNotFound) {
  std::unique_ptr<ProjectionStore> store = OpenStore("store");
  PlanQueries queries(store.get());
  EXPECT_THAT(queries.GetPlan("9990000018"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(queries.GetVersion("9990000018", 1), StatusIs(absl::StatusCode::kNotFound));
  CL_ASSERT_OK_AND_ASSIGN(std::vector<PublishedVersion> versions,
                          queries.ListVersions("9990000018"));
  EXPECT_TRUE(versions.empty());
  CL_ASSERT_OK_AND_ASSIGN(std::vector<std::int64_t> offsets, queries.Offsets());
  EXPECT_TRUE(offsets.empty());
}

TEST_F(PlanProjectionTest, UpdateBeforeStartStopsThePartition) {
  const std::string before = NhsNumberInPartition(2, 0);
  const std::string orphan = NhsNumberInPartition(2, 1);
  const std::string after = NhsNumberInPartition(2, 2);
  const std::string elsewhere = NhsNumberInPartition(3);
  StartPlan(before);
  const ledger::LogPosition bad =
      UpdateSection(orphan, ResuscitationSection(careledger::v1::CPR_DECISION_FOR_CPR));
  StartPlan(after);
  StartPlan(elsewhere);

  std::unique_ptr<ProjectionStore> store = OpenStore("store");
  const PartitionStop stop = ProjectExpectingOneStop(store.get());
  EXPECT_EQ(stop.partition, 2);
  EXPECT_EQ(stop.offset, bad.offset);
  EXPECT_EQ(stop.stream_id, PatientStream(orphan));
  EXPECT_FALSE(stop.failure.has_value());
  EXPECT_EQ(stop.KindName(), kInconsistentEventKind);
  EXPECT_NE(stop.reason.find("an edit of a plan that is not open"), std::string::npos)
      << stop.reason;

  PlanQueries queries(store.get());
  EXPECT_THAT(queries.GetPlan(before), IsOk());
  EXPECT_THAT(queries.GetPlan(orphan), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(queries.GetPlan(after), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(queries.GetPlan(elsewhere), IsOk());
  CL_ASSERT_OK_AND_ASSIGN(std::vector<std::int64_t> offsets, queries.Offsets());
  EXPECT_EQ(offsets[2], bad.offset);
  CL_ASSERT_OK_AND_ASSIGN(events::StreamHead orphan_head,
                          ReadStreamHead(*store, PatientStream(orphan)));
  EXPECT_EQ(orphan_head.seq, 0u);
  CL_ASSERT_OK_AND_ASSIGN(std::vector<PartitionStop> stored, queries.StoredStops());
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0], stop);
}

TEST_F(PlanProjectionTest, ApprovalOfOtherContentThanTheDraftStops) {
  const std::string nhs = NhsNumberInPartition(0);
  StartPlan(nhs);
  UpdateSection(nhs, ResuscitationSection(careledger::v1::CPR_DECISION_FOR_CPR));
  CarePlan not_the_draft = Draft(nhs);
  *not_the_draft.mutable_resuscitation() =
      ResuscitationSection(careledger::v1::CPR_DECISION_NOT_FOR_CPR).resuscitation();
  const ledger::LogPosition bad = ApproveAs(nhs, 1, not_the_draft);

  std::unique_ptr<ProjectionStore> store = OpenStore("store");
  const PartitionStop stop = ProjectExpectingOneStop(store.get());
  EXPECT_EQ(stop.offset, bad.offset);
  EXPECT_EQ(stop.KindName(), kInconsistentEventKind);
  EXPECT_NE(stop.reason.find("draft_hash"), std::string::npos) << stop.reason;

  // Nothing was published; the draft is as the two good events left it.
  PlanQueries queries(store.get());
  CL_ASSERT_OK_AND_ASSIGN(PlanRecord plan, queries.GetPlan(nhs));
  EXPECT_EQ(plan.status(), careledger::v1::PLAN_STATUS_DRAFT);
  EXPECT_EQ(Text(plan.state().draft()), Text(Draft(nhs)));
  EXPECT_FALSE(plan.state().has_published());
  CL_ASSERT_OK_AND_ASSIGN(std::vector<PublishedVersion> versions, queries.ListVersions(nhs));
  EXPECT_TRUE(versions.empty());

  // A rerun stops at the same record and changes nothing.
  const std::string before = Fingerprint(*store);
  EXPECT_EQ(ProjectExpectingOneStop(store.get()), stop);
  EXPECT_EQ(Fingerprint(*store), before);
}

TEST_F(PlanProjectionTest, ApprovalSkippingAVersionStops) {
  const std::string nhs = NhsNumberInPartition(1);
  StartPlan(nhs);
  const ledger::LogPosition bad = ApproveAs(nhs, 2, Draft(nhs));
  std::unique_ptr<ProjectionStore> store = OpenStore("store");
  const PartitionStop stop = ProjectExpectingOneStop(store.get());
  EXPECT_EQ(stop.offset, bad.offset);
  EXPECT_NE(stop.reason.find("version 2 after version 0"), std::string::npos) << stop.reason;
}

TEST_F(PlanProjectionTest, PlanEventOnAStreamThatIsNotAPatientsStops) {
  careledger::v1::Event event = factory_.NextEvent("directory/org/RYJ");
  const ledger::LogPosition bad = Append(event);  // a PlanStarted body
  std::unique_ptr<ProjectionStore> store = OpenStore("store");
  const PartitionStop stop = ProjectExpectingOneStop(store.get());
  EXPECT_EQ(stop.offset, bad.offset);
  EXPECT_EQ(stop.stream_id, "directory/org/RYJ");
  EXPECT_EQ(stop.KindName(), kInconsistentEventKind);
}

TEST_F(PlanProjectionTest, CheckpointsChangeNoPlanButAdvanceTheProjection) {
  const std::string nhs = NhsNumberInPartition(3);
  StartPlan(nhs);
  UpdateSection(nhs, DemographicsSection(nhs, "Seacole"));
  std::unique_ptr<ProjectionStore> store = OpenStore("store");
  const PlanRecord before = ProjectAndGet(store.get(), nhs);

  // Checked against the digest the projector stored in the earlier run.
  const ledger::LogPosition checkpoint = AppendCheckpoint(3);
  const PlanRecord after = ProjectAndGet(store.get(), nhs);
  EXPECT_EQ(Text(after), Text(before));
  CL_ASSERT_OK_AND_ASSIGN(std::vector<std::int64_t> offsets, PlanQueries(store.get()).Offsets());
  EXPECT_EQ(offsets[3], checkpoint.offset + 1);
  CL_ASSERT_OK_AND_ASSIGN(events::StreamHead head,
                          ReadStreamHead(*store, ledger::CheckpointStreamId(3, kPartitions)));
  EXPECT_EQ(head.seq, 1u);
  CL_ASSERT_OK_AND_ASSIGN(std::vector<PartitionProgress> progress, ReadProgress(*store, 4));
  EXPECT_EQ(progress[3].digest, digests_[3]);
}

TEST_F(PlanProjectionTest, CheckpointThatDisagreesWithTheLogStops) {
  const std::string nhs = NhsNumberInPartition(0);
  StartPlan(nhs);
  std::unique_ptr<ProjectionStore> store = OpenStore("store");
  ProjectAndGet(store.get(), nhs);

  // A checkpoint claiming a record the log does not hold (a cut tail).
  careledger::v1::Event event = factory_.NextEvent(ledger::CheckpointStreamId(0, kPartitions));
  events::PartitionDigest claimed = digests_[0];
  claimed.Add(claimed.last_offset + 1, events::Sha256("a record that was cut"));
  *event.mutable_checkpoint() = claimed.ToCheckpoint(0);
  const ledger::LogPosition bad = Append(event);
  const PartitionStop stop = ProjectExpectingOneStop(store.get());
  EXPECT_EQ(stop.offset, bad.offset);
  EXPECT_EQ(stop.failure, events::FailureKind::kCheckpointMismatch);
}

}  // namespace
}  // namespace careledger::projections
