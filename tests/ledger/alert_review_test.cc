// The ledger's side of the investigation rules: reviewing an alert
// (ledger/alert_review_rules.h) is for the CMC team only, is validated, and
// becomes a signed AlertReviewed on "audit/alert/<id>"; anyone else's
// attempt is refused and recorded. `audit alerts` is an audit query of
// scope ALERTS, recorded like the others. A refused attempt on a restricted
// plan is flagged `restricted` in its access record.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ledger/alert_review_rules.h"
#include "ledger/decide.h"
#include "tests/ledger/ledger_world.h"

namespace careledger::testing {
namespace {

using careledger::v1::Actor;
using careledger::v1::Command;
using careledger::v1::Event;
using ::testing::HasSubstr;

Command Review(const Actor& actor, const std::string& alert_id,
               careledger::v1::AlertReviewOutcome outcome, const std::string& note = "",
               const std::string& nhs = tools::kSamplePatient) {
  Command command = LedgerWorld::As(actor);
  command.mutable_review_alert()->set_alert_id(alert_id);
  command.mutable_review_alert()->set_outcome(outcome);
  command.mutable_review_alert()->set_note(note);
  command.mutable_review_alert()->set_nhs_number(nhs);
  return command;
}

TEST(AlertReviewTest, TheCmcTeamsReviewIsASignedEventOnTheAlertsStream) {
  LedgerWorld world;
  const Actor& auditor = world.actors().auditor;
  const auto first =
      world.Apply(Review(auditor, "break_glass/1-5", careledger::v1::ALERT_REVIEW_OUTCOME_REFERRED,
                         "sent to the Caldicott guardian"));
  EXPECT_EQ(first.stream_id(), "audit/alert/break_glass/1-5");
  EXPECT_EQ(first.stream_seq(), 1u);
  const auto second = world.Apply(
      Review(auditor, "break_glass/1-5", careledger::v1::ALERT_REVIEW_OUTCOME_JUSTIFIED));
  EXPECT_EQ(second.stream_seq(), 2u) << "a later review is the alert stream's next event";
  const std::vector<Event> events = world.StreamEvents("audit/alert/break_glass/1-5");
  ASSERT_EQ(events.size(), 2u);
  const careledger::v1::AlertReviewed& reviewed = events[0].alert_reviewed();
  EXPECT_EQ(reviewed.alert_id(), "break_glass/1-5");
  EXPECT_EQ(reviewed.outcome(), careledger::v1::ALERT_REVIEW_OUTCOME_REFERRED);
  EXPECT_EQ(reviewed.note(), "sent to the Caldicott guardian");
  EXPECT_EQ(reviewed.nhs_number(), tools::kSamplePatient);
  EXPECT_EQ(events[0].actor().user_id(), "auditor.cmc");
  EXPECT_EQ(events[0].actor().role(), careledger::v1::ROLE_AUDITOR);
  EXPECT_EQ(events[1].alert_reviewed().outcome(), careledger::v1::ALERT_REVIEW_OUTCOME_JUSTIFIED);
  // A retried command is answered, not applied twice.
  Command retry =
      Review(auditor, "out_of_hours/2-9", careledger::v1::ALERT_REVIEW_OUTCOME_JUSTIFIED);
  world.Apply(retry);
  EXPECT_EQ(world.Submit(retry).outcome(), careledger::v1::OUTCOME_DUPLICATE);
  EXPECT_EQ(world.StreamEvents("audit/alert/out_of_hours/2-9").size(), 1u);
  // Survives a restart (the writer recovers the alert streams' heads).
  world.Restart();
  EXPECT_EQ(world
                .Apply(Review(auditor, "break_glass/1-5",
                              careledger::v1::ALERT_REVIEW_OUTCOME_FALSE_POSITIVE))
                .stream_seq(),
            3u);
}

TEST(AlertReviewTest, EveryoneElseIsRefusedAndTheAttemptRecorded) {
  LedgerWorld world;
  world.PublishSamplePlan();
  const tools::SampleActors& a = world.actors();
  for (const Actor* actor : {&a.gp, &a.care_home_admin, &a.ambulance, &a.nhs111, &a.patient}) {
    world.Reject(Review(*actor, "break_glass/1-5", careledger::v1::ALERT_REVIEW_OUTCOME_JUSTIFIED),
                 "only the CMC team reviews alerts");
    const careledger::v1::AccessRecorded refusal = world.LastAccess();
    EXPECT_EQ(refusal.action(), "review_alert");
    EXPECT_EQ(refusal.subject(), "audit/alert/break_glass/1-5");
    EXPECT_EQ(refusal.nhs_number(), tools::kSamplePatient) << "in the patient's trail";
    EXPECT_EQ(refusal.outcome(), careledger::v1::ACCESS_OUTCOME_DENIED);
  }
  world.Reject(
      Review(a.operator_, "break_glass/1-5", careledger::v1::ALERT_REVIEW_OUTCOME_JUSTIFIED),
      "the system role may only bootstrap the directory");
  // An auditor who fails the access prerequisites is refused too.
  world.Apply(world.ChangeStatus("auditor.cmc", careledger::v1::USER_STATUS_SUSPENDED));
  world.Reject(Review(a.auditor, "break_glass/1-5", careledger::v1::ALERT_REVIEW_OUTCOME_JUSTIFIED),
               "suspended");
  EXPECT_TRUE(world.StreamEvents("audit/alert/break_glass/1-5").empty());
}

TEST(AlertReviewTest, AReviewNeedsAnAlertIdAnOutcomeAndForSomeANote) {
  LedgerWorld world;
  const Actor& auditor = world.actors().auditor;
  constexpr auto kJustified = careledger::v1::ALERT_REVIEW_OUTCOME_JUSTIFIED;
  for (const char* bad : {"", "break_glass", "break_glass/", "Break_Glass/1-2", "x/1-", "x/-1",
                          "x/a-1", "x/1-2-3", "/1-2", "x/1/2"}) {
    world.Reject(Review(auditor, bad, kJustified), "an alert id is '<rule>/<partition>-<offset>'");
  }
  world.Reject(
      Review(auditor, "many_patients/0-7", careledger::v1::ALERT_REVIEW_OUTCOME_UNSPECIFIED),
      "a review needs an outcome");
  world.Reject(
      Review(auditor, "many_patients/0-7", static_cast<careledger::v1::AlertReviewOutcome>(42)),
      "review_alert.outcome: 42 is not a value of AlertReviewOutcome");
  world.Reject(Review(auditor, "many_patients/0-7",
                      careledger::v1::ALERT_REVIEW_OUTCOME_INAPPROPRIATE_ACCESS_CONFIRMED),
               "needs a note");
  world.Reject(Review(auditor, "many_patients/0-7", careledger::v1::ALERT_REVIEW_OUTCOME_REFERRED),
               "needs a note");
  world.Reject(Review(auditor, "many_patients/0-7", kJustified,
                      std::string(ledger::kMaxReviewNoteLength + 1, 'x')),
               "at most 2000 characters");
  world.Reject(Review(auditor, "many_patients/0-7", kJustified, "", "1234567890"), "");
  world.Apply(Review(auditor, "many_patients/0-7", kJustified, "", ""));  // no patient: fine
  world.Apply(Review(auditor, "many_patients/0-7",
                     careledger::v1::ALERT_REVIEW_OUTCOME_INAPPROPRIATE_ACCESS_CONFIRMED,
                     "HR informed; access removed"));
}

TEST(AlertReviewTest, AuditAlertsIsARecordedAuditQuery) {
  LedgerWorld world;
  Command query = LedgerWorld::As(world.actors().auditor);
  query.mutable_audit_query()->set_scope(careledger::v1::AUDIT_SCOPE_ALERTS);
  world.Apply(query);
  EXPECT_EQ(world.LastAccess().action(), "audit_alerts");
  EXPECT_EQ(world.LastAccess().subject(), "audit/alerts");
  EXPECT_EQ(world.LastAccess().outcome(), careledger::v1::ACCESS_OUTCOME_GRANTED);
  query = LedgerWorld::As(world.actors().auditor);
  query.mutable_audit_query()->set_scope(careledger::v1::AUDIT_SCOPE_ALERTS);
  query.mutable_audit_query()->set_subject("break_glass");
  world.Apply(query);
  EXPECT_EQ(world.LastAccess().subject(), "audit/alerts/break_glass");
  query = LedgerWorld::As(world.actors().auditor);
  query.mutable_audit_query()->set_scope(careledger::v1::AUDIT_SCOPE_ALERTS);
  query.mutable_audit_query()->set_subject("Bad Rule");
  world.Reject(query, "not an investigation rule's name");
  query = LedgerWorld::As(world.actors().gp);
  query.mutable_audit_query()->set_scope(careledger::v1::AUDIT_SCOPE_ALERTS);
  world.Reject(query, "only the CMC team audits");
  EXPECT_EQ(world.LastAccess().action(), "audit_alerts");
}

TEST(AlertReviewTest, ARefusedAttemptOnARestrictedPlanIsFlagged) {
  LedgerWorld world;
  world.PublishSamplePlan();
  const tools::SampleActors& a = world.actors();
  world.Reject(LedgerWorld::View(a.ambulance, careledger::v1::PLAN_VIEW_DRAFT),
               "published plans only");
  EXPECT_FALSE(world.LastAccess().restricted());
  world.Apply(world.Restrict(a.gp, {"dr.patel"}));
  world.Reject(LedgerWorld::View(a.care_home_nurse), "restricted to named users");
  EXPECT_TRUE(world.LastAccess().restricted());
  world.Reject(LedgerWorld::Note(a.care_home_nurse, "not urgent care"), "");
  EXPECT_TRUE(world.LastAccess().restricted()) << "a refused command on it too";
}

}  // namespace
}  // namespace careledger::testing
