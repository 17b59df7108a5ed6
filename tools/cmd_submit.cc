// careledger submit: commands as JSON Lines (the protobuf JSON mapping of
// careledger.v1.Command), one result per line, so programs can drive the
// ledger. Results stream out as batches become durable.
#include <fmt/format.h>

#include <fstream>
#include <iostream>

#include "events/format.h"
#include "ledger/limits.h"
#include "ledger/nhs_number.h"
#include "tools/command_flags.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/output.h"

namespace careledger::tools {
namespace {

struct SubmitFlags {
  std::string path = "-";
  std::size_t batch = 256;
};

// Reads JSON Lines and submits them in batches; prints one result per line, in
// input order. An unreadable line is answered with a refusal naming the line
// (nothing is appended for it: it never became a command, so it has no actor
// to record) and makes the exit code kExitUsage; the other lines still go in.
int RunSubmit(const SubmitFlags& flags, const Context& context) {
  std::ifstream file;
  if (flags.path != "-") {
    file.open(flags.path);
    if (!file) {
      return ReportError(absl::InvalidArgumentError(fmt::format("cannot read {}", flags.path)),
                         context.json());
    }
  }
  std::istream& in = flags.path == "-" ? std::cin : file;
  absl::StatusOr<CommandSubmitter> submitter = CommandSubmitter::Open(context);
  if (!submitter.ok()) return ReportError(submitter.status(), context.json());

  int exit_code = kExitOk;
  auto merge = [&exit_code](int code) {
    if (code == kExitOk) return;
    if (exit_code == kExitOk || code == kExitError) exit_code = code;
  };
  std::vector<careledger::v1::Command> pending;
  std::string line;
  for (int number = 1;; ++number) {
    const bool more = static_cast<bool>(std::getline(in, line));
    if (more && line.find_first_not_of(" \t\r") != std::string::npos) {
      careledger::v1::Command command;
      absl::Status parsed = line.size() > ledger::kMaxCommandLineBytes
                                ? absl::InvalidArgumentError(fmt::format(
                                      "a command line is at most {} bytes (this one has {})",
                                      ledger::kMaxCommandLineBytes, line.size()))
                                : FromJson(line, &command);
      if (parsed.ok()) {
        ledger::NormaliseNhsNumbersIn(&command);
        pending.push_back(std::move(command));
      } else {
        // Answer the lines before it first: results come out in input order.
        if (!pending.empty()) {
          const int code = submitter->Submit(pending);
          pending.clear();
          if (code == kExitError || code == kExitIntegrity) return code;
          merge(code);
        }
        submitter->PrintUnreadable(fmt::format("line {}: {}", number, parsed.message()));
        merge(kExitUsage);
      }
    }
    // Submit when the batch is full, at the end, or when no more input is
    // waiting (so an interactive producer sees answers promptly).
    if (!pending.empty() &&
        (!more || pending.size() >= flags.batch || in.rdbuf()->in_avail() <= 0)) {
      const int code = submitter->Submit(pending);
      pending.clear();
      if (code == kExitError || code == kExitIntegrity) return code;
      merge(code);
    }
    if (!more) break;
  }
  return exit_code;
}

}  // namespace

void RegisterSubmit(CLI::App& app, Runner* run) {
  auto flags = std::make_shared<SubmitFlags>();
  CLI::App* submit = app.add_subcommand(
      "submit",
      "Submit commands given as JSON Lines (careledger.v1.Command in the protobuf JSON "
      "mapping) from a file or stdin; prints one careledger.v1.CommandResult per line as each "
      "becomes durable");
  submit->add_option("file", flags->path, "File of JSON Lines, or - for stdin")
      ->capture_default_str();
  submit->add_option("--batch", flags->batch, "Most commands per group commit")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  submit->callback([run, flags] {
    *run = [flags](const Context& context) { return RunSubmit(*flags, context); };
  });
}

}  // namespace careledger::tools
