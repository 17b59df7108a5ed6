// Registering a subcommand that builds one careledger.v1.Command from flags
// and submits it. The plan and directory commands are tables of these.
#ifndef CARELEDGER_TOOLS_COMMAND_BUILDER_H_
#define CARELEDGER_TOOLS_COMMAND_BUILDER_H_

#include <CLI/CLI.hpp>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "careledger/v1/commands.pb.h"
#include "tools/command_flags.h"
#include "tools/commands.h"

namespace careledger::tools {

// A subcommand's flag values: who acts, and its own flags by name.
struct CommandFlags {
  ActorFlags actor;
  std::map<std::string, std::string> text;
  std::vector<std::string> list;

  // The value of --<name>, "" when not given.
  const std::string& Get(const std::string& name) const;
  // Parses the optional date flag --<name> into `date`; false (and `date`
  // untouched) when it was not given.
  absl::StatusOr<bool> OptionalDate(const std::string& name, careledger::v1::Date* date) const;
};

using AddFlags = std::function<void(CLI::App*, CommandFlags&)>;
using BuildCommand = std::function<absl::Status(const CommandFlags&, careledger::v1::Command*)>;

// Registers `<parent> <name>`: the actor flags (with `actor` as defaults),
// `add_flags`' own flags, and a runner that builds the command with `build`
// (INVALID_ARGUMENT -> usage error, nothing submitted) and submits it.
void AddCommand(CLI::App* parent, Runner* run, const std::string& name, const std::string& help,
                const ActorFlags& actor, const AddFlags& add_flags, BuildCommand build);

// Adds --<name> storing into flags.text[name].
CLI::Option* TextFlag(CLI::App* sub, CommandFlags& flags, const std::string& name,
                      const std::string& help);

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_COMMAND_BUILDER_H_
