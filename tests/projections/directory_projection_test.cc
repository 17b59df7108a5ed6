// Proves what the directory projection makes of directory events: each
// organisation, user and device as last recorded (a status change edits the
// user), the event that last changed each row, the queries (one row, users of
// an organisation or all); that a user's last activity is the latest
// recorded time of any of their events, on any stream and in any partition,
// except refused (DENIED) access attempts, also when they acted before being
// recorded; and that directory events naming another subject than their
// stream, or changing a user never recorded, stop the partition.
#include "projections/directory_projection.h"

#include <gtest/gtest.h>

#include "events/time_util.h"
#include "projections/directory_queries.h"
#include "projections/progress.h"
#include "tests/projections/projection_fixture.h"

namespace careledger::projections {
namespace {

using ::careledger::testing::IsOk;
using ::careledger::testing::StatusIs;
using careledger::v1::DirectoryUser;

careledger::v1::Organisation Organisation(const std::string& ods, const std::string& name) {
  careledger::v1::Organisation organisation;
  organisation.set_ods_code(ods);
  organisation.set_name(name);
  organisation.set_type(careledger::v1::ORGANISATION_TYPE_HOSPITAL);
  organisation.set_isa_signed(true);
  organisation.set_dspt_level(careledger::v1::DSPT_LEVEL_STANDARDS_MET);
  return organisation;
}

careledger::v1::User User(const std::string& id, const std::string& organisation,
                          careledger::v1::Role role = careledger::v1::ROLE_CLINICIAN) {
  careledger::v1::User user;
  user.set_user_id(id);
  user.set_name(fmt::format("Dr {}", id));
  user.set_role(role);
  user.set_organisation(organisation);
  user.set_status(careledger::v1::USER_STATUS_ACTIVE);
  return user;
}

std::vector<std::string> IdsOf(const std::vector<DirectoryUser>& users) {
  std::vector<std::string> ids;
  for (const DirectoryUser& user : users) ids.push_back(user.user().user_id());
  return ids;
}

class DirectoryProjectionTest : public ProjectionTest {
 protected:
  void ProjectExpectingNoStop(ProjectionStore* store) {
    absl::StatusOr<ProjectionReport> report = Project(store);
    ASSERT_THAT(report, IsOk());
    EXPECT_TRUE(report->stops.empty()) << report->stops.front().reason;
  }

