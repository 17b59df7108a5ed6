// careledger demo: the main job on the embedded default. Initialises a ledger
// (if the data directory has none), writes a small set of signed plan events,
// projects them, verifies the log and says what to try next.
#include <fmt/format.h>

#include <filesystem>
#include <iostream>

#include "events/format.h"
#include "events/ids.h"
#include "events/parallel.h"
#include "ledger/log_scan.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/output.h"
#include "tools/plan_view.h"
#include "tools/projection_session.h"
#include "tools/synthetic.h"

namespace careledger::tools {
namespace {

using careledger::v1::Command;

Command NewCommand(const std::string& user, careledger::v1::Role role, const std::string& org) {
  Command command;
  command.set_command_id(events::RandomUuid());
  command.mutable_actor()->set_user_id(user);
  command.mutable_actor()->set_role(role);
  command.mutable_actor()->set_organisation(org);
  command.mutable_actor()->set_device_id("demo-device-1");
  command.mutable_actor()->set_network_address("127.0.0.1");
  return command;
}

careledger::v1::Date Day(int year, int month, int day) {
  careledger::v1::Date date;
  date.set_year(year);
  date.set_month(month);
  date.set_day(day);
  return date;
}

// A care home's administrator starts a resident's plan and fills in what
// they know; the GP completes the clinical parts and publishes it; later the
// GP edits it (a working draft) and publishes version 2.
std::vector<Command> CareHomeScenario(const std::string& nhs_number) {
  const std::string home = "VM123";       // the care home
  const std::string practice = "Y01234";  // the GP practice
  std::vector<Command> commands;

  Command start = NewCommand("carer.ana", careledger::v1::ROLE_ADMINISTRATOR, home);
  start.mutable_start_plan()->set_nhs_number(nhs_number);
  careledger::v1::Consent* consent = start.mutable_start_plan()->mutable_consent();
  consent->set_basis(careledger::v1::CONSENT_BASIS_PATIENT);
  consent->set_discussion("Discussed with the resident and her daughter in her room");
  *consent->mutable_obtained_on() = Day(2026, 11, 20);
  commands.push_back(start);

  Command demographics = NewCommand("carer.ana", careledger::v1::ROLE_ADMINISTRATOR, home);
  demographics.mutable_update_plan_section()->set_nhs_number(nhs_number);
  careledger::v1::Demographics* person =
      demographics.mutable_update_plan_section()->mutable_value()->mutable_demographics();
  person->set_given_name("Edith");
  person->set_family_name("Synthetic");
  person->set_nhs_number(nhs_number);
  person->set_gender("female");
  *person->mutable_date_of_birth() = Day(1934, 3, 2);
  person->set_address("Room 4, Example Care Home, London");
  person->set_postcode("SE1 7EH");
  person->set_gp_practice_ods(practice);
  person->set_gp_name("Dr A Example");
  commands.push_back(demographics);

  Command wishes = NewCommand("carer.ana", careledger::v1::ROLE_ADMINISTRATOR, home);
  wishes.mutable_update_plan_section()->set_nhs_number(nhs_number);
  careledger::v1::Preferences* preferences =
      wishes.mutable_update_plan_section()->mutable_value()->mutable_preferences();
  preferences->mutable_place_of_care()->set_first_preference("Care home");
  preferences->mutable_place_of_death()->set_first_preference("Care home");
  preferences->mutable_place_of_death()->set_second_preference("Hospice");
  commands.push_back(wishes);

  Command cpr = NewCommand("dr.example", careledger::v1::ROLE_CLINICIAN, practice);
  cpr.mutable_update_plan_section()->set_nhs_number(nhs_number);
  careledger::v1::Resuscitation* resuscitation =
      cpr.mutable_update_plan_section()->mutable_value()->mutable_resuscitation();
  resuscitation->set_discussed(true);
  resuscitation->set_decision("not for CPR");
  resuscitation->set_summary("Discussed with resident and daughter; agreed");
  commands.push_back(cpr);

  commands.push_back(NewCommand("dr.example", careledger::v1::ROLE_CLINICIAN, practice));
  commands.back().mutable_approve_plan()->set_nhs_number(nhs_number);

  Command edit = NewCommand("dr.example", careledger::v1::ROLE_CLINICIAN, practice);
  edit.mutable_update_plan_section()->set_nhs_number(nhs_number);
  careledger::v1::ClinicalRecommendations* clinical =
      edit.mutable_update_plan_section()->mutable_value()->mutable_clinical();
  clinical->set_main_diagnosis("Advanced dementia; heart failure");
  clinical->set_ceiling_of_treatment("Treat in the care home; avoid hospital admission");
  clinical->set_recommendations("Oral antibiotics for infection; keep comfortable");
  commands.push_back(edit);

  commands.push_back(NewCommand("dr.example", careledger::v1::ROLE_CLINICIAN, practice));
  commands.back().mutable_approve_plan()->set_nhs_number(nhs_number);
  return commands;
}

int RunDemo(const Context& context) {
  const GlobalOptions& options = context.options();
  if (!std::filesystem::exists(context.KeysDir() + "/keyring.json")) {
    absl::StatusOr<ledger::KeyStore> created =
        ledger::KeyStore::Create(context.KeysDir(), absl::Now());
    if (!created.ok()) return ReportError(created.status(), context.json());
    std::cout << fmt::format("1. Created a ledger in {} with signing key {}\n", options.data_dir,
                             created->Active(absl::Now())->key_id);
  } else {
    std::cout << fmt::format("1. Using the ledger in {}\n", options.data_dir);
  }
  absl::StatusOr<ledger::KeyStore> keys = context.OpenKeys();
  if (!keys.ok()) return ReportError(keys.status(), context.json());
  absl::StatusOr<std::unique_ptr<ledger::Log>> log = context.OpenLog();
  if (!log.ok()) return ReportError(log.status(), context.json());

  // 2. Write: two residents' plans, and one refused command.
  // Fresh synthetic patients each run, so the demo can run again on the same
  // ledger and still tell the whole story.
  const std::size_t seed = std::hash<std::string>{}(events::RandomUuid()) % 400'000;
  const std::string first = SyntheticNhsNumber(seed), second = SyntheticNhsNumber(seed + 1);
  std::vector<Command> commands = CareHomeScenario(first);
  for (Command& command : CareHomeScenario(second)) commands.push_back(std::move(command));
  Command refused = NewCommand("carer.ana", careledger::v1::ROLE_ADMINISTRATOR, "VM123");
  refused.mutable_approve_plan()->set_nhs_number(second);
  commands.push_back(refused);
  std::size_t applied = 0, rejected = 0;
  {
    absl::StatusOr<std::unique_ptr<ledger::Writer>> writer = context.OpenWriter(log->get());
    if (!writer.ok()) return ReportError(writer.status(), context.json());
    for (const auto& result : (*writer)->SubmitAll(commands)) {
      if (!result.ok()) return ReportError(result.status(), context.json());
      if (result->outcome() == careledger::v1::OUTCOME_APPLIED) ++applied;
      if (result->outcome() == careledger::v1::OUTCOME_REJECTED) {
        ++rejected;
        std::cout << "   refused, as it should be: " << result->error() << "\n";
      }
    }
    if (absl::Status checkpointed = (*writer)->Checkpoint(); !checkpointed.ok()) {
      return ReportError(checkpointed, context.json());
    }
  }
  std::cout << fmt::format(
      "2. Wrote {} signed plan events for patients {} and {} ({} refused, nothing appended "
      "for it), then a checkpoint per partition\n",
      applied, first, second, rejected);

  // 3. Project.
  ProjectionSessionOptions projection_options;
  projection_options.log = log->get();
  absl::StatusOr<std::unique_ptr<ProjectionSession>> session =
      ProjectionSession::Open(context, projection_options);
  if (!session.ok()) return ReportError(session.status(), context.json());
  {
    absl::StatusOr<projections::ProjectionReport> report = (*session)->projector().CatchUp();
    if (!report.ok()) return ReportError(report.status(), context.json());
    if (!report->stops.empty()) {
      std::cout << "INTEGRITY FAILURE: " << report->stops.front().reason << "\n";
      return kExitIntegrity;
    }
    std::cout << fmt::format("3. Projected {} records into {}\n", report->records_applied,
                             context.ProjectionDir());
  }

  // 4. Verify.
  absl::StatusOr<std::unique_ptr<ledger::LogReader>> verify_reader = (*log)->OpenReader();
  if (!verify_reader.ok()) return ReportError(verify_reader.status(), context.json());
  absl::StatusOr<ledger::ScanReport> scan =
      ledger::ScanLog(**verify_reader, &keys->keyring(), events::HardwareThreads(), nullptr);
  if (!scan.ok()) return ReportError(scan.status(), context.json());
  if (!scan->stops.empty()) {
    std::cout << "INTEGRITY FAILURE: " << scan->stops.front().Describe() << "\n";
    return kExitIntegrity;
  }
  std::cout << fmt::format(
      "4. Verified all {} records of {}: signatures, key windows, hash chains, sequences and "
      "{} checkpoints\n",
      scan->records, (*log)->Describe(), scan->checkpoints);

  // 5. Show.
  std::cout << "5. The current plan of patient " << first << ":\n";
  if (absl::Status shown = PrintPlan((*session)->store(), first, std::cout); !shown.ok()) {
    return ReportError(shown, context.json());
  }

  const std::string data = options.data_dir;
  std::cout << fmt::format(
      "\nTry next:\n"
      "  careledger --data {0} plan show --nhs {1}\n"
      "  careledger --data {0} plan update --nhs {1} --user dr.example --org Y01234 \\\n"
      "      --section allergies --value '{{\"no_known_allergies\": true, \"source\": \"GP "
      "record\"}}'\n"
      "  careledger --data {0} plan approve --nhs {1} --user dr.example --org Y01234\n"
      "  careledger --data {0} project && careledger --data {0} verify\n"
      "  careledger --data {0} log export --out log.jsonl   # every record, exactly as stored\n"
      "  careledger --data {0} keys export                   # the public keyring for verifiers\n"
      "  careledger bench append && careledger bench project\n"
      "  careledger --help   (every command has --help; add --json for programs)\n",
      data, first);
  return kExitOk;
}

}  // namespace

void RegisterDemo(CLI::App& app, Runner* run) {
  CLI::App* demo = app.add_subcommand(
      "demo",
      "Initialise a ledger if needed, write a small care-home scenario as signed events, "
      "project it, verify the log and show what to try next");
  demo->callback([run] { *run = RunDemo; });
}

}  // namespace careledger::tools
