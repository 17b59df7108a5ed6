// Auditors are audited (ledger/audit_rules.h): an AuditQuery is granted only
// to the CMC team meeting the access prerequisites, and leaves exactly one
// access record (action "audit_<scope>", the subject, the patient's NHS
// number when it concerns one, the time range) and no other event; a
// refused one is recorded like every refusal, in the same trails.
#include "ledger/audit_rules.h"

#include <gtest/gtest.h>

#include "events/time_util.h"
#include "ledger/decide.h"
#include "ledger/nhs_number.h"
#include "tests/ledger/ledger_world.h"

namespace careledger::ledger {
namespace {

using careledger::testing::LedgerWorld;
using careledger::v1::AccessRecorded;
using careledger::v1::Command;
using careledger::v1::CommandResult;
using careledger::v1::Event;

Command Audit(const careledger::v1::Actor& actor, careledger::v1::AuditScope scope,
              const std::string& subject) {
  Command command = LedgerWorld::As(actor);
  command.mutable_audit_query()->set_scope(scope);
  command.mutable_audit_query()->set_subject(subject);
  return command;
}

class AuditRulesTest : public ::testing::Test {
 protected:
  void SetUp() override { world_->PublishSamplePlan(); }

  const tools::SampleActors& a() const { return world_->actors(); }

  // Submits `command`; expects exactly one appended event, an access record.
  AccessRecorded RecordOf(const Command& command, CommandResult* result) {
    const std::vector<std::int64_t> mark = world_->Mark();
    *result = world_->Submit(command);
    const std::vector<Event> added = world_->EventsSince(mark);
    EXPECT_EQ(added.size(), 1u);
    if (added.empty()) return {};
    EXPECT_TRUE(added.back().has_access_recorded()) << added.back().DebugString();
    EXPECT_TRUE(added.back().stream_id().starts_with("access/")) << added.back().stream_id();
    EXPECT_EQ(added.back().actor().user_id(), command.actor().user_id());
    return added.back().access_recorded();
  }

