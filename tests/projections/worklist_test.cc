// Proves the Action Needed worklist (projections/worklist.h): a draft is
// listed for the organisations that contributed to it until it is approved
// or discarded; a submitted draft is listed for its recipient (user and/or
// organisation) and for the patient until it is approved; a myCMC request is
// listed for the patient's GP practice (or "" before one is known) until it
// is resolved, and moves when the practice changes; closing a plan clears its
// drafts; and each item says what it is, about whom, since when. Also the
// review-date index (review_due.h) the plans needing review are read from.
#include "projections/worklist.h"

#include <gtest/gtest.h>

#include "events/time_util.h"
#include "projections/plan_queries.h"
#include "tests/projections/projection_fixture.h"

namespace careledger::projections {
namespace {

using ::careledger::testing::IsOk;
using careledger::v1::WorklistItem;
using careledger::v1::WorklistKind;

// "KIND nhs detail" per item, for readable comparisons.
std::vector<std::string> Describe(const std::vector<WorklistItem>& items) {
  std::vector<std::string> described;
  for (const WorklistItem& item : items) {
    described.push_back(fmt::format("{} {} {}", careledger::v1::WorklistKind_Name(item.kind()),
                                    item.nhs_number(), item.detail()));
  }
  return described;
}

class WorklistTest : public ProjectionTest {
 protected:
  // Projects (expecting no stop) and lists `owner`'s worklist.
  std::vector<WorklistItem> ProjectAndList(const std::string& owner) {
    absl::StatusOr<ProjectionReport> report = Project(store_.get());
    EXPECT_THAT(report, IsOk());
    if (report.ok()) {
      EXPECT_TRUE(report->stops.empty()) << report->stops.front().reason;
    }
    absl::StatusOr<std::vector<WorklistItem>> items = PlanQueries(store_.get()).ListWorklist(owner);
    EXPECT_THAT(items, IsOk());
    return items.ok() ? *items : std::vector<WorklistItem>();
  }

  std::vector<WorklistItem> List(const std::string& owner) {
    absl::StatusOr<std::vector<WorklistItem>> items = PlanQueries(store_.get()).ListWorklist(owner);
    EXPECT_THAT(items, IsOk());
    return items.ok() ? *items : std::vector<WorklistItem>();
  }

  void SetUp() override {
    ProjectionTest::SetUp();
    store_ = OpenStore("store");
  }

