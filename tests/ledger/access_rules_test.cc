// Every access prerequisite (ledger/access_rules.h, DESIGN §6) through the
// writer: a test that it refuses, naming the cause, and records the refused
// attempt; and one that the same actor is let in once it is met.
#include "ledger/access_rules.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "ledger/dates.h"
#include "ledger/nhs_number.h"
#include "tests/ledger/ledger_world.h"

namespace careledger::ledger {
namespace {

using careledger::testing::LedgerWorld;
using careledger::v1::Actor;
using careledger::v1::Command;
using careledger::v1::CommandResult;
using careledger::v1::Event;

class AccessRulesTest : public ::testing::Test {
 protected:
  // The sample world with the patient's plan published.
  static const LedgerWorld& Base() {
    static auto* world = [] {
      auto* w = new LedgerWorld();
      w->PublishSamplePlan();
      return w;
    }();
    return *world;
  }

  void SetUp() override { world_ = Base().Clone(); }

  const tools::SampleActors& actors() const { return world_->actors(); }
  absl::CivilDay today() const { return world_->today(); }

  // `actor` asks to read the published plan and is refused for `cause`; the
  // attempt is recorded as an AccessRecorded DENIED with that reason.
  void ExpectRefused(const Actor& actor, const std::string& cause) {
    const std::vector<std::int64_t> mark = world_->Mark();
    const std::size_t plan_events =
        world_->StreamEvents(PatientStream(tools::kSamplePatient)).size();
    const CommandResult result = world_->Submit(LedgerWorld::View(actor));
    EXPECT_EQ(result.outcome(), careledger::v1::OUTCOME_REJECTED) << actor.DebugString();
    EXPECT_NE(result.error().find(cause), std::string::npos)
        << "reason \"" << result.error() << "\" does not name \"" << cause << "\"";
    const std::vector<Event> added = world_->EventsSince(mark);
    ASSERT_EQ(added.size(), 1u);
    EXPECT_TRUE(added[0].stream_id().starts_with("access/"));
    EXPECT_EQ(added[0].access_recorded().outcome(), careledger::v1::ACCESS_OUTCOME_DENIED);
    EXPECT_EQ(added[0].access_recorded().action(), "view_plan");
    EXPECT_EQ(added[0].access_recorded().reason(), result.error());
    EXPECT_EQ(added[0].actor().user_id(), actor.user_id());
    EXPECT_EQ(world_->StreamEvents(PatientStream(tools::kSamplePatient)).size(), plan_events);
  }

  // `actor` reads the published plan: granted and recorded.
  void ExpectAllowed(const Actor& actor) {
    const std::vector<std::int64_t> mark = world_->Mark();
    const CommandResult result = world_->Submit(LedgerWorld::View(actor));
    EXPECT_EQ(result.outcome(), careledger::v1::OUTCOME_APPLIED) << result.error() << "\n"
                                                                 << actor.DebugString();
    EXPECT_EQ(result.view().version(), 1u);
    const std::vector<Event> added = world_->EventsSince(mark);
    ASSERT_EQ(added.size(), 1u);
    EXPECT_EQ(added[0].access_recorded().outcome(), careledger::v1::ACCESS_OUTCOME_GRANTED);
  }

  // Re-records an organisation, user or device as the operator.
  void Change(const careledger::v1::Organisation& org) {
    world_->Apply(world_->RecordOrganisation(org));
  }
  void Change(const careledger::v1::User& user) { world_->Apply(world_->RecordUser(user)); }
  void Change(const careledger::v1::Device& device) { world_->Apply(world_->RecordDevice(device)); }

