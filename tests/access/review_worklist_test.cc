// Proves "plans needing review" on the Action Needed list
// (access/review_worklist.h over projections/review_due.h): for two
// clinicians in two organisations, with published plans whose review dates
// have passed, fall within the window or lie beyond it, exactly the due ones
// are listed for the reviewing clinician, their organisation and the
// patient, and counted with the other task types; due-ness follows the day
// and window of the read, not the store; a later review or an approved edit
// of the review section moves the task; drafts, closed plans and an
// unapproved edit do not; the index rebuilt from scratch equals the one kept
// live.
#include "access/review_worklist.h"

#include <gtest/gtest.h>

#include "access/worklist_read.h"
#include "events/time_util.h"
#include "ledger/dates.h"
#include "projections/worklist.h"
#include "tests/projections/projection_fixture.h"

namespace careledger::access {
namespace {

using careledger::v1::WorklistItem;
using careledger::v1::WorklistKind;
using projections::MakeDate;
using projections::OrganisationWorklist;
using projections::PatientWorklist;
using projections::SyntheticNhsNumber;
using projections::UserWorklist;

constexpr WorklistKind kReview = careledger::v1::WORKLIST_KIND_REVIEW_NEEDED;
constexpr WorklistKind kDraft = careledger::v1::WORKLIST_KIND_DRAFT_PLAN;

careledger::v1::PlanSectionValue ReviewSection(const std::string& clinician,
                                               const careledger::v1::Date& on) {
  careledger::v1::PlanSectionValue value;
  *value.mutable_review()->mutable_review_on() = on;
  value.mutable_review()->set_reviewing_clinician(clinician);
  return value;
}

// "task nhs" per item, in list order.
std::vector<std::string> Describe(const std::vector<WorklistItem>& items) {
  std::vector<std::string> described;
  for (const WorklistItem& item : items) {
    described.push_back(fmt::format("{} {}", TaskName(item.kind()), item.nhs_number()));
  }
  return described;
}

// How a plan needing review reads in Describe.
std::string Due(const std::string& nhs) { return fmt::format("review_needed {}", nhs); }

class ReviewWorklistTest : public projections::ProjectionTest {
 protected:
  void SetUp() override {
    ProjectionTest::SetUp();
    store_ = OpenStore("store");
    RecordUser(Clinician("dr-a", "G85001"));
    RecordUser(Clinician("dr-b", "RYJ"));
  }

  static careledger::v1::User Clinician(const std::string& id, const std::string& ods) {
    careledger::v1::User user;
    user.set_user_id(id);
    user.set_role(careledger::v1::ROLE_CLINICIAN);
    user.set_organisation(ods);
    user.set_status(careledger::v1::USER_STATUS_ACTIVE);
    return user;
  }

  // Started, the review section set, approved as version 1, by dr-a at
  // G85001 (so no draft is left on anyone's list).
  void Publish(const std::string& nhs, const std::string& clinician,
               const careledger::v1::Date& on) {
    ActAs("dr-a", careledger::v1::ROLE_CLINICIAN, "G85001");
    StartPlan(nhs);
    UpdateSection(nhs, ReviewSection(clinician, on));
    Approve(nhs);
  }

  void ProjectAll() {
    absl::StatusOr<projections::ProjectionReport> report = Project(store_.get());
    ASSERT_TRUE(report.ok()) << report.status();
    ASSERT_TRUE(report->stops.empty()) << report->stops.front().reason;
  }

  // `owner`'s list on 2024-06-01 (UTC) with `window` days.
  Worklist Read(const std::string& owner, int window = kDefaultReviewWindowDays,
                std::optional<WorklistKind> task = std::nullopt) {
    absl::StatusOr<Worklist> list =
        ReadWorklist(*store_, owner, task, ReviewHorizon{kToday, window});
    EXPECT_TRUE(list.ok()) << list.status();
    return list.ok() ? *std::move(list) : Worklist();
  }

  std::vector<std::string> Listed(const std::string& owner, int window = kDefaultReviewWindowDays) {
    return Describe(Read(owner, window).items);
  }