  absl::Time LastActivityOf(ProjectionStore* store, const std::string& user_id) {
    absl::StatusOr<DirectoryUser> user = DirectoryQueries(store).GetUser(user_id);
    EXPECT_THAT(user, IsOk());
    if (!user.ok() || !user->has_last_activity()) return absl::InfinitePast();
    return events::FromTimestamp(user->last_activity());
  }
};

TEST_F(DirectoryProjectionTest, RowsHoldWhatWasLastRecorded) {
  ActAs("auditor-1", careledger::v1::ROLE_AUDITOR, "CMC");
  RecordOrganisation(Organisation("RYJ", "Imperial College Healthcare"));
  const ledger::LogPosition renamed =
      RecordOrganisation(Organisation("RYJ", "Imperial College Healthcare NHS Trust"));
  RecordOrganisation(Organisation("G85001", "Lambeth Walk Group Practice"));
  RecordUser(User("dr-a", "RYJ"));
  const absl::Time dr_a_registered = clock_;
  RecordUser(User("dr-b", "G85001"));
  RecordUser(User("admin-c", "RYJ", careledger::v1::ROLE_ADMINISTRATOR));
  RecordUser(User("patient-d", "", careledger::v1::ROLE_PATIENT));
  const ledger::LogPosition suspended =
      ChangeUserStatus("dr-a", careledger::v1::USER_STATUS_SUSPENDED);
  careledger::v1::Device device;
  device.set_device_id("ipad-17");
  device.set_organisation("RYJ");
  *device.mutable_licence_issued_on() = MakeDate(2024, 1, 5);
  const ledger::LogPosition device_recorded = RecordDevice(device);

  std::unique_ptr<ProjectionStore> store = OpenStore("store");
  ProjectExpectingNoStop(store.get());
  DirectoryQueries directory(store.get());

  CL_ASSERT_OK_AND_ASSIGN(careledger::v1::DirectoryOrganisation ryj,
                          directory.GetOrganisation("RYJ"));
  EXPECT_EQ(ryj.organisation().name(), "Imperial College Healthcare NHS Trust");
  EXPECT_EQ(ryj.organisation().dspt_level(), careledger::v1::DSPT_LEVEL_STANDARDS_MET);
  EXPECT_EQ(ryj.changed_by().offset(), renamed.offset);
  EXPECT_EQ(ryj.changed_by().stream_seq(), 2u);

  CL_ASSERT_OK_AND_ASSIGN(DirectoryUser dr_a, directory.GetUser("dr-a"));
  EXPECT_EQ(dr_a.user().name(), "Dr dr-a");
  EXPECT_EQ(dr_a.user().status(), careledger::v1::USER_STATUS_SUSPENDED);
  EXPECT_EQ(dr_a.changed_by().offset(), suspended.offset);
  EXPECT_EQ(dr_a.changed_by().partition(), suspended.partition);
  // Never acted: the registration counts as activity (the 180-day rule), and
  // a suspension does not move it.
  EXPECT_EQ(events::FromTimestamp(dr_a.last_activity()), dr_a_registered);

  CL_ASSERT_OK_AND_ASSIGN(careledger::v1::DirectoryDevice ipad, directory.GetDevice("ipad-17"));
  EXPECT_EQ(ipad.device().organisation(), "RYJ");
  EXPECT_EQ(Text(ipad.device().licence_issued_on()), Text(MakeDate(2024, 1, 5)));
  EXPECT_EQ(ipad.changed_by().offset(), device_recorded.offset);

  CL_ASSERT_OK_AND_ASSIGN(std::vector<DirectoryUser> all, directory.ListUsers());
  EXPECT_THAT(IdsOf(all), ::testing::ElementsAre("admin-c", "dr-a", "dr-b", "patient-d"));
  CL_ASSERT_OK_AND_ASSIGN(std::vector<DirectoryUser> ryj_users, directory.ListUsers("RYJ"));
  EXPECT_THAT(IdsOf(ryj_users), ::testing::ElementsAre("admin-c", "dr-a"));
  CL_ASSERT_OK_AND_ASSIGN(std::vector<DirectoryUser> no_org, directory.ListUsers(""));
  EXPECT_THAT(IdsOf(no_org), ::testing::ElementsAre("patient-d"));
  CL_ASSERT_OK_AND_ASSIGN(std::vector<DirectoryUser> none, directory.ListUsers("RXX"));
  EXPECT_TRUE(none.empty());

  EXPECT_THAT(directory.GetOrganisation("RXX"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(directory.GetUser("dr-z"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(directory.GetDevice("ipad-18"), StatusIs(absl::StatusCode::kNotFound));
  // The auditor acted (recorded everything) but is not in the directory.
  EXPECT_THAT(directory.GetUser("auditor-1"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(DirectoryProjectionTest, LastActivityIsTheLatestEventExceptDeniedAccess) {
  const std::string nhs = NhsNumberInPartition(0);
  const std::string node = NodeInPartition(3);
  ActAs("auditor-1", careledger::v1::ROLE_AUDITOR, "CMC");
  RecordUser(User("dr-a", "RYJ"));
  RecordUser(User("auditor-1", "CMC", careledger::v1::ROLE_AUDITOR));

  // dr-a starts a plan, then reads it (granted), then is refused a read.
  ActAs("dr-a", careledger::v1::ROLE_CLINICIAN, "RYJ");
  StartPlan(nhs);
  careledger::v1::AccessRecorded access;
  access.set_action("view_plan");
  access.set_nhs_number(nhs);
  access.set_outcome(careledger::v1::ACCESS_OUTCOME_GRANTED);
  RecordAccess(node, access);
  const absl::Time granted = clock_;
  access.set_outcome(careledger::v1::ACCESS_OUTCOME_DENIED);
  access.set_reason("restricted record");
  RecordAccess(node, access);

  // An event recorded earlier but appended (and applied) later does not move
  // the activity back.
  careledger::v1::Event late = NextEventOn(fmt::format("access/{}", node));
  access.set_outcome(careledger::v1::ACCESS_OUTCOME_GRANTED);
  *late.mutable_access_recorded() = access;
  *late.mutable_recorded_at() = events::ToTimestamp(granted - absl::Hours(1));
  Append(late);

  // dr-late acts before the directory records them (another partition).
  ActAs("dr-late", careledger::v1::ROLE_CLINICIAN, "RYJ");
  RecordAccess(node, access);
  const absl::Time late_acted = clock_;
  ActAs("auditor-1", careledger::v1::ROLE_AUDITOR, "CMC");
  RecordUser(User("dr-late", "RYJ"));
  const absl::Time late_registered = clock_;

  std::unique_ptr<ProjectionStore> store = OpenStore("store");
  ProjectExpectingNoStop(store.get());
  EXPECT_EQ(LastActivityOf(store.get(), "dr-a"), granted);
  // Acted first, registered later: the registration is the latest activity.
  EXPECT_GT(late_registered, late_acted);
  EXPECT_EQ(LastActivityOf(store.get(), "dr-late"), late_registered);
  EXPECT_EQ(LastActivityOf(store.get(), "auditor-1"), clock_);  // its last event

  // The same whatever the batches: one record per batch gives the same bytes.
  std::unique_ptr<ProjectionStore> one_by_one = OpenStore("one-by-one");
  CL_ASSERT_OK_AND_ASSIGN(ProjectionReport report,
                          Project(one_by_one.get(), Options(/*threads=*/1, /*batch_records=*/1)));
  EXPECT_TRUE(report.stops.empty());
  EXPECT_EQ(Fingerprint(*one_by_one), Fingerprint(*store));
}

TEST_F(DirectoryProjectionTest, EventAboutAnotherSubjectThanItsStreamStops) {
  RecordOrganisation(Organisation("RYJ", "Imperial"));
  careledger::v1::Event event = NextEventOn("directory/org/RXX");
  *event.mutable_organisation_recorded()->mutable_organisation() = Organisation("RYJ", "Imperial");
  const ledger::LogPosition bad = Append(event);

  std::unique_ptr<ProjectionStore> store = OpenStore("store");
  CL_ASSERT_OK_AND_ASSIGN(ProjectionReport report, Project(store.get()));
  ASSERT_EQ(report.stops.size(), 1u);
  const PartitionStop& stop = report.stops.front();
  EXPECT_EQ(stop.offset, bad.offset);
  EXPECT_EQ(stop.stream_id, "directory/org/RXX");
  EXPECT_EQ(stop.KindName(), kInconsistentEventKind);
  EXPECT_NE(stop.reason.find("directory projection"), std::string::npos) << stop.reason;
  EXPECT_THAT(DirectoryQueries(store.get()).GetOrganisation("RYJ"), IsOk());
  EXPECT_THAT(DirectoryQueries(store.get()).GetOrganisation("RXX"),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(DirectoryProjectionTest, StatusChangeOfAUserNeverRecordedStops) {
  // dr-ghost has acted, so a row with activity exists, but no UserRecorded.
  ActAs("dr-ghost", careledger::v1::ROLE_CLINICIAN);
  StartPlan(NhsNumberInPartition(1));
  const ledger::LogPosition bad =
      ChangeUserStatus("dr-ghost", careledger::v1::USER_STATUS_SUSPENDED);

  std::unique_ptr<ProjectionStore> store = OpenStore("store");
  CL_ASSERT_OK_AND_ASSIGN(ProjectionReport report, Project(store.get()));
  ASSERT_EQ(report.stops.size(), 1u);
  EXPECT_EQ(report.stops.front().offset, bad.offset);
  EXPECT_EQ(report.stops.front().stream_id, "directory/user/dr-ghost");
  EXPECT_NE(report.stops.front().reason.find("never recorded"), std::string::npos)
      << report.stops.front().reason;
  EXPECT_THAT(DirectoryQueries(store.get()).GetUser("dr-ghost"),
              StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace careledger::projections
