// careledger demo: the main job on the embedded default. Initialises a ledger
// (if the data directory has none), registers the sample directory, runs the
// care homes guide's scenario for a fresh synthetic resident as signed
// events (refusals included), projects them, verifies the log, and shows the
// resident's history: who did what, and what each reader was shown.
#include <fmt/format.h>

#include <filesystem>
#include <iostream>

#include "absl/time/clock.h"
#include "events/format.h"
#include "events/ids.h"
#include "events/parallel.h"
#include "ledger/dates.h"
#include "ledger/log_scan.h"
#include "projections/plan_queries.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/ledger_init.h"
#include "tools/output.h"
#include "tools/plan_view.h"
#include "tools/projection_session.h"
#include "tools/sample_world.h"
#include "tools/synthetic.h"

namespace careledger::tools {
namespace {

using careledger::v1::Command;
using careledger::v1::CommandResult;

// One line per scenario step: what happened, and for reads what was shown.
void PrintStep(std::size_t n, const ScenarioStep& step, const CommandResult& result) {
  std::string outcome = careledger::v1::Outcome_Name(result.outcome()).substr(8);
  if (result.has_view()) {
    outcome += fmt::format(": shown version {} (content {})", result.view().version(),
                           ShortHash(result.view().content_hash()));
  }
  std::cout << fmt::format("   {:>2}. {}\n       -> {}\n", n, step.what, outcome);
  if (result.outcome() == careledger::v1::OUTCOME_REJECTED) {
    std::cout << fmt::format("          \"{}\" (the attempt is recorded)\n", result.error());
  }
}

// The demo's ledger: the one in --data if it was initialised, else a new one
// (the demo says which). An initialised directory whose log is missing or
// damaged is an error here as everywhere: nothing is recreated.
absl::StatusOr<std::unique_ptr<ledger::Log>> DemoLedger(const Context& context) {
  if (std::filesystem::exists(context.KeysDir() + "/keyring.json")) {
    std::cout << fmt::format("1. Using the ledger in {}\n", context.options().data_dir);
    return context.OpenLog();
  }
  absl::StatusOr<InitializedLedger> created = InitializeLedger(context);
  if (!created.ok()) return created.status();
  std::cout << fmt::format("1. Created a ledger in {} with signing key {}\n",
                           context.options().data_dir, created->key_id);
  return std::move(created->log);
}

// Registers the directory and runs the scenario; FAILED_PRECONDITION when a
// step's outcome is not the expected one.
absl::Status RunScenario(ledger::Writer& writer, const std::string& nhs_number) {
  const absl::CivilDay today = ledger::Today(absl::Now());
  std::size_t directory_applied = 0;
  for (const auto& result : writer.SubmitAll(SampleDirectoryCommands(today))) {
    if (!result.ok()) return result.status();
    if (result->outcome() == careledger::v1::OUTCOME_REJECTED) {
      return absl::FailedPreconditionError(
          fmt::format("registering the sample directory was refused: {}", result->error()));
    }
    if (result->outcome() == careledger::v1::OUTCOME_APPLIED) ++directory_applied;
  }
  std::cout << fmt::format(
      "2. Sample directory: {} organisations, users and devices newly registered (care home, GP, "
      "ambulance service, NHS 111, CMC team)\n",
      directory_applied);
  std::cout << fmt::format("3. The care homes guide's scenario for resident {}:\n", nhs_number);
  const std::vector<ScenarioStep> steps = CareHomeScenario(nhs_number, today);
  for (std::size_t i = 0; i < steps.size(); ++i) {
    absl::StatusOr<CommandResult> result = writer.Submit(steps[i].command);
    if (!result.ok()) return result.status();
    PrintStep(i + 1, steps[i], *result);
    if (result->outcome() != steps[i].expected) {
      return absl::FailedPreconditionError(fmt::format(
          "step {} ended {}, expected {}", i + 1, careledger::v1::Outcome_Name(result->outcome()),
          careledger::v1::Outcome_Name(steps[i].expected)));
    }
  }
  return writer.Checkpoint();
}

absl::Status Verify(const Context& context, ledger::Log& log, const ledger::KeyStore& keys) {
  absl::StatusOr<std::unique_ptr<ledger::LogReader>> reader = log.OpenReader();
  if (!reader.ok()) return reader.status();
  absl::StatusOr<ledger::ScanReport> scan =
      ledger::ScanLog(**reader, &keys.keyring(), events::HardwareThreads(), nullptr);
  if (!scan.ok()) return scan.status();
  if (!scan->stops.empty()) return absl::DataLossError(scan->stops.front().Describe());
  std::cout << fmt::format(
      "5. Verified all {} records of {}: signatures, key windows, hash chains, sequences and "
      "{} checkpoints\n",
      scan->records, log.Describe(), scan->checkpoints);
  (void)context;
  return absl::OkStatus();
}

// The auditor reads the resident's history: recorded like every read.
absl::Status ShowHistory(ledger::Writer& writer, ProjectionSession& session,
                         const std::string& nhs_number) {
  Command read = NewCommandAs(SampleWorldActors().auditor);
  read.mutable_view_plan()->set_nhs_number(nhs_number);
  read.mutable_view_plan()->set_view(careledger::v1::PLAN_VIEW_HISTORY);
  absl::StatusOr<CommandResult> granted = writer.Submit(read);
  if (!granted.ok()) return granted.status();
  if (granted->outcome() != careledger::v1::OUTCOME_APPLIED) {
    return absl::FailedPreconditionError(granted->error());
  }
  if (absl::StatusOr<projections::ProjectionReport> report = session.projector().CatchUp();
      !report.ok()) {
    return report.status();
  }
  absl::StatusOr<std::vector<careledger::v1::HistoryEntry>> history =
      projections::PlanQueries(&session.store()).ListHistory(nhs_number);
  if (!history.ok()) return history.status();
  std::cout << fmt::format(
      "6. The resident's history, read by the CMC auditor (recorded as {} seq {}):\n",
      granted->stream_id(), granted->stream_seq());
  PrintHistory(*history, std::cout);
  return absl::OkStatus();
}

int RunDemo(const Context& context, const DemoServiceStep& service_step) {
  absl::StatusOr<std::unique_ptr<ledger::Log>> log = DemoLedger(context);
  if (!log.ok()) return ReportError(log.status(), context.json());
  absl::StatusOr<std::unique_ptr<ledger::Writer>> writer = context.OpenWriter(log->get());
  if (!writer.ok()) return ReportError(writer.status(), context.json());

  // A fresh synthetic resident each run, so the demo can run again on the
  // same ledger and still tell the whole story.
  const std::string resident =
      SyntheticNhsNumber(1 + std::hash<std::string>{}(events::RandomUuid()) % 400'000);
  if (absl::Status ran = RunScenario(**writer, resident); !ran.ok()) {
    return ReportError(ran, context.json());
  }

  ProjectionSessionOptions projection_options;
  projection_options.log = log->get();
  absl::StatusOr<std::unique_ptr<ProjectionSession>> session =
      ProjectionSession::Open(context, projection_options);
  if (!session.ok()) return ReportError(session.status(), context.json());
  absl::StatusOr<projections::ProjectionReport> report = (*session)->projector().CatchUp();
  if (!report.ok()) return ReportError(report.status(), context.json());
  if (!report->stops.empty()) {
    std::cout << "INTEGRITY FAILURE: " << report->stops.front().reason << "\n";
    return kExitIntegrity;
  }
  std::cout << fmt::format("4. Projected {} records into {}\n", report->records_applied,
                           context.ProjectionDir());
  absl::StatusOr<ledger::KeyStore> keys = context.OpenKeys();
  if (!keys.ok()) return ReportError(keys.status(), context.json());
  if (absl::Status verified = Verify(context, **log, *keys); !verified.ok()) {
    std::cout << "INTEGRITY FAILURE: " << verified.message() << "\n";
    return kExitIntegrity;
  }
  if (absl::Status shown = ShowHistory(**writer, **session, resident); !shown.ok()) {
    return ReportError(shown, context.json());
  }
  if (service_step) {
    // The service opens the log and its writer itself.
    session->reset();
    writer->reset();
    log->reset();
    if (absl::Status served = service_step(context, resident); !served.ok()) {
      return ReportError(served, context.json());
    }
  }

  const std::string data = context.options().data_dir;
  std::cout << fmt::format(
      "\nTry next (users from `careledger directory sample`):\n"
      "  careledger --data {0} plan show --nhs {1} --as-user crew.lee --as-role urgent-care "
      "--as-org AMB001 --as-device dev-AMB001\n"
      "  careledger --data {0} plan show --nhs {1} --view history --as-user auditor.cmc "
      "--as-role auditor --as-org CMC001 --as-device dev-CMC001\n"
      "  careledger --data {0} worklist --org {2}\n"
      "  careledger --data {0} serve   # the HTTPS service (docs/service.md); then, as the crew:\n"
      "    TOKEN=$(careledger --data {0} token --user crew.lee)\n"
      "    careledger --data {0} directory issue-cert --device dev-AMB001 --out certs\n"
      "    curl --cacert certs/ca.crt --cert certs/dev-AMB001.crt --key certs/dev-AMB001.key \\\n"
      "      -H \"Authorization: Bearer $TOKEN\" \\\n"
      "      'https://127.0.0.1:8443/v1/patients/{1}/plan?purpose=urgent%20care%20advice'\n"
      "  careledger --data {0} verify && careledger --data {0} project --rebuild --fingerprint\n"
      "  careledger --data {0} log export --out log.jsonl   # every record, exactly as stored\n"
      "  careledger bench append && careledger bench project && careledger bench serve\n"
      "  careledger --help   (every command has --help; add --json for programs)\n",
      data, resident, kCareHomeOds);
  return kExitOk;
}

}  // namespace

void RegisterDemo(CLI::App& app, Runner* run, DemoServiceStep service_step) {
  CLI::App* demo = app.add_subcommand(
      "demo",
      "Initialise a ledger if needed, run the care homes guide's scenario as signed events, "
      "project them, verify the log and show the resident's history");
  demo->callback([run, service_step = std::move(service_step)] {
    *run = [service_step](const Context& context) { return RunDemo(context, service_step); };
  });
}

}  // namespace careledger::tools