  std::unique_ptr<ProjectionStore> store_;
};

TEST_F(WorklistTest, SubmittedDraftIsListedForItsRecipientsUntilApproved) {
  const std::string nhs = NhsNumberInPartition(1);
  ActAs("admin-1", careledger::v1::ROLE_ADMINISTRATOR, "G85001");
  StartPlan(nhs);
  const absl::Time started = clock_;
  UpdateSection(nhs, GpSection(nhs, "G85001"));

  // A draft: listed for the contributing practice and the patient.
  std::vector<WorklistItem> items = ProjectAndList(OrganisationWorklist("G85001"));
  EXPECT_THAT(Describe(items),
              ::testing::ElementsAre(fmt::format("WORKLIST_KIND_DRAFT_PLAN {} Draft", nhs)));
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(events::FromTimestamp(items[0].since()), started);
  EXPECT_EQ(items[0].owner(), "org/G85001");
  EXPECT_THAT(Describe(List(PatientWorklist(nhs))),
              ::testing::ElementsAre(fmt::format("WORKLIST_KIND_DRAFT_PLAN {} Draft", nhs)));
  EXPECT_TRUE(List(UserWorklist("dr-b")).empty());

  // Submitted to dr-b at RYJ: needs approval by both, and shows for the patient.
  Submit(nhs, "dr-b", "RYJ", "ready for sign-off");
  const absl::Time submitted = clock_;
  const std::string approval =
      fmt::format("WORKLIST_KIND_APPROVAL_NEEDED {} submitted by admin-1: ready for sign-off", nhs);
  items = ProjectAndList(UserWorklist("dr-b"));
  EXPECT_THAT(Describe(items), ::testing::ElementsAre(approval));
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(events::FromTimestamp(items[0].since()), submitted);
  EXPECT_THAT(Describe(List(OrganisationWorklist("RYJ"))), ::testing::ElementsAre(approval));
  EXPECT_THAT(Describe(List(PatientWorklist(nhs))),
              ::testing::ElementsAre(fmt::format("WORKLIST_KIND_DRAFT_PLAN {} Draft", nhs),
                                     approval));  // oldest first

  // Approved: nothing is left on anyone's list.
  ActAs("dr-b", careledger::v1::ROLE_CLINICIAN, "RYJ");
  Approve(nhs);
  EXPECT_TRUE(ProjectAndList(UserWorklist("dr-b")).empty());
  EXPECT_TRUE(List(OrganisationWorklist("RYJ")).empty());
  EXPECT_TRUE(List(OrganisationWorklist("G85001")).empty());
  EXPECT_TRUE(List(PatientWorklist(nhs)).empty());

  // An edit opens "Draft, Editing" for every contributor (RYJ approved).
  UpdateSection(nhs, ResuscitationSection(careledger::v1::CPR_DECISION_NOT_FOR_CPR));
  const absl::Time edited = clock_;
  const std::string editing = fmt::format("WORKLIST_KIND_DRAFT_PLAN {} Draft, Editing", nhs);
  items = ProjectAndList(OrganisationWorklist("G85001"));
  EXPECT_THAT(Describe(items), ::testing::ElementsAre(editing));
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(events::FromTimestamp(items[0].since()), edited);
  EXPECT_THAT(Describe(List(OrganisationWorklist("RYJ"))), ::testing::ElementsAre(editing));

  // Discarded: gone again.
  DiscardDraft(nhs);
  EXPECT_TRUE(ProjectAndList(OrganisationWorklist("G85001")).empty());
  EXPECT_TRUE(List(OrganisationWorklist("RYJ")).empty());
  EXPECT_TRUE(List(PatientWorklist(nhs)).empty());
}

TEST_F(WorklistTest, RequestIsListedForTheGpPracticeUntilResolved) {
  const std::string nhs = NhsNumberInPartition(2);
  ActAs("patient-1", careledger::v1::ROLE_PATIENT);
  const std::string initiate =
      MakeRequest(nhs, careledger::v1::PATIENT_REQUEST_KIND_INITIATE_PLAN, "please start my plan");
  const absl::Time asked = clock_;

  // No plan, so no known practice: the request waits under "org/".
  std::vector<WorklistItem> items = ProjectAndList(OrganisationWorklist(""));
  EXPECT_THAT(Describe(items), ::testing::ElementsAre(fmt::format(
                                   "WORKLIST_KIND_PLAN_REQUEST {} please start my plan", nhs)));
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].item_id(), initiate);
  EXPECT_EQ(events::FromTimestamp(items[0].since()), asked);
  EXPECT_EQ(List(PatientWorklist(nhs)).size(), 1u);

  // The practice starts the plan and names itself: the request moves there
  // (after the practice's own draft, which is newer).
  ActAs("gp-1", careledger::v1::ROLE_CLINICIAN, "G85001");
  StartPlan(nhs);
  UpdateSection(nhs, GpSection(nhs, "G85001"));
  EXPECT_TRUE(ProjectAndList(OrganisationWorklist("")).empty());
  EXPECT_THAT(
      Describe(List(OrganisationWorklist("G85001"))),
      ::testing::ElementsAre(fmt::format("WORKLIST_KIND_PLAN_REQUEST {} please start my plan", nhs),
                             fmt::format("WORKLIST_KIND_DRAFT_PLAN {} Draft", nhs)));

