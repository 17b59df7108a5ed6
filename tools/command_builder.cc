#include "tools/command_builder.h"

#include <memory>

#include "tools/output.h"
#include "tools/parse_flags.h"

namespace careledger::tools {

const std::string& CommandFlags::Get(const std::string& name) const {
  static const std::string kEmpty;
  auto it = text.find(name);
  return it == text.end() ? kEmpty : it->second;
}

absl::StatusOr<bool> CommandFlags::OptionalDate(const std::string& name,
                                                careledger::v1::Date* date) const {
  if (Get(name).empty()) return false;
  if (absl::Status parsed = ParseDateFlag(name, Get(name), date); !parsed.ok()) return parsed;
  return true;
}

void AddCommand(CLI::App* parent, Runner* run, const std::string& name, const std::string& help,
                const ActorFlags& actor, const AddFlags& add_flags, BuildCommand build) {
  auto flags = std::make_shared<CommandFlags>();
  flags->actor = actor;
  CLI::App* sub = parent->add_subcommand(name, help);
  flags->actor.Register(sub);
  add_flags(sub, *flags);
  sub->callback([run, flags, build = std::move(build)] {
    *run = [flags, build](const Context& context) {
      careledger::v1::Command command = flags->actor.NewCommand();
      if (absl::Status built = build(*flags, &command); !built.ok()) {
        return ReportError(built, context.json());
      }
      return SubmitAndReport(context, {command});
    };
  });
}

CLI::Option* TextFlag(CLI::App* sub, CommandFlags& flags, const std::string& name,
                      const std::string& help) {
  CLI::Option* option = sub->add_option("--" + name, flags.text[name], help);
  return name == "nhs" ? TakesNhsNumber(option) : option;
}

}  // namespace careledger::tools
