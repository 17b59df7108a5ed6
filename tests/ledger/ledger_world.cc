#include "tests/ledger/ledger_world.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>

#include "events/envelope.h"
#include "events/plan_fold.h"
#include "events/plan_sections.h"
#include "events/time_util.h"
#include "ledger/dates.h"
#include "ledger/decide.h"
#include "ledger/directory_rules.h"
#include "ledger/nhs_number.h"

namespace careledger::testing {

using careledger::v1::Actor;
using careledger::v1::Command;
using careledger::v1::CommandResult;
using careledger::v1::Event;

absl::Time DefaultNow() {
  return absl::FromCivil(absl::CivilSecond(2026, 6, 15, 12, 0, 0), absl::UTCTimeZone());
}

std::string NextCommandId() {
  static std::atomic<int> next{0};
  return fmt::format("test-command-{}", ++next);
}

ledger::Directory SampleDirectory(absl::Time now) {
  ledger::Directory directory;
  for (const Command& command : tools::SampleDirectoryCommands(ledger::Today(now))) {
    auto events = ledger::DecideDirectoryCommand(directory, command, now);
    EXPECT_THAT(events, IsOk()) << command.command_id();
    if (!events.ok()) continue;
    for (Event& event : *events) {
      *event.mutable_recorded_at() = events::ToTimestamp(now);
      *event.mutable_actor() = command.actor();
      directory.Apply(event);
    }
  }
  return directory;
}

careledger::v1::CarePlan CompletePlan(const std::string& nhs_number, absl::CivilDay today) {
  careledger::v1::CarePlan plan;
  *plan.mutable_consent() = tools::SampleConsent(today);
  for (const careledger::v1::PlanSectionValue& section :
       tools::CompletePlanSections(nhs_number, today)) {
    EXPECT_THAT(events::SetSection(section, &plan), IsOk());
  }
  return plan;
}

LedgerWorld::LedgerWorld(absl::Time now)
    : signer_(std::make_shared<const TestSigner>(MakeTestSigner())),
      clock_(std::make_unique<ledger::ManualClock>(now)),
      log_(std::make_unique<MemoryLog>(4)),
      actors_(tools::SampleWorldActors()),
      registered_on_(ledger::Today(now)) {
  WriteTestGenesis(*log_, *signer_);
  OpenWriter();
  if (writer_ == nullptr) return;
  for (const auto& result : writer_->SubmitAll(tools::SampleDirectoryCommands(registered_on_))) {
    EXPECT_THAT(result, IsOk());
    if (result.ok()) {
      EXPECT_EQ(result->outcome(), careledger::v1::OUTCOME_APPLIED) << result->error();
    }
  }
}

LedgerWorld::LedgerWorld(std::unique_ptr<MemoryLog> log, absl::Time now)
    : clock_(std::make_unique<ledger::ManualClock>(now)),
      log_(std::move(log)),
      actors_(tools::SampleWorldActors()),
      registered_on_(ledger::Today(now)) {}

LedgerWorld::~LedgerWorld() { writer_.reset(); }

std::unique_ptr<LedgerWorld> LedgerWorld::Empty(absl::Time now) {
  std::unique_ptr<LedgerWorld> world(new LedgerWorld(std::make_unique<MemoryLog>(4), now));
  world->signer_ = std::make_shared<const TestSigner>(MakeTestSigner());
  WriteTestGenesis(*world->log_, *world->signer_);  // initialised, nothing else
  world->OpenWriter();
  return world;
}

std::unique_ptr<LedgerWorld> LedgerWorld::Clone() const {
  std::unique_ptr<LedgerWorld> copy(new LedgerWorld(log_->Clone(), clock_->Now()));
  copy->signer_ = signer_;
  copy->registered_on_ = registered_on_;
  copy->OpenWriter();
  return copy;
}

absl::CivilDay LedgerWorld::today() const { return ledger::Today(clock_->Now()); }

void LedgerWorld::OpenWriter() {
  ledger::WriterOptions options;
  options.key_id = signer_->key_id;
  options.signing_key = signer_->key;
  options.clock = clock_.get();
  options.sign_threads = 1;
  options.checkpoint_every = 0;
  options.checkpoint_interval = std::chrono::milliseconds(0);
  options.data_keys = data_keys_;
  auto writer = ledger::Writer::Open(log_.get(), std::move(options));
  ASSERT_THAT(writer, IsOk());
  writer_ = *std::move(writer);
}

void LedgerWorld::UseDataKeys(std::shared_ptr<ledger::DataKeyStore> keys) {
  data_keys_ = std::move(keys);
  Restart();
}

void LedgerWorld::Restart() {
  writer_.reset();
  OpenWriter();
}

CommandResult LedgerWorld::Submit(const Command& command) {
  if (writer_ == nullptr) {
    ADD_FAILURE() << "no writer";
    return CommandResult();
  }
  absl::StatusOr<CommandResult> result = writer_->Submit(command);
  EXPECT_THAT(result, IsOk()) << command.DebugString();
  return result.ok() ? *result : CommandResult();
}

CommandResult LedgerWorld::Apply(const Command& command) {
  CommandResult result = Submit(command);
  EXPECT_EQ(result.outcome(), careledger::v1::OUTCOME_APPLIED) << result.error() << "\n"
                                                               << command.DebugString();
  return result;
}

CommandResult LedgerWorld::Reject(const Command& command, const std::string& reason_part) {
  CommandResult result = Submit(command);
  EXPECT_EQ(result.outcome(), careledger::v1::OUTCOME_REJECTED) << command.DebugString();
  EXPECT_NE(result.error().find(reason_part), std::string::npos)
      << "reason \"" << result.error() << "\" does not contain \"" << reason_part << "\"";
  return result;
}

std::vector<Event> LedgerWorld::Events() const {
  std::vector<Event> out;
  for (const events::LogRecord& record : log_->Records()) {
    absl::StatusOr<events::OpenedRecord> opened = events::OpenRecord(record.key, record.value);
    EXPECT_THAT(opened, IsOk());
    if (opened.ok()) out.push_back(std::move(opened->event));
  }
  return out;
}

std::vector<Event> LedgerWorld::StreamEvents(const std::string& stream) const {
  std::vector<Event> out;
  for (Event& event : Events()) {
    if (event.stream_id() == stream) out.push_back(std::move(event));
  }
  std::sort(out.begin(), out.end(),
            [](const Event& a, const Event& b) { return a.stream_seq() < b.stream_seq(); });
  return out;
}

careledger::v1::AccessRecorded LedgerWorld::LastAccess() const {
  const std::vector<Event> events = StreamEvents(ledger::AccessStream("0"));
  if (events.empty()) {
    ADD_FAILURE() << "no access record";
    return {};
  }
  return events.back().access_recorded();
}

std::vector<std::int64_t> LedgerWorld::Mark() const {
  std::vector<std::int64_t> ends(static_cast<std::size_t>(log_->partition_count()), 0);
  for (const events::LogRecord& record : log_->Records()) {
    ends[static_cast<std::size_t>(record.partition)] = record.offset + 1;
  }
  return ends;
}

std::vector<Event> LedgerWorld::EventsSince(const std::vector<std::int64_t>& mark) const {
  std::vector<Event> out;
  for (const events::LogRecord& record : log_->Records()) {
    if (record.offset < mark[static_cast<std::size_t>(record.partition)]) continue;
    absl::StatusOr<events::OpenedRecord> opened = events::OpenRecord(record.key, record.value);
    EXPECT_THAT(opened, IsOk());
    if (opened.ok()) out.push_back(std::move(opened->event));
  }
  return out;
}

careledger::v1::PlanState LedgerWorld::Plan(const std::string& nhs_number) const {
  careledger::v1::PlanState state;
  for (const Event& event : StreamEvents(ledger::PatientStream(nhs_number))) {
    EXPECT_THAT(events::FoldPlanEvent(event, &state), IsOk()) << event.DebugString();
  }
  return state;
}

Command LedgerWorld::As(const Actor& actor) {
  Command command;
  command.set_command_id(NextCommandId());
  *command.mutable_actor() = actor;
  return command;
}

Command LedgerWorld::StartPlan(const Actor& actor, const std::string& nhs) const {
  Command command = As(actor);
  command.mutable_start_plan()->set_nhs_number(nhs);
  *command.mutable_start_plan()->mutable_consent() = tools::SampleConsent(today());
  return command;
}

Command LedgerWorld::Update(const Actor& actor, const careledger::v1::PlanSectionValue& value,
                            const std::string& nhs) {
  Command command = As(actor);
  command.mutable_update_plan_section()->set_nhs_number(nhs);
  *command.mutable_update_plan_section()->mutable_value() = value;
  return command;
}

Command LedgerWorld::SubmitTo(const Actor& actor, const std::string& to_user,
                              const std::string& to_org, const std::string& nhs) {
  Command command = As(actor);
  command.mutable_submit_plan()->set_nhs_number(nhs);
  command.mutable_submit_plan()->set_to_user(to_user);
  command.mutable_submit_plan()->set_to_organisation(to_org);
  command.mutable_submit_plan()->set_note("ready for clinical approval");
  return command;
}

Command LedgerWorld::Approve(const Actor& actor, const std::string& nhs) {
  Command command = As(actor);
  command.mutable_approve_plan()->set_nhs_number(nhs);
  return command;
}

Command LedgerWorld::Discard(const Actor& actor, const std::string& nhs) {
  Command command = As(actor);
  command.mutable_discard_draft()->set_nhs_number(nhs);
  command.mutable_discard_draft()->set_reason("changes no longer needed");
  return command;
}

Command LedgerWorld::Review(const Actor& actor, const careledger::v1::Date* next,
                            const std::string& nhs) {
  Command command = As(actor);
  command.mutable_review_plan()->set_nhs_number(nhs);
  if (next != nullptr) *command.mutable_review_plan()->mutable_next_review_on() = *next;
  command.mutable_review_plan()->set_note("reviewed with the resident");
  return command;
}

Command LedgerWorld::Death(const Actor& actor, const careledger::v1::Date& died_on,
                           const std::string& place, const std::string& nhs) {
  Command command = As(actor);
  command.mutable_record_death()->set_nhs_number(nhs);
  *command.mutable_record_death()->mutable_died_on() = died_on;
  command.mutable_record_death()->set_place(place);
  return command;
}

Command LedgerWorld::Withdraw(const Actor& actor, const std::string& nhs) {
  Command command = As(actor);
  command.mutable_withdraw_consent()->set_nhs_number(nhs);
  command.mutable_withdraw_consent()->set_note("the patient withdrew consent");
  return command;
}

Command LedgerWorld::Restrict(const Actor& actor, const std::vector<std::string>& allowed,
                              const std::string& nhs) {
  Command command = As(actor);
  command.mutable_restrict_plan()->set_nhs_number(nhs);
  for (const std::string& user : allowed) command.mutable_restrict_plan()->add_allowed_users(user);
  command.mutable_restrict_plan()->set_reason("safeguarding concern");
  return command;
}

Command LedgerWorld::Lift(const Actor& actor, const std::string& nhs) {
  Command command = As(actor);
  command.mutable_lift_restriction()->set_nhs_number(nhs);
  command.mutable_lift_restriction()->set_reason("concern resolved");
  return command;
}

Command LedgerWorld::Note(const Actor& actor, const std::string& text, const std::string& nhs) {
  Command command = As(actor);
  command.mutable_add_urgent_care_note()->set_nhs_number(nhs);
  command.mutable_add_urgent_care_note()->set_text(text);
  return command;
}

Command LedgerWorld::Request(const Actor& actor, careledger::v1::PatientRequestKind kind,
                             const std::string& nhs) {
  Command command = As(actor);
  command.mutable_make_patient_request()->set_nhs_number(nhs);
  command.mutable_make_patient_request()->set_kind(kind);
  command.mutable_make_patient_request()->set_text("Please add that I would like my dog nearby");
  return command;
}

Command LedgerWorld::Resolve(const Actor& actor, const std::string& request_id,
                             careledger::v1::RequestResolution resolution, const std::string& nhs) {
  Command command = As(actor);
  command.mutable_resolve_patient_request()->set_nhs_number(nhs);
  command.mutable_resolve_patient_request()->set_request_id(request_id);
  command.mutable_resolve_patient_request()->set_resolution(resolution);
  command.mutable_resolve_patient_request()->set_note("done at the review");
  return command;
}

Command LedgerWorld::View(const Actor& actor, careledger::v1::PlanView view,
                          const std::string& break_glass_reason, const std::string& nhs) {
  Command command = As(actor);
  command.mutable_view_plan()->set_nhs_number(nhs);
  command.mutable_view_plan()->set_view(view);
  command.mutable_view_plan()->set_break_glass_reason(break_glass_reason);
  return command;
}

Command LedgerWorld::RecordUser(const careledger::v1::User& user) const {
  Command command = As(actors_.auditor);
  *command.mutable_record_user()->mutable_user() = user;
  return command;
}

Command LedgerWorld::RecordOrganisation(const careledger::v1::Organisation& org) const {
  Command command = As(actors_.auditor);
  *command.mutable_record_organisation()->mutable_organisation() = org;
  return command;
}

Command LedgerWorld::RecordDevice(const careledger::v1::Device& device) const {
  Command command = As(actors_.auditor);
  *command.mutable_record_device()->mutable_device() = device;
  return command;
}

Command LedgerWorld::ChangeStatus(const std::string& user_id,
                                  careledger::v1::UserStatus status) const {
  Command command = As(actors_.auditor);
  command.mutable_change_user_status()->set_user_id(user_id);
  command.mutable_change_user_status()->set_status(status);
  command.mutable_change_user_status()->set_reason("test");
  return command;
}

careledger::v1::User LedgerWorld::SampleUser(const std::string& user_id) const {
  for (const Command& command : tools::SampleDirectoryCommands(registered_on_)) {
    if (command.has_record_user() && command.record_user().user().user_id() == user_id) {
      return command.record_user().user();
    }
  }
  ADD_FAILURE() << "no sample user " << user_id;
  return {};
}

careledger::v1::Organisation LedgerWorld::SampleOrganisation(const std::string& ods) const {
  for (const Command& command : tools::SampleDirectoryCommands(registered_on_)) {
    if (command.has_record_organisation() &&
        command.record_organisation().organisation().ods_code() == ods) {
      return command.record_organisation().organisation();
    }
  }
  ADD_FAILURE() << "no sample organisation " << ods;
  return {};
}

careledger::v1::Device LedgerWorld::SampleDevice(const std::string& device_id) const {
  for (const Command& command : tools::SampleDirectoryCommands(registered_on_)) {
    if (command.has_record_device() && command.record_device().device().device_id() == device_id) {
      return command.record_device().device();
    }
  }
  ADD_FAILURE() << "no sample device " << device_id;
  return {};
}

void LedgerWorld::DraftSamplePlan(const std::string& nhs) {
  Apply(StartPlan(actors_.care_home_admin, nhs));
  for (const careledger::v1::PlanSectionValue& section :
       tools::CompletePlanSections(nhs, today())) {
    Apply(Update(actors_.care_home_admin, section, nhs));
  }
}

void LedgerWorld::PublishSamplePlan(const std::string& nhs) {
  DraftSamplePlan(nhs);
  Apply(Approve(actors_.gp, nhs));
}

}  // namespace careledger::testing