  // Resolved: only the draft is left. A change request then appears.
  ResolveRequest(nhs, initiate);
  ActAs("patient-1", careledger::v1::ROLE_PATIENT);
  const std::string change =
      MakeRequest(nhs, careledger::v1::PATIENT_REQUEST_KIND_CHANGE, "add my daughter");
  items = ProjectAndList(OrganisationWorklist("G85001"));
  EXPECT_THAT(
      Describe(items),
      ::testing::ElementsAre(fmt::format("WORKLIST_KIND_DRAFT_PLAN {} Draft", nhs),
                             fmt::format("WORKLIST_KIND_CHANGE_REQUEST {} add my daughter", nhs)));
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[1].item_id(), change);

  // The patient moves practice: the request follows; the draft stays with
  // the practice that contributed to it.
  ActAs("gp-1", careledger::v1::ROLE_CLINICIAN, "G85001");
  UpdateSection(nhs, GpSection(nhs, "G83002"));
  EXPECT_THAT(
      Describe(ProjectAndList(OrganisationWorklist("G83002"))),
      ::testing::ElementsAre(fmt::format("WORKLIST_KIND_CHANGE_REQUEST {} add my daughter", nhs)));
  EXPECT_THAT(Describe(List(OrganisationWorklist("G85001"))),
              ::testing::ElementsAre(fmt::format("WORKLIST_KIND_DRAFT_PLAN {} Draft", nhs)));

  // Declined: no request left anywhere.
  ResolveRequest(nhs, change, careledger::v1::REQUEST_RESOLUTION_DECLINED);
  EXPECT_TRUE(ProjectAndList(OrganisationWorklist("G83002")).empty());
  EXPECT_THAT(Describe(List(PatientWorklist(nhs))),
              ::testing::ElementsAre(fmt::format("WORKLIST_KIND_DRAFT_PLAN {} Draft", nhs)));
}

TEST_F(WorklistTest, ClosingAPlanClearsItsDraftsButNotItsOpenRequests) {
  const std::string nhs = NhsNumberInPartition(3);
  ActAs("gp-1", careledger::v1::ROLE_CLINICIAN, "G85001");
  StartPlan(nhs);
  UpdateSection(nhs, GpSection(nhs, "G85001"));
  Approve(nhs);
  UpdateSection(nhs, ResuscitationSection(careledger::v1::CPR_DECISION_NOT_FOR_CPR));
  Submit(nhs, "dr-b", "");
  ActAs("patient-1", careledger::v1::ROLE_PATIENT);
  MakeRequest(nhs, careledger::v1::PATIENT_REQUEST_KIND_CHANGE, "call my son");
  EXPECT_EQ(ProjectAndList(PatientWorklist(nhs)).size(), 3u);

  ActAs("gp-1", careledger::v1::ROLE_CLINICIAN, "G85001");
  RecordDeath(nhs);
  EXPECT_TRUE(ProjectAndList(UserWorklist("dr-b")).empty());
  EXPECT_THAT(
      Describe(List(OrganisationWorklist("G85001"))),
      ::testing::ElementsAre(fmt::format("WORKLIST_KIND_CHANGE_REQUEST {} call my son", nhs)));
}

TEST_F(WorklistTest, ItemsOfAPlanRecordAreDerivedWithoutTheStore) {
  careledger::v1::PlanRecord plan;
  plan.set_nhs_number("9990000018");
  EXPECT_TRUE(WorklistItemsOf(plan).empty());
  plan.mutable_state()->set_lifecycle(careledger::v1::PLAN_LIFECYCLE_DRAFT);
  plan.mutable_state()->add_contributing_organisations("RYJ");
  plan.mutable_state()->add_contributing_organisations("G85001");
  plan.mutable_state()->mutable_submission()->set_to_user("dr-b");
  plan.mutable_state()->mutable_published()->mutable_demographics()->set_gp_practice_ods("G1");
  careledger::v1::PatientRequest* request = plan.mutable_state()->add_requests();
  request->set_request_id("r1");
  std::vector<std::string> owners;
  std::vector<WorklistKind> kinds;
  for (const WorklistItem& item : WorklistItemsOf(plan)) {
    owners.push_back(item.owner());
    kinds.push_back(item.kind());
  }
  EXPECT_THAT(owners,
              ::testing::ElementsAre("org/RYJ", "org/G85001", "patient/9990000018", "user/dr-b",
                                     "patient/9990000018", "org/G1", "patient/9990000018"));
  EXPECT_EQ(kinds[3], careledger::v1::WORKLIST_KIND_APPROVAL_NEEDED);
  EXPECT_EQ(kinds[5], careledger::v1::WORKLIST_KIND_CHANGE_REQUEST);  // unspecified kind
  EXPECT_EQ(GpPracticeOf(plan), "G1");  // no draft demographics: the published ones
}