  std::unique_ptr<LedgerWorld> world_;
};

TEST_F(AccessRulesTest, EveryRoleOfTheSampleWorldMeetsThePrerequisites) {
  for (const Actor& actor :
       {actors().gp, actors().care_home_nurse, actors().care_home_admin, actors().ambulance,
        actors().nhs111, actors().auditor, actors().patient, actors().proxy}) {
    ExpectAllowed(actor);
  }
}

TEST_F(AccessRulesTest, RequestNamingNoUserIsRefused) {
  Actor nobody = actors().gp;
  nobody.clear_user_id();
  ExpectRefused(nobody, "the request names no user");
}

TEST_F(AccessRulesTest, OrganisationWithoutInformationSharingAgreement) {
  careledger::v1::Organisation gp_practice = world_->SampleOrganisation(tools::kGpPracticeOds);
  gp_practice.set_isa_signed(false);
  Change(gp_practice);
  ExpectRefused(actors().gp,
                "organisation GP0001 has not signed the Information Sharing Agreement");
  gp_practice.set_isa_signed(true);
  Change(gp_practice);
  ExpectAllowed(actors().gp);
}

TEST_F(AccessRulesTest, DsptBelowStandardsMet) {
  careledger::v1::Organisation gp_practice = world_->SampleOrganisation(tools::kGpPracticeOds);
  for (auto level : {careledger::v1::DSPT_LEVEL_ENTRY, careledger::v1::DSPT_LEVEL_UNSPECIFIED}) {
    gp_practice.set_dspt_level(level);
    Change(gp_practice);
    ExpectRefused(actors().gp, "organisation GP0001 is below DSPT \"Standards Met\"");
  }
  for (auto level :
       {careledger::v1::DSPT_LEVEL_STANDARDS_MET, careledger::v1::DSPT_LEVEL_STANDARDS_EXCEEDED}) {
    gp_practice.set_dspt_level(level);
    Change(gp_practice);
    ExpectAllowed(actors().gp);
  }
}

TEST_F(AccessRulesTest, DsptAssessmentOlderThanAYear) {
  careledger::v1::Organisation gp_practice = world_->SampleOrganisation(tools::kGpPracticeOds);
  *gp_practice.mutable_dspt_assessed_on() = FromCivilDay(AddMonths(today(), -12) - 1);
  Change(gp_practice);
  ExpectRefused(actors().gp, "organisation GP0001's DSPT assessment is more than a year old");
  gp_practice.clear_dspt_assessed_on();
  Change(gp_practice);
  ExpectRefused(actors().gp, "DSPT assessment is more than a year old");
  *gp_practice.mutable_dspt_assessed_on() = FromCivilDay(AddMonths(today(), -12));
  Change(gp_practice);
  ExpectAllowed(actors().gp);
}

TEST_F(AccessRulesTest, UserNotRegistered) {
  Actor stranger = actors().gp;
  stranger.set_user_id("dr.stranger");
  ExpectRefused(stranger, "user dr.stranger is not registered in the directory");
  careledger::v1::User registered = world_->SampleUser("dr.patel");
  registered.set_user_id("dr.stranger");
  registered.set_name("Dr Stranger");
  Change(registered);
  ExpectAllowed(stranger);
}

TEST_F(AccessRulesTest, RoleMismatch) {
  Actor claims_admin = actors().gp;
  claims_admin.set_role(careledger::v1::ROLE_ADMINISTRATOR);
  ExpectRefused(claims_admin,
                "user dr.patel is registered as ROLE_CLINICIAN, not ROLE_ADMINISTRATOR");
  Actor claims_auditor = actors().care_home_admin;
  claims_auditor.set_role(careledger::v1::ROLE_AUDITOR);
  ExpectRefused(claims_auditor,
                "user admin.rosewood is registered as ROLE_ADMINISTRATOR, not ROLE_AUDITOR");
  ExpectAllowed(actors().gp);
}

TEST_F(AccessRulesTest, OrganisationMismatch) {
  Actor wrong_org = actors().gp;
  wrong_org.set_organisation(tools::kCareHomeOds);
  wrong_org.set_device_id("dev-CH0001");
  ExpectRefused(wrong_org, "user dr.patel is registered with organisation GP0001, not CH0001");
  ExpectAllowed(actors().gp);
}

TEST_F(AccessRulesTest, SuspendedUserIsRefusedUntilReinstated) {
  world_->Apply(world_->ChangeStatus("dr.patel", careledger::v1::USER_STATUS_SUSPENDED));
  ExpectRefused(actors().gp, "user dr.patel is suspended");
  // Commands too, not only reads: and nothing reaches the plan.
  world_->Reject(LedgerWorld::Review(actors().gp, nullptr), "user dr.patel is suspended");
  world_->Apply(world_->ChangeStatus("dr.patel", careledger::v1::USER_STATUS_ACTIVE));
  ExpectAllowed(actors().gp);
  world_->Apply(LedgerWorld::Review(actors().gp, nullptr));
}

TEST_F(AccessRulesTest, RevokedUserIsRefusedForGood) {
  ExpectAllowed(actors().gp);
  world_->Apply(world_->ChangeStatus("dr.patel", careledger::v1::USER_STATUS_REVOKED));
  ExpectRefused(actors().gp, "user dr.patel's access is revoked");
  world_->Reject(world_->ChangeStatus("dr.patel", careledger::v1::USER_STATUS_ACTIVE),
                 "a revoked account is never reinstated");
  world_->Reject(world_->RecordUser(world_->SampleUser("dr.patel")),
                 "a revoked account is never reused");
  ExpectRefused(actors().gp, "user dr.patel's access is revoked");
}

TEST_F(AccessRulesTest, NoSignedUserAccessFormOrNoAuthorisingManager) {
  careledger::v1::User user = world_->SampleUser("dr.patel");
  user.mutable_user_access_form()->set_signed_(false);
  Change(user);
  ExpectRefused(actors().gp,
                "user dr.patel has no User Access Form signed by an authorising manager");
  user.mutable_user_access_form()->set_signed_(true);
  user.mutable_user_access_form()->clear_authorising_manager();
  Change(user);
  ExpectRefused(actors().gp,
                "user dr.patel has no User Access Form signed by an authorising manager");
  user.mutable_user_access_form()->set_authorising_manager("Practice manager");
  Change(user);
  ExpectAllowed(actors().gp);
}

TEST_F(AccessRulesTest, InformationGovernanceTrainingOlderThanTwelveMonths) {
  careledger::v1::User user = world_->SampleUser("dr.patel");
  *user.mutable_ig_training_on() = FromCivilDay(AddMonths(today(), -12) - 1);
  Change(user);
  ExpectRefused(actors().gp, "user dr.patel's IG training is missing or out of date");
  user.clear_ig_training_on();
  Change(user);
  ExpectRefused(actors().gp, "user dr.patel's IG training is missing or out of date");
  *user.mutable_ig_training_on() = FromCivilDay(AddMonths(today(), -12));
  Change(user);
  ExpectAllowed(actors().gp);
}

// The CMC training modules of each role, as CMC100 lists them.
TEST_F(AccessRulesTest, EachMissingTrainingModuleOfTheRoleIsRefused) {
  const std::vector<std::pair<Actor, std::vector<std::string>>> roles = {
      {actors().gp, {"CMC101", "CMC102", "CMC103"}},
      {actors().care_home_admin, {"CMC101", "CMC102", "CMC103"}},
      {actors().ambulance, {"CMC101", "CMC104"}},
      {actors().auditor, {"CMC101"}},
  };
  // The sample CMC team member could not restore their own record once it
  // fails the prerequisites: a second one keeps the directory meanwhile.
  careledger::v1::User second = world_->SampleUser("auditor.cmc");
  second.set_user_id("auditor.second");
  world_->Apply(world_->RecordUser(second));
  Actor keeper = actors().auditor;
  keeper.set_user_id("auditor.second");
  const auto Change = [&](const careledger::v1::User& user) {
    Command command = LedgerWorld::As(user.user_id() == "auditor.cmc" ? keeper : actors().auditor);
    *command.mutable_record_user()->mutable_user() = user;
    world_->Apply(command);
  };
  for (const auto& [actor, modules] : roles) {
    SCOPED_TRACE(actor.user_id());
    const auto required = RequiredModules(actor.role());
    EXPECT_EQ(std::vector<std::string>(required.begin(), required.end()), modules);
    const careledger::v1::User complete = world_->SampleUser(actor.user_id());
    for (const std::string& module : modules) {
      careledger::v1::User without = complete;
      without.clear_training_modules();
      for (const std::string& done : complete.training_modules()) {
        if (done != module) without.add_training_modules(done);
      }
      Change(without);
      ExpectRefused(actor, fmt::format("user {} has not completed the CMC training module {}",
                                       actor.user_id(), module));
    }
    careledger::v1::User only_required = complete;
    only_required.clear_training_modules();
    for (const std::string& module : modules) only_required.add_training_modules(module);
    Change(only_required);
    ExpectAllowed(actor);
  }
}

TEST_F(AccessRulesTest, AcceptableUsePolicyNotAccepted) {
  careledger::v1::User user = world_->SampleUser("admin.rosewood");
  user.clear_aup_accepted_on();
  Change(user);
  ExpectRefused(actors().care_home_admin,
                "user admin.rosewood has not accepted the Acceptable Use Policy");
  *user.mutable_aup_accepted_on() = FromCivilDay(today());
  Change(user);
  ExpectAllowed(actors().care_home_admin);
}

TEST_F(AccessRulesTest, OneHundredAndEightyDaysWithoutActivityAreAllowed) {
  // The GP last acted when approving the plan, "now".
  world_->clock().Advance(absl::Hours(24 * kInactivityLockDays));
  ExpectAllowed(actors().gp);
}

TEST_F(AccessRulesTest, LockedAfterOneHundredAndEightyDaysUntilReinstated) {
  // The CMC team member who will reinstate the GP audits the plan on day
  // 100, so that they are not locked themselves.
  world_->clock().Advance(absl::Hours(24 * 100));
  Command audit = LedgerWorld::As(actors().auditor);
  audit.mutable_audit_query()->set_scope(careledger::v1::AUDIT_SCOPE_PATIENT);
  audit.mutable_audit_query()->set_subject(tools::kSamplePatient);
  world_->Apply(audit);
  world_->clock().Advance(absl::Hours(24 * (kInactivityLockDays + 1 - 100)));
  ExpectRefused(actors().gp,
                "user dr.patel's account is locked after 180 days without activity; the CMC team "
                "must reinstate it");
  ExpectRefused(actors().gp, "locked after 180 days without activity");
  world_->Apply(world_->ChangeStatus("dr.patel", careledger::v1::USER_STATUS_ACTIVE));
  ExpectAllowed(actors().gp);
}

TEST_F(AccessRulesTest, RefusedAttemptsDoNotKeepAnAccountAlive) {
  world_->clock().Advance(absl::Hours(24 * 100));
  // Refused (nothing to approve): it is recorded, but is not activity.
  world_->Reject(LedgerWorld::Approve(actors().gp), "no working draft");
  world_->clock().Advance(absl::Hours(24 * 81));
  ExpectRefused(actors().gp, "locked after 180 days without activity");
}

TEST_F(AccessRulesTest, GrantedReadsKeepAnAccountAlive) {
  world_->clock().Advance(absl::Hours(24 * 100));
  ExpectAllowed(actors().gp);
  world_->clock().Advance(absl::Hours(24 * 100));
  ExpectAllowed(actors().gp);
}

TEST_F(AccessRulesTest, RequestFromNoDevice) {
  Actor no_device = actors().gp;
  no_device.clear_device_id();
  ExpectRefused(no_device, "the request names no device");
}

TEST_F(AccessRulesTest, UnregisteredDevice) {
  Actor unknown = actors().gp;
  unknown.set_device_id("dev-laptop-7");
  ExpectRefused(unknown, "device dev-laptop-7 is not registered");
  careledger::v1::Device device = world_->SampleDevice("dev-GP0001");
  device.set_device_id("dev-laptop-7");
  Change(device);
  ExpectAllowed(unknown);
}

TEST_F(AccessRulesTest, DeviceOfAnotherOrganisation) {
  Actor borrowed = actors().gp;
  borrowed.set_device_id("dev-CH0001");
  ExpectRefused(borrowed, "device dev-CH0001 is registered to CH0001, not GP0001");
  ExpectAllowed(actors().gp);
}

TEST_F(AccessRulesTest, DeviceLicenceOlderThanNineMonths) {
  careledger::v1::Device device = world_->SampleDevice("dev-GP0001");
  *device.mutable_licence_issued_on() = FromCivilDay(AddMonths(today(), -9) - 1);
  Change(device);
  ExpectRefused(actors().gp,
                "device dev-GP0001's licence is older than 9 months and must be re-issued");
  *device.mutable_licence_issued_on() = FromCivilDay(AddMonths(today(), -9));
  Change(device);
  ExpectAllowed(actors().gp);
}

TEST_F(AccessRulesTest, RevokedDevice) {
  careledger::v1::Device device = world_->SampleDevice("dev-GP0001");
  device.set_revoked(true);
  Change(device);
  ExpectRefused(actors().gp, "device dev-GP0001 is revoked");
  device.set_revoked(false);
  Change(device);
  ExpectAllowed(actors().gp);
}

// myCMC users have no organisation or device; they must be registered with
// their role and not suspended or revoked.
TEST_F(AccessRulesTest, PatientsAndProxiesMustBeRegisteredAndActive) {
  Actor stranger = actors().patient;
  stranger.set_user_id("patient.unknown");
  ExpectRefused(stranger, "user patient.unknown is not registered in the directory");
  Actor as_proxy = actors().patient;
  as_proxy.set_role(careledger::v1::ROLE_PROXY_VIEWER);
  ExpectRefused(as_proxy,
                "user patient.9990000018 is registered as ROLE_PATIENT, not ROLE_PROXY_VIEWER");
  world_->Apply(world_->ChangeStatus("proxy.jane", careledger::v1::USER_STATUS_SUSPENDED));
  ExpectRefused(actors().proxy, "user proxy.jane is suspended");
  world_->Apply(world_->ChangeStatus("proxy.jane", careledger::v1::USER_STATUS_ACTIVE));
  ExpectAllowed(actors().proxy);
  world_->Apply(
      world_->ChangeStatus(actors().patient.user_id(), careledger::v1::USER_STATUS_REVOKED));
  ExpectRefused(actors().patient, "user patient.9990000018's access is revoked");
}

// Only the CMC team (or the host's operator) keeps the directory.
TEST_F(AccessRulesTest, OnlyTheCmcTeamChangesTheDirectory) {
  careledger::v1::Command by_gp = LedgerWorld::As(actors().gp);
  by_gp.mutable_change_user_status()->set_user_id("admin.rosewood");
  by_gp.mutable_change_user_status()->set_status(careledger::v1::USER_STATUS_SUSPENDED);
  world_->Reject(by_gp, "role ROLE_CLINICIAN may not change the directory");
  careledger::v1::Command by_auditor = LedgerWorld::As(actors().auditor);
  *by_auditor.mutable_change_user_status() = by_gp.change_user_status();
  world_->Apply(by_auditor);
  ExpectRefused(actors().care_home_admin, "user admin.rosewood is suspended");
}

}  // namespace
}  // namespace careledger::ledger
