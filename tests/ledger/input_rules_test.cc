// Proves the input rules (ledger/input_rules.h, ledger/limits.h) through the
// writer: each hostile, over-size or lenient input is refused with the field
// named, appends no plan or directory event, and leaves exactly one refusal
// record, which carries the offending value escaped and cut, never raw.
// Also the pure pieces: events/text.h (the escape, character counting).
#include "ledger/input_rules.h"

#include <gtest/gtest.h>

#include <string>

#include "events/text.h"
#include "ledger/limits.h"
#include "tests/ledger/ledger_world.h"

namespace careledger::ledger {
namespace {

using careledger::testing::LedgerWorld;
using careledger::v1::Command;
using careledger::v1::Event;

// No byte of `text` is a control character (events/text.h), \n and \t aside.
bool HasNoRawControl(const std::string& text) { return events::TextProblem(text, "\n\t").empty(); }

// Every string the refusal record carries, envelope included.
std::string RecordedText(const Event& event) {
  const careledger::v1::AccessRecorded& access = event.access_recorded();
  return event.command_id() + event.actor().user_id() + event.actor().organisation() +
         event.actor().device_id() + event.actor().network_address() + event.actor().purpose() +
         access.subject() + access.nhs_number() + access.reason() + access.break_glass_reason();
}

class InputRulesTest : public ::testing::Test {
 protected:
  void SetUp() override { world_.PublishSamplePlan(); }

  // Submits `command`, expects it refused with `reason_part`, and checks
  // that exactly one record was appended: a DENIED access record with
  // nothing raw in it. Returns that record.
  Event RefusedOnce(const Command& command, const std::string& reason_part) {
    // Each case in a refusal window of its own: the rate limit
    // (refusal_limiter_test.cc) would otherwise count, not record, some.
    world_.clock().Advance(kRefusalWindow);
    const std::vector<std::int64_t> mark = world_.Mark();
    world_.Reject(command, reason_part);
    const std::vector<Event> appended = world_.EventsSince(mark);
    EXPECT_EQ(appended.size(), 1u);
    if (appended.size() != 1) return Event();
    const Event& refusal = appended.front();
    EXPECT_TRUE(refusal.has_access_recorded()) << refusal.DebugString();
    EXPECT_EQ(refusal.access_recorded().outcome(), careledger::v1::ACCESS_OUTCOME_DENIED);
    EXPECT_TRUE(HasNoRawControl(RecordedText(refusal))) << refusal.DebugString();
    return refusal;
  }