// The review-date index (review_due.h): entries under the reviewing
// clinician and the patient while the plan is published; ListReviewsDue's
// bound is inclusive, across month and year ends; a closed plan leaves it.
TEST_F(WorklistTest, ReviewDatesAreIndexedByClinicianAndPatientUntilThePlanCloses) {
  const std::string december = NhsNumberInPartition(0);
  const std::string january = NhsNumberInPartition(1);
  ActAs("dr-a", careledger::v1::ROLE_CLINICIAN, "G85001");
  for (const auto& [nhs, on] :
       {std::pair{december, MakeDate(2024, 12, 31)}, std::pair{january, MakeDate(2025, 1, 1)}}) {
    StartPlan(nhs);
    careledger::v1::PlanSectionValue review;
    *review.mutable_review()->mutable_review_on() = on;
    review.mutable_review()->set_reviewing_clinician("dr-a");
    UpdateSection(nhs, review);
  }
  // Drafts only: no review is indexed.
  ProjectAndList(UserWorklist("dr-a"));
  const PlanQueries queries(store_.get());
  absl::StatusOr<std::vector<careledger::v1::ReviewDue>> due =
      queries.ListReviewsDue(UserWorklist("dr-a"), MakeDate(2025, 12, 31));
  ASSERT_THAT(due, IsOk());
  EXPECT_TRUE(due->empty());

  Approve(december);
  Approve(january);
  ProjectAndList(UserWorklist("dr-a"));
  auto nhs_numbers = [&](const std::string& owner, const careledger::v1::Date& through) {
    std::vector<std::string> listed;
    absl::StatusOr<std::vector<careledger::v1::ReviewDue>> entries =
        queries.ListReviewsDue(owner, through);
    EXPECT_THAT(entries, IsOk());
    if (!entries.ok()) return listed;
    for (const careledger::v1::ReviewDue& entry : *entries) {
      EXPECT_EQ(entry.owner(), owner);
      listed.push_back(entry.nhs_number());
    }
    return listed;
  };
  EXPECT_TRUE(nhs_numbers(UserWorklist("dr-a"), MakeDate(2024, 12, 30)).empty());
  EXPECT_THAT(nhs_numbers(UserWorklist("dr-a"), MakeDate(2024, 12, 31)),
              ::testing::ElementsAre(december));
  EXPECT_THAT(nhs_numbers(UserWorklist("dr-a"), MakeDate(2025, 1, 1)),
              ::testing::ElementsAre(december, january));
  EXPECT_THAT(nhs_numbers(PatientWorklist(january), MakeDate(2025, 6, 1)),
              ::testing::ElementsAre(january));
  EXPECT_TRUE(nhs_numbers(UserWorklist("dr-b"), MakeDate(2025, 6, 1)).empty());
  // Due-ness is not projected: nothing of it is in the stored worklist.
  EXPECT_TRUE(List(UserWorklist("dr-a")).empty());

  RecordDeath(december);
  ProjectAndList(UserWorklist("dr-a"));
  EXPECT_THAT(nhs_numbers(UserWorklist("dr-a"), MakeDate(2025, 6, 1)),
              ::testing::ElementsAre(january));
  EXPECT_TRUE(nhs_numbers(PatientWorklist(december), MakeDate(2025, 6, 1)).empty());
}

}  // namespace
}  // namespace careledger::projections