  static constexpr absl::CivilDay kToday = absl::CivilDay(2024, 6, 1);
  std::unique_ptr<projections::ProjectionStore> store_;
};

TEST_F(ReviewWorklistTest, DuePlansAreListedForTheClinicianTheirOrganisationAndThePatient) {
  const std::string overdue = SyntheticNhsNumber(0);  // dr-a, 20 May
  const std::string soon = SyntheticNhsNumber(1);     // dr-a, 15 June
  const std::string later = SyntheticNhsNumber(2);    // dr-a, 1 August
  const std::string today = SyntheticNhsNumber(3);    // dr-b, 1 June
  const std::string edge = SyntheticNhsNumber(4);     // dr-b, 30 June: window + 1
  const std::string draft = SyntheticNhsNumber(5);    // dr-a, overdue, never published
  const std::string died = SyntheticNhsNumber(6);     // dr-b, overdue, closed
  Publish(overdue, "dr-a", MakeDate(2024, 5, 20));
  Publish(soon, "dr-a", MakeDate(2024, 6, 15));
  Publish(later, "dr-a", MakeDate(2024, 8, 1));
  Publish(today, "dr-b", MakeDate(2024, 6, 1));
  Publish(edge, "dr-b", MakeDate(2024, 6, 30));
  ActAs("dr-a", careledger::v1::ROLE_CLINICIAN, "G85001");
  StartPlan(draft);
  UpdateSection(draft, ReviewSection("dr-a", MakeDate(2024, 5, 1)));
  Publish(died, "dr-b", MakeDate(2024, 5, 1));
  RecordDeath(died);
  ProjectAll();

  // Window 28 (to 29 June): overdue first, then coming up.
  EXPECT_THAT(Listed(UserWorklist("dr-a")), ::testing::ElementsAre(Due(overdue), Due(soon)));
  EXPECT_THAT(Listed(UserWorklist("dr-b")), ::testing::ElementsAre(Due(today)));
  // The organisations: the reviews of their clinicians, and their drafts
  // (the draft-only plan is a draft, not a review; opened in March, it
  // reads first).
  EXPECT_THAT(Listed(OrganisationWorklist("G85001")),
              ::testing::ElementsAre(fmt::format("draft_plan {}", draft), Due(overdue), Due(soon)));
  EXPECT_THAT(Listed(OrganisationWorklist("RYJ")), ::testing::ElementsAre(Due(today)));
  // The patient sees their own plan's review, and nobody else's.
  EXPECT_THAT(Listed(PatientWorklist(overdue)), ::testing::ElementsAre(Due(overdue)));
  EXPECT_TRUE(Listed(PatientWorklist(later)).empty());
  EXPECT_TRUE(Listed(PatientWorklist(died)).empty());

  // Each item names its date and clinician; `since` is the date's start.
  const Worklist mine = Read(UserWorklist("dr-a"));
  ASSERT_EQ(mine.items.size(), 2u);
  EXPECT_EQ(ledger::FormatDate(mine.items[0].review_on()), "2024-05-20");
  EXPECT_EQ(mine.items[0].detail(), "review due on 2024-05-20 by dr-a");
  EXPECT_EQ(mine.items[0].owner(), "user/dr-a");
  EXPECT_EQ(events::FromTimestamp(mine.items[0].since()),
            absl::FromCivil(absl::CivilDay(2024, 5, 20), absl::UTCTimeZone()));

  // The counts of the Summary box: the whole list's, whatever the filter,
  // and each count is the length of the list filtered to its task.
  const Worklist org = Read(OrganisationWorklist("G85001"));
  EXPECT_EQ(org.total, 3u);
  EXPECT_EQ(org.counts.at(kReview), 2u);
  EXPECT_EQ(org.counts.at(kDraft), 1u);
  EXPECT_EQ(org.counts.at(careledger::v1::WORKLIST_KIND_APPROVAL_NEEDED), 0u);
  EXPECT_EQ(org.counts.at(careledger::v1::WORKLIST_KIND_PLAN_REQUEST), 0u);
  EXPECT_EQ(org.counts.at(careledger::v1::WORKLIST_KIND_CHANGE_REQUEST), 0u);
  for (WorklistKind kind : TaskTypes()) {
    const Worklist filtered = Read(OrganisationWorklist("G85001"), kDefaultReviewWindowDays, kind);
    EXPECT_EQ(filtered.items.size(), org.counts.at(kind)) << TaskName(kind);
    EXPECT_EQ(filtered.counts, org.counts);
    EXPECT_EQ(filtered.total, org.total);
    for (const WorklistItem& item : filtered.items) EXPECT_EQ(item.kind(), kind);
  }
}

TEST_F(ReviewWorklistTest, TheWindowAndTheDayDecideAtReadTime) {
  const std::string overdue = SyntheticNhsNumber(0);
  const std::string today = SyntheticNhsNumber(1);
  const std::string edge = SyntheticNhsNumber(2);
  Publish(overdue, "dr-b", MakeDate(2024, 5, 20));
  Publish(today, "dr-b", MakeDate(2024, 6, 1));
  Publish(edge, "dr-b", MakeDate(2024, 6, 30));
  ProjectAll();

  // Window 0: what is due today or overdue. 29 reaches 30 June.
  EXPECT_THAT(Listed(UserWorklist("dr-b"), 0), ::testing::ElementsAre(Due(overdue), Due(today)));
  EXPECT_THAT(Listed(UserWorklist("dr-b"), 28), ::testing::ElementsAre(Due(overdue), Due(today)));
  EXPECT_THAT(Listed(UserWorklist("dr-b"), 29),
              ::testing::ElementsAre(Due(overdue), Due(today), Due(edge)));
  EXPECT_EQ(Read(OrganisationWorklist("RYJ"), 29).counts.at(kReview), 3u);

  // The same store read on another day: nothing was projected in between.
  absl::StatusOr<Worklist> earlier = ReadWorklist(*store_, UserWorklist("dr-b"), std::nullopt,
                                                  ReviewHorizon{absl::CivilDay(2024, 5, 1), 0});
  ASSERT_TRUE(earlier.ok()) << earlier.status();
  EXPECT_TRUE(earlier->items.empty());
  EXPECT_EQ(earlier->counts.at(kReview), 0u);
}

TEST_F(ReviewWorklistTest, ALaterReviewOrAnApprovedEditMovesTheTask) {
  const std::string handed_over = SyntheticNhsNumber(0);  // dr-a, overdue
  const std::string reviewed = SyntheticNhsNumber(1);     // dr-a, within the window
  Publish(handed_over, "dr-a", MakeDate(2024, 5, 20));
  Publish(reviewed, "dr-a", MakeDate(2024, 6, 15));
  ProjectAll();
  EXPECT_THAT(Listed(UserWorklist("dr-a")),
              ::testing::ElementsAre(Due(handed_over), Due(reviewed)));

  // Reviewed, next due in September: off every list.
  ActAs("dr-a", careledger::v1::ROLE_CLINICIAN, "G85001");
  ProjectionTest::Review(reviewed, MakeDate(2024, 9, 1));
  ProjectAll();
  EXPECT_THAT(Listed(UserWorklist("dr-a")), ::testing::ElementsAre(Due(handed_over)));
  EXPECT_TRUE(Listed(PatientWorklist(reviewed)).empty());
  EXPECT_THAT(Listed(UserWorklist("dr-a"), 100),
              ::testing::ElementsAre(Due(handed_over), Due(reviewed)));

  // An edit handing the review to dr-b on 20 June: while it is a draft, the
  // published plan's review stays dr-a's (and the draft is G85001's).
  UpdateSection(handed_over, ReviewSection("dr-b", MakeDate(2024, 6, 20)));
  ProjectAll();
  EXPECT_THAT(Listed(UserWorklist("dr-a")), ::testing::ElementsAre(Due(handed_over)));
  EXPECT_TRUE(Listed(UserWorklist("dr-b")).empty());
  EXPECT_THAT(Listed(OrganisationWorklist("G85001")),
              ::testing::ElementsAre(fmt::format("draft_plan {}", handed_over), Due(handed_over)));

  // Approved: the task moves to dr-b and RYJ, at its new date.
  Approve(handed_over);
  ProjectAll();
  EXPECT_TRUE(Listed(UserWorklist("dr-a")).empty());
  EXPECT_TRUE(Listed(OrganisationWorklist("G85001")).empty());
  EXPECT_THAT(Listed(UserWorklist("dr-b")), ::testing::ElementsAre(Due(handed_over)));
  EXPECT_THAT(Listed(OrganisationWorklist("RYJ")), ::testing::ElementsAre(Due(handed_over)));
  const Worklist moved = Read(UserWorklist("dr-b"));
  ASSERT_EQ(moved.items.size(), 1u);
  EXPECT_EQ(ledger::FormatDate(moved.items[0].review_on()), "2024-06-20");

  // Kept live through every change, the index equals a clean rebuild.
  std::unique_ptr<projections::ProjectionStore> rebuilt = OpenStore("rebuilt");
  ASSERT_TRUE(Project(rebuilt.get()).ok());
  EXPECT_EQ(Fingerprint(*rebuilt), Fingerprint(*store_));
}

TEST_F(ReviewWorklistTest, AClinicianWhoMovesTakesTheirReviewsToTheNewOrganisation) {
  const std::string nhs = SyntheticNhsNumber(0);
  Publish(nhs, "dr-a", MakeDate(2024, 5, 20));
  RecordUser(Clinician("dr-a", "RYJ"));
  ProjectAll();
  EXPECT_TRUE(Listed(OrganisationWorklist("G85001")).empty());
  EXPECT_THAT(Listed(OrganisationWorklist("RYJ")), ::testing::ElementsAre(Due(nhs)));
  EXPECT_THAT(Listed(UserWorklist("dr-a")), ::testing::ElementsAre(Due(nhs)));
}

TEST(ReviewWindowTest, AcceptsWholeDaysFromZeroToAYear) {
  EXPECT_EQ(*ParseReviewWindow("0"), 0);
  EXPECT_EQ(*ParseReviewWindow("28"), 28);
  EXPECT_EQ(*ParseReviewWindow("366"), kMaxReviewWindowDays);
  for (const char* bad : {"", "-1", "367", "28.5", "2 8", "abc", "99999999999999999999", "+3"}) {
    EXPECT_EQ(ParseReviewWindow(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_THAT(std::string(ParseReviewWindow("x").status().message()),
              ::testing::HasSubstr("from 0 to 366"));
}

}  // namespace
}  // namespace careledger::access