  std::unique_ptr<LedgerWorld> world_ = std::make_unique<LedgerWorld>();
};

TEST_F(AuditRulesTest, AnAuditorsPatientQueryIsRecordedInThatPatientsTrail) {
  Command query = Audit(a().auditor, careledger::v1::AUDIT_SCOPE_PATIENT, tools::kSamplePatient);
  *query.mutable_audit_query()->mutable_range_from() =
      events::ToTimestamp(world_->clock().Now() - absl::Hours(24 * 30));
  *query.mutable_audit_query()->mutable_range_to() = events::ToTimestamp(world_->clock().Now());
  const std::uint64_t plan_seq = world_->StreamEvents(PatientStream(tools::kSamplePatient)).size();
  CommandResult result;
  const AccessRecorded record = RecordOf(query, &result);
  EXPECT_EQ(result.outcome(), careledger::v1::OUTCOME_APPLIED);
  EXPECT_FALSE(result.has_view());
  EXPECT_EQ(record.action(), "audit_patient");
  EXPECT_EQ(record.subject(), PatientStream(tools::kSamplePatient));
  EXPECT_EQ(record.nhs_number(), tools::kSamplePatient);
  EXPECT_EQ(record.outcome(), careledger::v1::ACCESS_OUTCOME_GRANTED);
  EXPECT_EQ(record.range_from().seconds(), query.audit_query().range_from().seconds());
  EXPECT_EQ(record.range_to().seconds(), query.audit_query().range_to().seconds());
  EXPECT_FALSE(record.restricted());
  // Nothing was appended to the plan's stream.
  EXPECT_EQ(world_->StreamEvents(PatientStream(tools::kSamplePatient)).size(), plan_seq);

  // A retried query id is answered, not recorded twice.
  const std::vector<std::int64_t> mark = world_->Mark();
  EXPECT_EQ(world_->Submit(query).outcome(), careledger::v1::OUTCOME_DUPLICATE);
  EXPECT_TRUE(world_->EventsSince(mark).empty());
}

TEST_F(AuditRulesTest, EveryScopeHasItsActionAndSubject) {
  CommandResult result;
  AccessRecorded user =
      RecordOf(Audit(a().auditor, careledger::v1::AUDIT_SCOPE_USER, "crew.lee"), &result);
  EXPECT_EQ(result.outcome(), careledger::v1::OUTCOME_APPLIED);
  EXPECT_EQ(user.action(), "audit_user");
  EXPECT_EQ(user.subject(), "directory/user/crew.lee");
  EXPECT_EQ(user.nhs_number(), "");

  AccessRecorded org =
      RecordOf(Audit(a().auditor, careledger::v1::AUDIT_SCOPE_ORGANISATION, "AMB001"), &result);
  EXPECT_EQ(result.outcome(), careledger::v1::OUTCOME_APPLIED);
  EXPECT_EQ(org.action(), "audit_organisation");
  EXPECT_EQ(org.subject(), "directory/org/AMB001");

  Command access = Audit(a().auditor, careledger::v1::AUDIT_SCOPE_ACCESS, "2/17");
  access.mutable_audit_query()->set_nhs_number(tools::kSamplePatient);
  AccessRecorded one = RecordOf(access, &result);
  EXPECT_EQ(result.outcome(), careledger::v1::OUTCOME_APPLIED);
  EXPECT_EQ(one.action(), "audit_access");
  EXPECT_EQ(one.subject(), "log/2/17");
  EXPECT_EQ(one.nhs_number(), tools::kSamplePatient);
}

TEST_F(AuditRulesTest, ARestrictedPlanIsAuditedAndFlagged) {
  world_->Apply(LedgerWorld::Restrict(a().gp, {"nurse.rosewood"}));
  CommandResult result;
  const AccessRecorded record = RecordOf(
      Audit(a().auditor, careledger::v1::AUDIT_SCOPE_PATIENT, tools::kSamplePatient), &result);
  EXPECT_EQ(result.outcome(), careledger::v1::OUTCOME_APPLIED);
  EXPECT_TRUE(record.restricted());
}

TEST_F(AuditRulesTest, OnlyTheCmcTeamAuditsAndRefusalsAreRecorded) {
  for (const careledger::v1::Actor* actor :
       {&a().gp, &a().care_home_admin, &a().ambulance, &a().patient, &a().proxy, &a().operator_}) {
    CommandResult result;
    const AccessRecorded record = RecordOf(
        Audit(*actor, careledger::v1::AUDIT_SCOPE_PATIENT, tools::kSamplePatient), &result);
    EXPECT_EQ(result.outcome(), careledger::v1::OUTCOME_REJECTED) << actor->user_id();
    EXPECT_EQ(record.outcome(), careledger::v1::ACCESS_OUTCOME_DENIED);
    // Named like a granted query, so the attempt is in the patient's trail.
    EXPECT_EQ(record.action(), "audit_patient");
    EXPECT_EQ(record.subject(), PatientStream(tools::kSamplePatient));
    EXPECT_EQ(record.nhs_number(), tools::kSamplePatient);
  }
  world_->Reject(Audit(a().gp, careledger::v1::AUDIT_SCOPE_USER, "crew.lee"),
                 "only the CMC team audits");
  // The CMC team must meet the prerequisites like everyone else.
  careledger::v1::Actor unregistered = a().auditor;
  unregistered.set_device_id("dev-unknown");
  world_->Reject(Audit(unregistered, careledger::v1::AUDIT_SCOPE_USER, "crew.lee"), "device");
}

TEST_F(AuditRulesTest, MalformedQueriesAreRefused) {
  world_->Reject(Audit(a().auditor, careledger::v1::AUDIT_SCOPE_PATIENT, "1234567890"),
                 "NHS number");
  world_->Reject(Audit(a().auditor, careledger::v1::AUDIT_SCOPE_UNSPECIFIED, "x"), "scope");
  world_->Reject(Audit(a().auditor, careledger::v1::AUDIT_SCOPE_USER, ""), "subject");
  world_->Reject(Audit(a().auditor, careledger::v1::AUDIT_SCOPE_ACCESS, "17"),
                 "<partition>/<offset>");
  world_->Reject(Audit(a().auditor, careledger::v1::AUDIT_SCOPE_ACCESS, "a/b"),
                 "<partition>/<offset>");
  Command backwards = Audit(a().auditor, careledger::v1::AUDIT_SCOPE_USER, "crew.lee");
  *backwards.mutable_audit_query()->mutable_range_from() =
      events::ToTimestamp(world_->clock().Now());
  *backwards.mutable_audit_query()->mutable_range_to() =
      events::ToTimestamp(world_->clock().Now() - absl::Hours(1));
  world_->Reject(backwards, "from must be before to");
}

TEST_F(AuditRulesTest, ExportsAreRecordedAsExports) {
  const struct {
    careledger::v1::AuditScope scope;
    std::string subject;
    std::string action;
  } cases[] = {
      {careledger::v1::AUDIT_SCOPE_PATIENT, tools::kSamplePatient, "audit_export_patient"},
      {careledger::v1::AUDIT_SCOPE_USER, "crew.lee", "audit_export_user"},
      {careledger::v1::AUDIT_SCOPE_ORGANISATION, "AMB001", "audit_export_organisation"},
  };
  for (const auto& each : cases) {
    Command command = Audit(a().auditor, each.scope, each.subject);
    command.mutable_audit_query()->set_for_export(true);
    CommandResult result;
    const AccessRecorded record = RecordOf(command, &result);
    EXPECT_EQ(result.outcome(), careledger::v1::OUTCOME_APPLIED);
    EXPECT_EQ(record.action(), each.action);
    command.mutable_audit_query()->set_for_export(false);
    EXPECT_EQ(record.subject(), *AuditSubject(command.audit_query()));
  }
  // A refused export is named like a granted one, in the patient's trail.
  Command refused = Audit(a().gp, careledger::v1::AUDIT_SCOPE_PATIENT, tools::kSamplePatient);
  refused.mutable_audit_query()->set_for_export(true);
  CommandResult result;
  const AccessRecorded record = RecordOf(refused, &result);
  EXPECT_EQ(result.outcome(), careledger::v1::OUTCOME_REJECTED);
  EXPECT_EQ(record.action(), "audit_export_patient");
  EXPECT_EQ(record.nhs_number(), tools::kSamplePatient);
  // One record is inspected, not exported.
  Command access = Audit(a().auditor, careledger::v1::AUDIT_SCOPE_ACCESS, "2/17");
  access.mutable_audit_query()->set_for_export(true);
  world_->Reject(access, "exported");
}

TEST_F(AuditRulesTest, StatisticsQueriesAreRecordedAndUnsuppressedOnesSaySo) {
  CommandResult result;
  AccessRecorded all =
      RecordOf(Audit(a().auditor, careledger::v1::AUDIT_SCOPE_STATISTICS, ""), &result);
  EXPECT_EQ(result.outcome(), careledger::v1::OUTCOME_APPLIED);
  EXPECT_EQ(all.action(), "audit_statistics");
  EXPECT_EQ(all.subject(), "audit/statistics");
  Command exact = Audit(a().auditor, careledger::v1::AUDIT_SCOPE_STATISTICS, "AMB001");
  exact.mutable_audit_query()->set_unsuppressed(true);
  AccessRecorded unsuppressed = RecordOf(exact, &result);
  EXPECT_EQ(result.outcome(), careledger::v1::OUTCOME_APPLIED);
  EXPECT_EQ(unsuppressed.action(), "audit_statistics_unsuppressed");
  EXPECT_EQ(unsuppressed.subject(), "audit/statistics/AMB001");
  // Only the CMC team; the refusal is named like the query.
  AccessRecorded refused =
      RecordOf(Audit(a().gp, careledger::v1::AUDIT_SCOPE_STATISTICS, ""), &result);
  EXPECT_EQ(result.outcome(), careledger::v1::OUTCOME_REJECTED);
  EXPECT_EQ(refused.outcome(), careledger::v1::ACCESS_OUTCOME_DENIED);
  EXPECT_EQ(refused.action(), "audit_statistics");
  world_->Reject(Audit(a().auditor, careledger::v1::AUDIT_SCOPE_STATISTICS, "amb/001"), "ODS code");
  Command trail = Audit(a().auditor, careledger::v1::AUDIT_SCOPE_USER, "crew.lee");
  trail.mutable_audit_query()->set_unsuppressed(true);
  world_->Reject(trail, "only statistics are shown unsuppressed");
}

TEST_F(AuditRulesTest, MigrationExportsAndReportsAreRecordedWithoutASubject) {
  CommandResult result;
  AccessRecorded report =
      RecordOf(Audit(a().auditor, careledger::v1::AUDIT_SCOPE_MIGRATION, ""), &result);
  EXPECT_EQ(result.outcome(), careledger::v1::OUTCOME_APPLIED);
  EXPECT_EQ(report.action(), "audit_migration_report");
  EXPECT_EQ(report.subject(), "audit/migration");
  Command exported = Audit(a().auditor, careledger::v1::AUDIT_SCOPE_MIGRATION, "");
  exported.mutable_audit_query()->set_for_export(true);
  AccessRecorded granted = RecordOf(exported, &result);
  EXPECT_EQ(result.outcome(), careledger::v1::OUTCOME_APPLIED);
  EXPECT_EQ(granted.action(), "audit_migration_export");
  EXPECT_EQ(granted.subject(), "audit/migration");
  EXPECT_EQ(granted.nhs_number(), "");
  // Only the CMC team; the refusal is named like the export.
  Command by_gp = Audit(a().gp, careledger::v1::AUDIT_SCOPE_MIGRATION, "");
  by_gp.mutable_audit_query()->set_for_export(true);
  AccessRecorded refused = RecordOf(by_gp, &result);
  EXPECT_EQ(result.outcome(), careledger::v1::OUTCOME_REJECTED);
  EXPECT_EQ(refused.outcome(), careledger::v1::ACCESS_OUTCOME_DENIED);
  EXPECT_EQ(refused.action(), "audit_migration_export");
  // The export is of every plan: a subject is bad input.
  world_->Reject(Audit(a().auditor, careledger::v1::AUDIT_SCOPE_MIGRATION, "9990000018"),
                 "names no subject");
}

TEST_F(AuditRulesTest, IntegrityChecksAreRecordedForTheCmcTeamOnly) {
  CommandResult result;
  AccessRecorded granted =
      RecordOf(Audit(a().auditor, careledger::v1::AUDIT_SCOPE_INTEGRITY, ""), &result);
  EXPECT_EQ(result.outcome(), careledger::v1::OUTCOME_APPLIED);
  EXPECT_EQ(granted.action(), "audit_integrity");
  EXPECT_EQ(granted.subject(), "audit/integrity");
  AccessRecorded refused =
      RecordOf(Audit(a().gp, careledger::v1::AUDIT_SCOPE_INTEGRITY, ""), &result);
  EXPECT_EQ(result.outcome(), careledger::v1::OUTCOME_REJECTED);
  EXPECT_EQ(refused.outcome(), careledger::v1::ACCESS_OUTCOME_DENIED);
  EXPECT_EQ(refused.action(), "audit_integrity");
  world_->Reject(Audit(a().auditor, careledger::v1::AUDIT_SCOPE_INTEGRITY, "3/1"),
                 "an integrity check has no subject");
}

}  // namespace
}  // namespace careledger::ledger

