// Investigation cases on the ledger (ledger/case_rules.h): only the CMC team
// opens, adds to and closes a case, each act one signed event on the case's
// stream "audit/case/<id>"; anyone else is refused and the attempt recorded;
// bad input, an unknown case and a closed case are refused and append no
// case event; a retried command is answered DUPLICATE, across restarts.
#include "ledger/case_rules.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ledger/decide.h"
#include "ledger/limits.h"
#include "tests/ledger/ledger_world.h"

namespace careledger::testing {
namespace {

using careledger::v1::Actor;
using careledger::v1::Command;
using careledger::v1::Event;

constexpr auto kConfirmed = careledger::v1::ALERT_REVIEW_OUTCOME_INAPPROPRIATE_ACCESS_CONFIRMED;

Command Open(const Actor& actor, const std::string& case_id, const std::string& title,
             const std::string& user_id, const std::string& nhs = "") {
  Command command = LedgerWorld::As(actor);
  command.mutable_open_case()->set_case_id(case_id);
  command.mutable_open_case()->set_title(title);
  command.mutable_open_case()->set_user_id(user_id);
  command.mutable_open_case()->set_nhs_number(nhs);
  return command;
}

Command AddAlert(const Actor& actor, const std::string& case_id, const std::string& alert_id,
                 const std::string& nhs = "") {
  Command command = LedgerWorld::As(actor);
  command.mutable_add_case_alert()->set_case_id(case_id);
  command.mutable_add_case_alert()->set_alert_id(alert_id);
  command.mutable_add_case_alert()->set_nhs_number(nhs);
  return command;
}

Command Note(const Actor& actor, const std::string& case_id, const std::string& note) {
  Command command = LedgerWorld::As(actor);
  command.mutable_add_case_note()->set_case_id(case_id);
  command.mutable_add_case_note()->set_note(note);
  return command;
}

Command Close(const Actor& actor, const std::string& case_id,
              careledger::v1::AlertReviewOutcome outcome, const std::string& note = "") {
  Command command = LedgerWorld::As(actor);
  command.mutable_close_case()->set_case_id(case_id);
  command.mutable_close_case()->set_outcome(outcome);
  command.mutable_close_case()->set_note(note);
  return command;
}

TEST(CaseRulesTest, TheCmcTeamsCaseIsSignedEventsOnItsOwnStream) {
  LedgerWorld world;
  const Actor& auditor = world.actors().auditor;
  const auto opened = world.Apply(
      Open(auditor, "case-1", "Reads of a neighbour's plan", "", tools::kSamplePatient));
  EXPECT_EQ(opened.stream_id(), "audit/case/case-1");
  EXPECT_EQ(opened.stream_seq(), 1u);
  world.Apply(AddAlert(auditor, "case-1", "family_or_neighbour/1-5", tools::kSamplePatient));
  world.Apply(Note(auditor, "case-1", "Asked the practice manager for the rota."));
  const auto closed = world.Apply(Close(auditor, "case-1", kConfirmed, "HR informed"));
  EXPECT_EQ(closed.stream_seq(), 4u);
  const std::vector<Event> events = world.StreamEvents("audit/case/case-1");
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].case_opened().title(), "Reads of a neighbour's plan");
  EXPECT_EQ(events[0].case_opened().nhs_number(), tools::kSamplePatient);
  EXPECT_EQ(events[1].case_alert_added().alert_id(), "family_or_neighbour/1-5");
  EXPECT_EQ(events[1].case_alert_added().nhs_number(), tools::kSamplePatient);
  EXPECT_EQ(events[2].case_note_added().note(), "Asked the practice manager for the rota.");
  EXPECT_EQ(events[3].case_closed().outcome(), kConfirmed);
  EXPECT_EQ(events[3].case_closed().note(), "HR informed");
  for (const Event& event : events) {
    EXPECT_EQ(event.actor().user_id(), "auditor.cmc");
    EXPECT_EQ(event.actor().role(), careledger::v1::ROLE_AUDITOR);
  }
  // A case on a user, not a patient.
  EXPECT_EQ(world.Apply(Open(auditor, "case-2", "Out of hours reads", "gp.smith")).stream_id(),
            "audit/case/case-2");
}

TEST(CaseRulesTest, AClosedCaseTakesNothingMoreAndAnUnknownCaseNothingAtAll) {
  LedgerWorld world;
  const Actor& auditor = world.actors().auditor;
  world.Reject(Note(auditor, "case-9", "hello"), "no case case-9");
  world.Reject(AddAlert(auditor, "case-9", "break_glass/1-5"), "no case case-9");
  world.Reject(Close(auditor, "case-9", kConfirmed), "no case case-9");
  EXPECT_TRUE(world.StreamEvents("audit/case/case-9").empty());
  world.Apply(Open(auditor, "case-9", "A look at gp.smith", "gp.smith"));
  world.Reject(Open(auditor, "case-9", "Again", "gp.smith"), "already open");
  world.Apply(Close(auditor, "case-9", careledger::v1::ALERT_REVIEW_OUTCOME_FALSE_POSITIVE));
  // Closed: survives a restart (the writer folds CaseClosed from the log).
  world.Restart();
  world.Reject(Note(auditor, "case-9", "one more thing"), "case case-9 is closed");
  world.Reject(AddAlert(auditor, "case-9", "break_glass/1-5"), "is closed");
  world.Reject(Close(auditor, "case-9", kConfirmed), "is closed");
  EXPECT_EQ(world.StreamEvents("audit/case/case-9").size(), 2u);
}

