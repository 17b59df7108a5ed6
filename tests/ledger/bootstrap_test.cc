// The system role is for bootstrap only (ledger/directory_rules.h): the
// operator registers the CMC service, a device of it and the first CMC team
// member, once; after that every directory change needs a registered CMC
// team member, and a command claiming ROLE_SYSTEM is refused, recorded as a
// DENIED access record, and appends nothing else. The rule is decided from
// the ledger's own state, so it holds after a restart.
#include <gtest/gtest.h>

#include "events/time_util.h"
#include "ledger/directory.h"
#include "ledger/directory_rules.h"
#include "tests/ledger/ledger_world.h"

namespace careledger::ledger {
namespace {

using ::careledger::testing::IsOk;
using careledger::testing::LedgerWorld;
using careledger::v1::Actor;
using careledger::v1::Command;
using careledger::v1::Event;

Command RecordOrganisationAs(const Actor& actor, const careledger::v1::Organisation& org) {
  Command command = LedgerWorld::As(actor);
  *command.mutable_record_organisation()->mutable_organisation() = org;
  return command;
}

Command RecordDeviceAs(const Actor& actor, const careledger::v1::Device& device) {
  Command command = LedgerWorld::As(actor);
  *command.mutable_record_device()->mutable_device() = device;
  return command;
}

Command RecordUserAs(const Actor& actor, const careledger::v1::User& user) {
  Command command = LedgerWorld::As(actor);
  *command.mutable_record_user()->mutable_user() = user;
  return command;
}

Command ChangeStatusAs(const Actor& actor, const std::string& user_id,
                       careledger::v1::UserStatus status) {
  Command command = LedgerWorld::As(actor);
  command.mutable_change_user_status()->set_user_id(user_id);
  command.mutable_change_user_status()->set_status(status);
  return command;
}

Command AuditPatientAs(const Actor& actor) {
  Command command = LedgerWorld::As(actor);
  command.mutable_audit_query()->set_scope(careledger::v1::AUDIT_SCOPE_PATIENT);
  command.mutable_audit_query()->set_subject(tools::kSamplePatient);
  return command;
}

// Submits `command` and expects it refused with a reason containing
// `reason_part`, leaving exactly one new record: its DENIED access record,
// naming the actor as claimed.
void ExpectRefusedAndRecorded(LedgerWorld& world, const Command& command,
                              const std::string& reason_part) {
  const std::vector<std::int64_t> mark = world.Mark();
  world.Reject(command, reason_part);
  const std::vector<Event> added = world.EventsSince(mark);
  ASSERT_EQ(added.size(), 1u) << command.DebugString();
  ASSERT_TRUE(added[0].has_access_recorded()) << added[0].DebugString();
  EXPECT_EQ(added[0].access_recorded().outcome(), careledger::v1::ACCESS_OUTCOME_DENIED);
  EXPECT_NE(added[0].access_recorded().reason().find(reason_part), std::string::npos);
  EXPECT_EQ(added[0].actor().user_id(), command.actor().user_id());
  EXPECT_EQ(added[0].actor().role(), command.actor().role());
}

class BootstrapTest : public ::testing::Test {
 protected:
  const tools::SampleActors& a() const { return world_->actors(); }
  careledger::v1::Organisation CmcService() const { return world_->SampleOrganisation("CMC001"); }
  careledger::v1::Device CmcDevice() const { return world_->SampleDevice("dev-CMC001"); }
  careledger::v1::User CmcMember() const { return world_->SampleUser("auditor.cmc"); }

  void Bootstrap() {
    world_->Apply(RecordOrganisationAs(a().operator_, CmcService()));
    world_->Apply(RecordDeviceAs(a().operator_, CmcDevice()));
    world_->Apply(RecordUserAs(a().operator_, CmcMember()));
  }