namespace careledger::ledger {
namespace {

// A look at an Action Needed list (ledger/worklist_rules.h): the caller's
// own, their organisation's, or a patient's own plan's; recorded either way.
Command LookAt(const careledger::v1::Actor& actor, void (*name)(careledger::v1::ViewWorklist*)) {
  Command command = LedgerWorld::As(actor);
  name(command.mutable_view_worklist());
  return command;
}

TEST_F(AuditRulesTest, ALookAtAWorklistIsRecordedGrantedOrRefused) {
  CommandResult result;
  AccessRecorded own = RecordOf(
      LookAt(a().gp, [](careledger::v1::ViewWorklist* view) { view->set_user_id("dr.patel"); }),
      &result);
  EXPECT_EQ(result.outcome(), careledger::v1::OUTCOME_APPLIED);
  EXPECT_EQ(own.action(), "view_worklist");
  EXPECT_EQ(own.subject(), "worklist/user/dr.patel");
  EXPECT_EQ(own.outcome(), careledger::v1::ACCESS_OUTCOME_GRANTED);

  AccessRecorded practice = RecordOf(
      LookAt(a().gp, [](careledger::v1::ViewWorklist* view) { view->set_ods_code("GP0001"); }),
      &result);
  EXPECT_EQ(result.outcome(), careledger::v1::OUTCOME_APPLIED);
  EXPECT_EQ(practice.subject(), "worklist/org/GP0001");

  AccessRecorded patient = RecordOf(LookAt(a().patient,
                                           [](careledger::v1::ViewWorklist* view) {
                                             view->set_nhs_number(tools::kSamplePatient);
                                           }),
                                    &result);
  EXPECT_EQ(result.outcome(), careledger::v1::OUTCOME_APPLIED);
  EXPECT_EQ(patient.nhs_number(), tools::kSamplePatient) << "in the patient's own trail";

  // Someone else's list: refused, and the refusal is the record.
  AccessRecorded other_org = RecordOf(
      LookAt(a().gp, [](careledger::v1::ViewWorklist* view) { view->set_ods_code("CH0001"); }),
      &result);
  EXPECT_EQ(result.outcome(), careledger::v1::OUTCOME_REJECTED);
  EXPECT_EQ(other_org.outcome(), careledger::v1::ACCESS_OUTCOME_DENIED);
  EXPECT_EQ(other_org.action(), "view_worklist");
  EXPECT_EQ(other_org.subject(), "worklist/org/CH0001");
  AccessRecorded colleague = RecordOf(
      LookAt(a().gp, [](careledger::v1::ViewWorklist* view) { view->set_user_id("nurse.okafor"); }),
      &result);
  EXPECT_EQ(colleague.outcome(), careledger::v1::ACCESS_OUTCOME_DENIED);
  AccessRecorded proxy = RecordOf(LookAt(a().proxy,
                                         [](careledger::v1::ViewWorklist* view) {
                                           view->set_nhs_number(tools::kSamplePatient);
                                         }),
                                  &result);
  EXPECT_EQ(proxy.outcome(), careledger::v1::ACCESS_OUTCOME_DENIED)
      << "a proxy viewer has no worklist";
  EXPECT_EQ(proxy.nhs_number(), tools::kSamplePatient) << "the refusal is in the patient's trail";
  AccessRecorded nobody = RecordOf(LookAt(a().gp, [](careledger::v1::ViewWorklist*) {}), &result);
  EXPECT_EQ(nobody.outcome(), careledger::v1::ACCESS_OUTCOME_DENIED);
  EXPECT_THAT(nobody.reason(), ::testing::HasSubstr("say whose worklist"));
}

}  // namespace
}  // namespace careledger::ledger