TEST(CaseRulesTest, EveryoneElseIsRefusedAndTheAttemptRecorded) {
  LedgerWorld world;
  world.PublishSamplePlan();
  const tools::SampleActors& a = world.actors();
  world.Apply(Open(a.auditor, "case-3", "Break-glass reads", "", tools::kSamplePatient));
  for (const Actor* actor : {&a.gp, &a.care_home_admin, &a.ambulance, &a.nhs111, &a.patient}) {
    world.Reject(Open(*actor, "case-4", "Mine", "", tools::kSamplePatient),
                 "only the CMC team keeps investigation cases");
    careledger::v1::AccessRecorded refusal = world.LastAccess();
    EXPECT_EQ(refusal.action(), "open_case");
    EXPECT_EQ(refusal.subject(), "audit/case/case-4");
    EXPECT_EQ(refusal.nhs_number(), tools::kSamplePatient) << "in the patient's trail";
    EXPECT_EQ(refusal.outcome(), careledger::v1::ACCESS_OUTCOME_DENIED);
    world.Reject(Note(*actor, "case-3", "I was curious"), "only the CMC team");
    EXPECT_EQ(world.LastAccess().action(), "add_case_note");
    world.Reject(Close(*actor, "case-3", careledger::v1::ALERT_REVIEW_OUTCOME_JUSTIFIED),
                 "only the CMC team");
  }
  world.Reject(Note(a.operator_, "case-3", "x"), "the system role may only bootstrap");
  // An auditor who fails the access prerequisites is refused too.
  world.Apply(world.ChangeStatus("auditor.cmc", careledger::v1::USER_STATUS_SUSPENDED));
  world.Reject(Note(a.auditor, "case-3", "x"), "suspended");
  EXPECT_TRUE(world.StreamEvents("audit/case/case-4").empty());
  EXPECT_EQ(world.StreamEvents("audit/case/case-3").size(), 1u);
}

TEST(CaseRulesTest, BadInputIsRefusedAndAppendsNoCaseEvent) {
  LedgerWorld world;
  const Actor& auditor = world.actors().auditor;
  for (const char* bad : {"", "Case-1", "case 1", "case/1", "case_1"}) {
    world.Reject(Open(auditor, bad, "Title", "gp.smith"), "a case id is 1 to 64");
  }
  world.Reject(Open(auditor, std::string(65, 'a'), "Title", "gp.smith"), "");
  world.Reject(Open(auditor, "c1", "", "gp.smith"), "a case needs a title");
  world.Reject(Open(auditor, "c1", "two\nlines", "gp.smith"), "");
  world.Reject(Open(auditor, "c1", std::string(ledger::kMaxLineLength + 1, 't'), "gp.smith"),
               "at most");
  world.Reject(Open(auditor, "c1", "Title", "", ""), "exactly one");
  world.Reject(Open(auditor, "c1", "Title", "gp.smith", tools::kSamplePatient), "exactly one");
  world.Reject(Open(auditor, "c1", "Title", "", "1234567890"), "");
  EXPECT_TRUE(world.StreamEvents("audit/case/c1").empty());
  world.Apply(Open(auditor, "c1", "Title", "gp.smith"));
  world.Reject(Note(auditor, "c1", ""), "may not be empty");
  world.Reject(Note(auditor, "c1", "  \n "), "may not be empty");
  world.Reject(Note(auditor, "c1", std::string(ledger::kMaxReviewNoteLength + 1, 'n')),
               "at most 2000 characters");
  world.Reject(AddAlert(auditor, "c1", "not an alert"), "an alert id is");
  world.Reject(AddAlert(auditor, "c1", "break_glass/1-5", "1234567890"), "");
  world.Reject(Close(auditor, "c1", careledger::v1::ALERT_REVIEW_OUTCOME_UNSPECIFIED),
               "closed with an outcome");
  world.Reject(Close(auditor, "c1", kConfirmed, std::string(ledger::kMaxReviewNoteLength + 1, 'n')),
               "at most 2000 characters");
  EXPECT_EQ(world.StreamEvents("audit/case/c1").size(), 1u) << "only the CaseOpened";
  // The pure check the front ends run before submitting agrees.
  EXPECT_FALSE(ledger::ValidateCaseCommand(Note(auditor, "c1", "")).ok());
  EXPECT_TRUE(ledger::ValidateCaseCommand(Note(auditor, "c1", "fine")).ok());
}

TEST(CaseRulesTest, ARetriedCommandIsAnsweredNotAppliedTwice) {
  LedgerWorld world;
  const Actor& auditor = world.actors().auditor;
  const Command open = Open(auditor, "case-5", "Title", "gp.smith");
  world.Apply(open);
  EXPECT_EQ(world.Submit(open).outcome(), careledger::v1::OUTCOME_DUPLICATE);
  const Command note = Note(auditor, "case-5", "once");
  world.Apply(note);
  const Command close = Close(auditor, "case-5", kConfirmed);
  world.Apply(close);
  world.Restart();
  // Retries after the close, and after a restart: answered, not refused.
  EXPECT_EQ(world.Submit(note).outcome(), careledger::v1::OUTCOME_DUPLICATE);
  EXPECT_EQ(world.Submit(close).outcome(), careledger::v1::OUTCOME_DUPLICATE);
  EXPECT_EQ(world.Submit(open).outcome(), careledger::v1::OUTCOME_DUPLICATE);
  EXPECT_EQ(world.StreamEvents("audit/case/case-5").size(), 3u);
}

}  // namespace
}  // namespace careledger::testing
