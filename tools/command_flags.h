// The flags every plan command shares (who acts, from where, idempotency and
// concurrency), and the one routine that submits commands and reports them.
#ifndef CARELEDGER_TOOLS_COMMAND_FLAGS_H_
#define CARELEDGER_TOOLS_COMMAND_FLAGS_H_

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "careledger/v1/commands.pb.h"
#include "tools/context.h"

namespace careledger::tools {

struct ActorFlags {
  std::string user_id;
  std::string role = "clinician";
  std::string organisation;
  std::string device_id;
  std::string network_address;
  std::string purpose;
  std::string command_id;  // default: a fresh UUID
  std::optional<std::uint64_t> expected_version;

  // Adds --as-user, --as-role, --as-org, --as-device, --as-address, --purpose,
  // --command-id and --expect-version to `command`. The --as- flags say who
  // acts: an operator's claim on this machine, which the service never takes
  // (it knows the caller from credentials); every other flag names what the
  // command is about (--user, --org, --nhs, --device: a user id, an ODS code,
  // an NHS number, a device id). --as-user is required unless `user_id`
  // already holds a default (set it, and `role`, before registering).
  void Register(CLI::App* command);
  // A command with the id, actor and expected version filled in.
  careledger::v1::Command NewCommand() const;
};

// careledger.v1.Role from "clinician", "administrator", "urgent-care", ...;
// ROLE_UNSPECIFIED when unknown.
careledger::v1::Role ParseRole(const std::string& name);

// Submits commands through one writer and prints one result per command as
// soon as it is durable (a line of text, or JSON Lines with --json; stdout is
// flushed after every batch, so a reader sees exactly what was acknowledged).
class CommandSubmitter {
 public:
  // Opens the log and the writer (recovering its state).
  static absl::StatusOr<CommandSubmitter> Open(const Context& context);

  // Submits `commands` in order, prints their results, and returns kExitOk
  // when every command was applied or a duplicate, kExitRejected when any was
  // refused, and the error's exit code when the ledger could not append.
  int Submit(const std::vector<careledger::v1::Command>& commands);

  // Prints a refusal for input that never became a command.
  void PrintUnreadable(const std::string& what);

  // Submits one command and returns its result without printing it.
  absl::StatusOr<careledger::v1::CommandResult> SubmitQuietly(
      const careledger::v1::Command& command) {
    return writer_->Submit(command);
  }
  // Prints one result as Submit does.
  void Print(const careledger::v1::CommandResult& result);

  ledger::Log* log() { return log_.get(); }
  ledger::Writer& writer() { return *writer_; }

 private:
  CommandSubmitter(const Context* context, std::unique_ptr<ledger::Log> log,
                   std::unique_ptr<ledger::Writer> writer)
      : context_(context), log_(std::move(log)), writer_(std::move(writer)) {}

  const Context* context_;
  std::unique_ptr<ledger::Log> log_;
  std::unique_ptr<ledger::Writer> writer_;
};

// Opens a submitter, submits `commands` and returns the exit code.
int SubmitAndReport(const Context& context, const std::vector<careledger::v1::Command>& commands);

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_COMMAND_FLAGS_H_