  LedgerWorld world_;
};

TEST(TextTest, CountsCharactersNotBytes) {
  EXPECT_EQ(events::CountCharacters("abc"), 3u);
  EXPECT_EQ(events::CountCharacters("\xe2\x80\x9cquoted\xe2\x80\x9d"), 8u);  // “quoted”
  EXPECT_EQ(events::CountCharacters("\xf0\x9f\x98\x80"), 1u);                // one emoji
  EXPECT_FALSE(events::CountCharacters("\xff").has_value());
  EXPECT_FALSE(events::CountCharacters("\xc0\xaf").has_value());          // overlong '/'
  EXPECT_FALSE(events::CountCharacters("\xed\xa0\x80").has_value());      // a surrogate
  EXPECT_FALSE(events::CountCharacters("\xf4\x90\x80\x80").has_value());  // past U+10FFFF
  EXPECT_FALSE(events::CountCharacters("\xe2\x80").has_value());          // cut short
}

TEST(TextTest, EscapesEveryControlAndNothingElse) {
  EXPECT_EQ(events::EscapeControls("\x1b[2J\x1b[HDNACPR CANCELLED"),
            "\\x1b[2J\\x1b[HDNACPR CANCELLED");
  EXPECT_EQ(events::EscapeControls("a\rb\x07", ""), "a\\x0db\\x07");
  EXPECT_EQ(events::EscapeControls("line\n\tnext"), "line\n\tnext");
  EXPECT_EQ(events::EscapeControls("line\n", ""), "line\\x0a");
  EXPECT_EQ(events::EscapeControls("\xc2\x9b"
                                   "2J"),
            "\\u009b2J");  // C1 CSI
  EXPECT_EQ(events::EscapeControls("\xe2\x80\xae"
                                   "evil"),
            "\\u202eevil");                                        // RLO
  EXPECT_EQ(events::EscapeControls("\xe2\x81\xa6x"), "\\u2066x");  // LRI
  EXPECT_EQ(events::EscapeControls("\x7f"), "\\x7f");
  EXPECT_EQ(events::EscapeControls("\xff ok"), "\\xff ok");
  EXPECT_EQ(events::EscapeControls("caf\xc3\xa9 \xe2\x80\x9cok\xe2\x80\x9d"),
            "caf\xc3\xa9 \xe2\x80\x9cok\xe2\x80\x9d");  // ordinary text untouched
}

TEST(TextTest, EscaperJoinsCharactersSplitAcrossPieces) {
  events::TerminalEscaper escaper;
  std::string out;
  escaper.Feed("a\xc2", &out);
  escaper.Feed(
      "\x9b"
      "b\xe2\x80",
      &out);
  escaper.Feed(
      "\xae"
      "c\xe2",
      &out);
  escaper.Finish(&out);
  EXPECT_EQ(out, "a\\u009bb\\u202ec\\xe2");
}

TEST(TextTest, RecordableTextIsEscapedAndCut) {
  EXPECT_EQ(events::RecordableText("short", 64), "short");
  const std::string huge(1 << 20, 'u');
  const std::string recorded = events::RecordableText(huge, 64);
  EXPECT_EQ(recorded, std::string(64, 'u') + "… [cut: 1048576 bytes]");
  EXPECT_EQ(events::RecordableText("\x1b[2J", 64), "\\x1b[2J");
}

TEST_F(InputRulesTest, ControlCharactersInAnActorFieldAreRefusedNamingIt) {
  struct Case {
    const char* field;
    void (*plant)(careledger::v1::Actor*, const std::string&);
  };
  const Case cases[] = {
      {"actor.user_id", [](auto* a, const std::string& v) { a->set_user_id(v); }},
      {"actor.organisation", [](auto* a, const std::string& v) { a->set_organisation(v); }},
      {"actor.device_id", [](auto* a, const std::string& v) { a->set_device_id(v); }},
      {"actor.network_address", [](auto* a, const std::string& v) { a->set_network_address(v); }},
      {"actor.purpose", [](auto* a, const std::string& v) { a->set_purpose(v); }},
  };
  const std::string hostile[] = {"\x1b[2J\x1b[HDNACPR CANCELLED",
                                 "x\ry",
                                 "bell\x07",
                                 "c1\xc2\x9b"
                                 "2J",
                                 "bidi\xe2\x80\xae",
                                 "tab\tid",
                                 "\xff\xfe"};
  for (const Case& c : cases) {
    for (const std::string& value : hostile) {
      Command command = LedgerWorld::View(world_.actors().ambulance);
      c.plant(command.mutable_actor(), value);
      const Event refusal = RefusedOnce(command, c.field);
      EXPECT_EQ(refusal.access_recorded().action(), "view_plan");
    }
  }
  // No plan event was appended by any of them.
  EXPECT_EQ(world_.Plan().published_version(), 1u);
}

TEST_F(InputRulesTest, ControlCharactersInIdsOfTheBodyAreRefused) {
  Command to_user = LedgerWorld::SubmitTo(world_.actors().care_home_nurse, "gp\x1b[1A", "");
  RefusedOnce(to_user, "submit_plan.to_user");
  Command id = LedgerWorld::Note(world_.actors().ambulance, "fine");
  id.set_command_id("id\x1b[2K");
  const Event refusal = RefusedOnce(id, "command_id");
  EXPECT_EQ(refusal.command_id(), "id\\x1b[2K");
  careledger::v1::User user = world_.SampleUser(world_.actors().gp.user_id());
  user.set_user_id("new\xe2\x80\xaeuser");
  const Event directory = RefusedOnce(world_.RecordUser(user), "record_user.user.user_id");
  EXPECT_EQ(directory.access_recorded().subject(), "directory/user/new\\u202euser");
}

TEST_F(InputRulesTest, FreeTextKeepsNewlinesAndTabsButNoOtherControl) {
  world_.Apply(LedgerWorld::Note(world_.actors().ambulance, "line one\n\tline two"));
  RefusedOnce(LedgerWorld::Note(world_.actors().ambulance, "\x1b[2J\x1b[HDNACPR CANCELLED"),
              "add_urgent_care_note.text: a control character (\\x1b) at character 1");
  RefusedOnce(LedgerWorld::Note(world_.actors().ambulance, "over\rwrite"),
              "add_urgent_care_note.text");
  RefusedOnce(LedgerWorld::Note(world_.actors().ambulance, "not \xc0\xaf UTF-8"),
              "add_urgent_care_note.text: not valid UTF-8");
  // A one-line field of a plan section takes no newline.
  careledger::v1::PlanSectionValue value;
  value.mutable_medical_background()->set_main_diagnosis("two\nlines");
  RefusedOnce(LedgerWorld::Update(world_.actors().gp, value),
              "update_plan_section.value.medical_background.main_diagnosis");
  // A multi-line one does.
  value.Clear();
  value.mutable_clinical()->set_recommendations("first\nsecond");
  value.mutable_clinical()->set_ceiling_of_treatment(
      careledger::v1::TREATMENT_CEILING_TREAT_AT_HOME);
  world_.Apply(LedgerWorld::Update(world_.actors().gp, value));
}

TEST_F(InputRulesTest, NotesAreCountedInCharacters) {
  // 480 characters with typographic quotes: 488 bytes more than characters.
  std::string note;
  for (int i = 0; i < 120; ++i) note += "\xe2\x80\x9cok\xe2\x80\x9d";  // “ok”: 4 characters
  ASSERT_EQ(events::CountCharacters(note), 480u);
  ASSERT_GT(note.size(), kMaxNoteLength);
  world_.Apply(LedgerWorld::Note(world_.actors().ambulance, note));
  std::string too_long;
  for (int i = 0; i < 501; ++i) too_long += "\xe2\x80\x99";  // ’
  RefusedOnce(LedgerWorld::Note(world_.actors().ambulance, too_long),
              "at most 500 characters (this one has 501)");
}

TEST_F(InputRulesTest, OverSizeFieldsAreRefusedNamingFieldAndLimitAndNotCopied) {
  Command command = LedgerWorld::View(world_.actors().ambulance);
  command.mutable_actor()->set_user_id(std::string(1 << 20, 'u'));
  const Event refusal = RefusedOnce(command, "actor.user_id: at most 128 characters");
  // The refusal record holds a cut copy that says it was cut.
  EXPECT_LT(refusal.ByteSizeLong(), 4096u);
  EXPECT_NE(refusal.actor().user_id().find("[cut: 1048576 bytes]"), std::string::npos);

  careledger::v1::PlanSectionValue value;
  value.mutable_social_support()->set_details(std::string(kMaxTextLength + 1, 'd'));
  RefusedOnce(LedgerWorld::Update(world_.actors().gp, value),
              "update_plan_section.value.social_support.details: at most 4000 characters");
  value.Clear();
  for (std::size_t i = 0; i <= kMaxRepeatedItems; ++i) {
    value.mutable_medications()->add_items()->set_name("paracetamol");
  }
  RefusedOnce(LedgerWorld::Update(world_.actors().gp, value),
              "update_plan_section.value.medications.items: at most 200 items");
  Command reason = LedgerWorld::Restrict(world_.actors().gp, {world_.actors().gp.user_id()});
  reason.mutable_restrict_plan()->set_reason(std::string(kMaxReasonLength + 1, 'r'));
  RefusedOnce(reason, "restrict_plan.reason: at most 1000 characters");
  // A whole command over its size (many fields, each within its own limit).
  Command big = LedgerWorld::Update(world_.actors().gp, {});
  careledger::v1::Contacts* contacts =
      big.mutable_update_plan_section()->mutable_value()->mutable_contacts();
  for (int i = 0; i < 200; ++i) {
    careledger::v1::Contact* contact = contacts->add_items();
    contact->set_name(std::string(250, 'n'));
    contact->set_relationship(std::string(250, 'r'));
  }
  RefusedOnce(big, "update_plan_section.value: at most 65536 bytes");
}

TEST_F(InputRulesTest, DatesAreCalendarDatesInPlausibleRanges) {
  careledger::v1::PlanSectionValue value;
  careledger::v1::Date* born = value.mutable_demographics()->mutable_date_of_birth();
  value.mutable_demographics()->set_given_name("Ada");
  born->set_year(2026), born->set_month(2), born->set_day(30);
  RefusedOnce(LedgerWorld::Update(world_.actors().gp, value),
              "update_plan_section.value.demographics.date_of_birth: 2026-02-30 is not a "
              "calendar date");
  born->set_year(2999), born->set_month(1), born->set_day(1);
  RefusedOnce(LedgerWorld::Update(world_.actors().gp, value), "not a plausible date");
  born->set_year(2026), born->set_month(6), born->set_day(16);  // tomorrow
  RefusedOnce(LedgerWorld::Update(world_.actors().gp, value),
              "date_of_birth: 2026-06-16 is in the future");
  born->set_year(1879), born->set_month(12), born->set_day(31);
  RefusedOnce(LedgerWorld::Update(world_.actors().gp, value), "not a plausible date");
  born->set_year(1936), born->set_month(4), born->set_day(2);
  // A consent given tomorrow.
  Command start = world_.StartPlan(world_.actors().care_home_admin, "9990000026");
  careledger::v1::Date* obtained =
      start.mutable_start_plan()->mutable_consent()->mutable_obtained_on();
  obtained->set_year(2026), obtained->set_month(6), obtained->set_day(16);
  RefusedOnce(start, "start_plan.consent.obtained_on: 2026-06-16 is in the future");
}

TEST_F(InputRulesTest, UnknownEnumValuesAreRefusedNamingTheField) {
  careledger::v1::PlanSectionValue value;
  value.mutable_clinical()->set_ceiling_of_treatment(
      static_cast<careledger::v1::TreatmentCeiling>(77));
  RefusedOnce(LedgerWorld::Update(world_.actors().gp, value),
              "update_plan_section.value.clinical.ceiling_of_treatment: 77 is not a value of "
              "TreatmentCeiling");
  Command view = LedgerWorld::View(world_.actors().ambulance);
  view.mutable_view_plan()->set_view(static_cast<careledger::v1::PlanView>(9));
  RefusedOnce(view, "view_plan.view: 9 is not a value of PlanView");
  Command role = LedgerWorld::View(world_.actors().ambulance);
  role.mutable_actor()->set_role(static_cast<careledger::v1::Role>(1234));
  const Event refusal = RefusedOnce(role, "actor.role: 1234 is not a value of Role");
  EXPECT_EQ(refusal.actor().role(), careledger::v1::ROLE_UNSPECIFIED);
}

}  // namespace
}  // namespace careledger::ledger