  std::unique_ptr<LedgerWorld> world_ = LedgerWorld::Empty();
};

TEST_F(BootstrapTest, TheFirstCmcTeamMemberThenKeepsTheDirectory) {
  Bootstrap();
  world_->Apply(RecordOrganisationAs(a().auditor, world_->SampleOrganisation("GP0001")));
  world_->Apply(RecordDeviceAs(a().auditor, world_->SampleDevice("dev-GP0001")));
  world_->Apply(RecordUserAs(a().auditor, world_->SampleUser("dr.patel")));
  world_->Apply(ChangeStatusAs(a().auditor, "dr.patel", careledger::v1::USER_STATUS_SUSPENDED));
  EXPECT_EQ(world_->StreamEvents(UserStream("dr.patel")).size(), 2u);
}

TEST_F(BootstrapTest, AfterTheBootstrapTheSystemRoleIsRefusedAndRecorded) {
  Bootstrap();
  const std::string over = "its bootstrap is over";
  ExpectRefusedAndRecorded(
      *world_, RecordOrganisationAs(a().operator_, world_->SampleOrganisation("GP0001")), over);
  ExpectRefusedAndRecorded(*world_, RecordOrganisationAs(a().operator_, CmcService()), over);
  ExpectRefusedAndRecorded(*world_, RecordDeviceAs(a().operator_, CmcDevice()), over);
  ExpectRefusedAndRecorded(
      *world_, ChangeStatusAs(a().operator_, "auditor.cmc", careledger::v1::USER_STATUS_SUSPENDED),
      over);
  ExpectRefusedAndRecorded(*world_, world_->StartPlan(a().operator_),
                           "the system role may only bootstrap the directory");
  ExpectRefusedAndRecorded(*world_, AuditPatientAs(a().operator_),
                           "the system role may only bootstrap the directory");
  EXPECT_TRUE(world_->StreamEvents(OrganisationStream("GP0001")).empty());
  EXPECT_EQ(world_->StreamEvents(UserStream("auditor.cmc")).size(), 1u) << "not suspended";
  EXPECT_EQ(world_->StreamEvents(OrganisationStream("CMC001")).size(), 1u);

  // Recovered from the log: the same after a restart.
  world_->Restart();
  ExpectRefusedAndRecorded(
      *world_, RecordOrganisationAs(a().operator_, world_->SampleOrganisation("GP0001")), over);
}

TEST_F(BootstrapTest, BootstrappingTwiceIsRefused) {
  Bootstrap();
  careledger::v1::User second = CmcMember();
  second.set_user_id("auditor.two");
  ExpectRefusedAndRecorded(*world_, RecordUserAs(a().operator_, second), "its bootstrap is over");
  // The same bootstrap again (new command ids, so not a retry): refused too.
  ExpectRefusedAndRecorded(*world_, RecordOrganisationAs(a().operator_, CmcService()),
                           "its bootstrap is over");
  ExpectRefusedAndRecorded(*world_, RecordUserAs(a().operator_, CmcMember()),
                           "its bootstrap is over");
  EXPECT_TRUE(world_->StreamEvents(UserStream("auditor.two")).empty());
  EXPECT_EQ(world_->StreamEvents(UserStream("auditor.cmc")).size(), 1u);
}

TEST_F(BootstrapTest, BeforeTheBootstrapTheSystemRoleMayOnlyBootstrap) {
  const std::string only = "before the bootstrap the system role may only register";
  // Another kind of organisation, before or during the bootstrap.
  ExpectRefusedAndRecorded(
      *world_, RecordOrganisationAs(a().operator_, world_->SampleOrganisation("GP0001")),
      "is of type ORGANISATION_TYPE_GP_PRACTICE, not ORGANISATION_TYPE_CMC_SERVICE");
  // Nothing but directory changes.
  ExpectRefusedAndRecorded(*world_, world_->StartPlan(a().operator_),
                           "the system role may only bootstrap the directory");
  ExpectRefusedAndRecorded(*world_, AuditPatientAs(a().operator_),
                           "the system role may only bootstrap the directory");
  world_->Apply(RecordOrganisationAs(a().operator_, CmcService()));
  // A first member with no device to act from would lock the directory.
  ExpectRefusedAndRecorded(*world_, RecordUserAs(a().operator_, CmcMember()),
                           "register a device of CMC001 first");
  careledger::v1::Device elsewhere = CmcDevice();
  elsewhere.set_organisation("GP0001");
  ExpectRefusedAndRecorded(*world_, RecordDeviceAs(a().operator_, elsewhere),
                           "organisation GP0001 is not registered");
  world_->Apply(RecordDeviceAs(a().operator_, CmcDevice()));
  // Only a CMC team member, and one who can act.
  careledger::v1::User clinician = world_->SampleUser("dr.patel");
  clinician.set_organisation("CMC001");
  ExpectRefusedAndRecorded(*world_, RecordUserAs(a().operator_, clinician),
                           "user dr.patel would be ROLE_CLINICIAN, not a CMC team member");
  careledger::v1::User untrained = CmcMember();
  untrained.clear_aup_accepted_on();
  ExpectRefusedAndRecorded(*world_, RecordUserAs(a().operator_, untrained),
                           "has not accepted the Acceptable Use Policy");
  careledger::v1::User suspended = CmcMember();
  suspended.set_status(careledger::v1::USER_STATUS_SUSPENDED);
  ExpectRefusedAndRecorded(*world_, RecordUserAs(a().operator_, suspended), only);
  EXPECT_TRUE(world_->StreamEvents(UserStream("auditor.cmc")).empty());
  EXPECT_TRUE(world_->StreamEvents(UserStream("dr.patel")).empty());

  world_->Apply(RecordUserAs(a().operator_, CmcMember()));
  ExpectRefusedAndRecorded(*world_, RecordDeviceAs(a().operator_, CmcDevice()),
                           "its bootstrap is over");
}

TEST_F(BootstrapTest, AnUnregisteredUserClaimingTheCmcRoleIsRefusedRecordedAndCannotAudit) {
  world_ = std::make_unique<LedgerWorld>();  // the sample world, bootstrapped
  world_->PublishSamplePlan();
  Actor mallory = a().auditor;
  mallory.set_user_id("mallory");
  careledger::v1::User self = CmcMember();
  self.set_user_id("mallory");
  self.set_name("Mallory");
  ExpectRefusedAndRecorded(*world_, RecordUserAs(mallory, self),
                           "user mallory is not registered in the directory");
  Actor mallory_as_operator = a().operator_;
  mallory_as_operator.set_user_id("mallory");
  ExpectRefusedAndRecorded(*world_, RecordUserAs(mallory_as_operator, self),
                           "its bootstrap is over");
  ExpectRefusedAndRecorded(*world_, RecordUserAs(a().operator_, self), "its bootstrap is over");
  EXPECT_TRUE(world_->StreamEvents(UserStream("mallory")).empty());
  ExpectRefusedAndRecorded(*world_, AuditPatientAs(mallory),
                           "user mallory is not registered in the directory");
}

TEST_F(BootstrapTest, WithNoActiveCmcTeamMemberTheBootstrapReopens) {
  Bootstrap();
  // The only CMC team member suspends themselves: nobody could keep the
  // directory, so the operator may bootstrap again (and only that).
  world_->Apply(ChangeStatusAs(a().auditor, "auditor.cmc", careledger::v1::USER_STATUS_SUSPENDED));
  ExpectRefusedAndRecorded(
      *world_, ChangeStatusAs(a().operator_, "auditor.cmc", careledger::v1::USER_STATUS_ACTIVE),
      "it may not change a user's status");
  careledger::v1::User second = CmcMember();
  second.set_user_id("auditor.two");
  world_->Apply(RecordUserAs(a().operator_, second));
  ExpectRefusedAndRecorded(*world_, RecordUserAs(a().operator_, CmcMember()),
                           "its bootstrap is over");
}

TEST_F(BootstrapTest, TheWritersOwnCheckpointsAreNotCommandsAndStillHappen) {
  Bootstrap();
  const std::vector<std::int64_t> mark = world_->Mark();
  ASSERT_THAT(world_->writer().Checkpoint(), IsOk());
  const std::vector<Event> added = world_->EventsSince(mark);
  ASSERT_FALSE(added.empty());
  for (const Event& event : added) {
    EXPECT_TRUE(event.has_checkpoint()) << event.DebugString();
    EXPECT_EQ(event.actor().role(), careledger::v1::ROLE_SYSTEM);
  }
}

// The directory's count of active CMC team members, which ends the bootstrap.
TEST(DirectoryTest, AnActiveCmcTeamMemberIsOneRegisteredAndNeitherSuspendedNorRevoked) {
  Directory directory;
  const auto apply = [&](Event event) {
    *event.mutable_recorded_at() = events::ToTimestamp(careledger::testing::DefaultNow());
    directory.Apply(event);
  };
  const auto record = [&](const std::string& id, careledger::v1::Role role) {
    Event event;
    careledger::v1::User* user = event.mutable_user_recorded()->mutable_user();
    user->set_user_id(id);
    user->set_role(role);
    apply(event);
  };
  const auto status = [&](const std::string& id, careledger::v1::UserStatus to) {
    Event event;
    event.mutable_user_status_changed()->set_user_id(id);
    event.mutable_user_status_changed()->set_status(to);
    apply(event);
  };
  EXPECT_FALSE(directory.HasActiveCmcTeamMember());
  record("dr.a", careledger::v1::ROLE_CLINICIAN);
  EXPECT_FALSE(directory.HasActiveCmcTeamMember());
  record("cmc.a", careledger::v1::ROLE_AUDITOR);
  EXPECT_TRUE(directory.HasActiveCmcTeamMember());
  status("cmc.a", careledger::v1::USER_STATUS_SUSPENDED);
  EXPECT_FALSE(directory.HasActiveCmcTeamMember());
  status("cmc.a", careledger::v1::USER_STATUS_ACTIVE);
  EXPECT_TRUE(directory.HasActiveCmcTeamMember());
  record("cmc.a", careledger::v1::ROLE_AUDITOR);  // re-recorded: still one
  record("cmc.b", careledger::v1::ROLE_AUDITOR);
  status("cmc.a", careledger::v1::USER_STATUS_REVOKED);
  EXPECT_TRUE(directory.HasActiveCmcTeamMember()) << "cmc.b";
  record("cmc.b", careledger::v1::ROLE_CLINICIAN);  // re-recorded in another role
  EXPECT_FALSE(directory.HasActiveCmcTeamMember());
}

}  // namespace
}  // namespace careledger::ledger
