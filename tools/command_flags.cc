#include "tools/command_flags.h"

#include <fmt/format.h>

#include <iostream>
#include <map>

#include "events/format.h"
#include "events/ids.h"
#include "tools/exit_codes.h"
#include "tools/output.h"

namespace careledger::tools {

careledger::v1::Role ParseRole(const std::string& name) {
  static const std::map<std::string, careledger::v1::Role> kRoles = {
      {"clinician", careledger::v1::ROLE_CLINICIAN},
      {"administrator", careledger::v1::ROLE_ADMINISTRATOR},
      {"urgent-care", careledger::v1::ROLE_URGENT_CARE},
      {"patient", careledger::v1::ROLE_PATIENT},
      {"proxy-viewer", careledger::v1::ROLE_PROXY_VIEWER},
      {"auditor", careledger::v1::ROLE_AUDITOR},
      {"cmc-team", careledger::v1::ROLE_AUDITOR},
      {"system", careledger::v1::ROLE_SYSTEM},
  };
  auto it = kRoles.find(name);
  return it == kRoles.end() ? careledger::v1::ROLE_UNSPECIFIED : it->second;
}

void ActorFlags::Register(CLI::App* command) {
  CLI::Option* user = command->add_option("--as-user", user_id, "Acting user id (as registered)");
  if (user_id.empty()) user->required();
  command->add_option("--as-role", role, "Acting user's role")
      ->check(CLI::IsMember({"clinician", "administrator", "urgent-care", "patient", "proxy-viewer",
                             "auditor", "cmc-team", "system"}))
      ->capture_default_str();
  command->add_option("--as-org", organisation,
                      "Acting user's organisation (ODS code; not for patients and proxies)");
  command->add_option("--as-device", device_id, "Acting user's registered device id");
  command->add_option("--as-address", network_address, "Network address the request came from");
  command->add_option("--purpose", purpose, "Purpose of use");
  command->add_option("--command-id", command_id,
                      "Idempotency key: a retry with the same id is not applied twice "
                      "(default: a fresh UUID)");
  command->add_option("--expect-version", expected_version,
                      "Refuse unless the plan's stream is at this version (0 = new)");
}

careledger::v1::Command ActorFlags::NewCommand() const {
  careledger::v1::Command command;
  command.set_command_id(command_id.empty() ? events::RandomUuid() : command_id);
  careledger::v1::Actor* actor = command.mutable_actor();
  actor->set_user_id(user_id);
  actor->set_role(ParseRole(role));
  actor->set_organisation(organisation);
  actor->set_device_id(device_id);
  actor->set_network_address(network_address);
  actor->set_purpose(purpose);
  if (expected_version) command.set_expected_version(*expected_version);
  return command;
}

absl::StatusOr<CommandSubmitter> CommandSubmitter::Open(const Context& context) {
  absl::StatusOr<std::unique_ptr<ledger::Log>> log = context.OpenLog();
  if (!log.ok()) return log.status();
  absl::StatusOr<std::unique_ptr<ledger::Writer>> writer = context.OpenWriter(log->get());
  if (!writer.ok()) return writer.status();
  return CommandSubmitter(&context, *std::move(log), *std::move(writer));
}

int CommandSubmitter::Submit(const std::vector<careledger::v1::Command>& commands) {
  int exit_code = kExitOk;
  for (const auto& result : writer_->SubmitAll(commands)) {
    if (!result.ok()) {
      std::cout.flush();
      return ReportError(result.status(), context_->json());
    }
    if (result->outcome() == careledger::v1::OUTCOME_REJECTED) exit_code = kExitRejected;
    Print(*result);
  }
  std::cout.flush();
  return exit_code;
}

void CommandSubmitter::PrintUnreadable(const std::string& what) {
  careledger::v1::CommandResult result;
  result.set_outcome(careledger::v1::OUTCOME_REJECTED);
  result.set_error(what);
  Print(result);
}

void CommandSubmitter::Print(const careledger::v1::CommandResult& result) {
  if (context_->json()) {
    std::cout << ToJsonLine(result) << "\n";
  } else if (result.outcome() == careledger::v1::OUTCOME_REJECTED) {
    std::cerr << (result.command_id().empty()
                      ? fmt::format("rejected: {}\n", result.error())
                      : fmt::format("rejected ({}): {}\n", result.command_id(), result.error()));
  } else {
    std::cout << fmt::format(
        "{} {} -> {} version {} (partition {}, offset {})\n",
        result.outcome() == careledger::v1::OUTCOME_APPLIED ? "applied" : "already applied",
        result.command_id(), result.stream_id(), result.stream_seq(), result.partition(),
        result.offset());
  }
}

int SubmitAndReport(const Context& context, const std::vector<careledger::v1::Command>& commands) {
  absl::StatusOr<CommandSubmitter> submitter = CommandSubmitter::Open(context);
  if (!submitter.ok()) return ReportError(submitter.status(), context.json());
  return submitter->Submit(commands);
}

}  // namespace careledger::tools
