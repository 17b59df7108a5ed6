// careledger directory: organisations, users and devices, as signed events.
// `directory bootstrap` (and `directory sample`, which bootstraps the sample
// world) acts once as the ledger host's operator (ROLE_SYSTEM) on an empty
// directory; every other change is made by a CMC team member named with
// --as-user/--as-org/--as-device (ledger/directory_rules.h).
#include <fmt/format.h>

#include "absl/time/clock.h"
#include "ledger/dates.h"
#include "tools/command_builder.h"
#include "tools/commands.h"
#include "tools/output.h"
#include "tools/parse_flags.h"
#include "tools/sample_world.h"

namespace careledger::tools {
namespace {

using careledger::v1::Command;

// The ledger host's operator: acts only in the bootstrap.
ActorFlags Operator() {
  ActorFlags actor;
  actor.user_id = "operator";
  actor.role = "system";
  actor.purpose = "bootstrap";
  return actor;
}

// A CMC team member, named with --as-user (required), --as-org and --as-device.
ActorFlags CmcTeamMember() {
  ActorFlags actor;
  actor.role = "cmc-team";
  return actor;
}

// Parses --<flag> as a value of the enum `type` (short names, see parse_flags.h).
template <typename Enum>
absl::Status EnumFlag(const CommandFlags& f, const std::string& flag, const std::string& type,
                      const std::string& prefix, Enum* out) {
  int value = 0;
  if (absl::Status parsed = ParseEnumFlag(flag, f.Get(flag), type, prefix, &value); !parsed.ok()) {
    return parsed;
  }
  *out = static_cast<Enum>(value);
  return absl::OkStatus();
}

absl::Status OptionalDateTo(const CommandFlags& f, const std::string& flag,
                            careledger::v1::Date* target) {
  careledger::v1::Date date;
  absl::StatusOr<bool> given = f.OptionalDate(flag, &date);
  if (!given.ok()) return given.status();
  if (*given) *target = date;
  return absl::OkStatus();
}

absl::Status BuildOrganisation(const CommandFlags& f, Command* command) {
  careledger::v1::Organisation* org =
      command->mutable_record_organisation()->mutable_organisation();
  org->set_ods_code(f.Get("org"));
  org->set_name(f.Get("name"));
  careledger::v1::OrganisationType type{};
  if (absl::Status parsed =
          EnumFlag(f, "type", "careledger.v1.OrganisationType", "ORGANISATION_TYPE_", &type);
      !parsed.ok()) {
    return parsed;
  }
  org->set_type(type);
  if (absl::Status parsed = OptionalDateTo(f, "isa-signed-on", org->mutable_isa_signed_on());
      !parsed.ok()) {
    return parsed;
  }
  org->set_isa_signed(org->has_isa_signed_on());
  if (!f.Get("dspt").empty()) {
    careledger::v1::DsptLevel level{};
    if (absl::Status parsed = EnumFlag(f, "dspt", "careledger.v1.DsptLevel", "DSPT_LEVEL_", &level);
        !parsed.ok()) {
      return parsed;
    }
    org->set_dspt_level(level);
  }
  return OptionalDateTo(f, "dspt-date", org->mutable_dspt_assessed_on());
}

absl::Status BuildUser(const CommandFlags& f, Command* command) {
  careledger::v1::User* user = command->mutable_record_user()->mutable_user();
  user->set_user_id(f.Get("user"));
  user->set_name(f.Get("name"));
  careledger::v1::Role role = ParseRole(f.Get("role"));
  if (role == careledger::v1::ROLE_UNSPECIFIED) {
    return absl::InvalidArgumentError(fmt::format("--role '{}' is not a role", f.Get("role")));
  }
  user->set_role(role);
  user->set_organisation(f.Get("org"));
  user->set_professional_registration(f.Get("registration"));
  if (!f.Get("uaf-manager").empty()) {
    user->mutable_user_access_form()->set_signed_(true);
    user->mutable_user_access_form()->set_authorising_manager(f.Get("uaf-manager"));
  }
  for (const std::string& module : f.list) user->add_training_modules(module);
  user->set_nhs_number(f.Get("nhs"));
  user->set_family_name(f.Get("family-name"));
  user->set_address(f.Get("home-address"));
  user->set_postcode(f.Get("home-postcode"));
  user->set_status(careledger::v1::USER_STATUS_ACTIVE);
  if (absl::Status parsed =
          OptionalDateTo(f, "uaf-date", user->mutable_user_access_form()->mutable_signed_on());
      !parsed.ok()) {
    return parsed;
  }
  if (absl::Status parsed = OptionalDateTo(f, "ig-date", user->mutable_ig_training_on());
      !parsed.ok()) {
    return parsed;
  }
  return OptionalDateTo(f, "aup-date", user->mutable_aup_accepted_on());
}

void RegisterRecords(CLI::App* directory, Runner* run) {
  AddCommand(
      directory, run, "org", "Record an organisation (replaces its earlier record)",
      CmcTeamMember(),
      [](CLI::App* sub, CommandFlags& f) {
        TextFlag(sub, f, "org", "Its ODS code")->required();
        TextFlag(sub, f, "name", "Name")->required();
        TextFlag(sub, f, "type",
                 "gp-practice, hospital, hospice, care-home, ambulance-service, nhs-111, "
                 "out-of-hours-gp, community-nursing, cmc-service")
            ->required();
        TextFlag(sub, f, "isa-signed-on", "Date the Information Sharing Agreement was signed");
        TextFlag(sub, f, "dspt", "DSPT level: entry, standards-met, standards-exceeded");
        TextFlag(sub, f, "dspt-date", "Date of the DSPT assessment");
      },
      BuildOrganisation);

  AddCommand(
      directory, run, "user", "Record a user (replaces their earlier record)", CmcTeamMember(),
      [](CLI::App* sub, CommandFlags& f) {
        TextFlag(sub, f, "user", "User id")->required();
        TextFlag(sub, f, "name", "Full name")->required();
        TextFlag(sub, f, "role",
                 "clinician, administrator, urgent-care, patient, proxy-viewer, cmc-team")
            ->required();
        TextFlag(sub, f, "org", "Their organisation's ODS code");
        TextFlag(sub, f, "registration", "Professional registration (clinicians)");
        TextFlag(sub, f, "uaf-manager", "Manager who signed the User Access Form");
        TextFlag(sub, f, "uaf-date", "Date the User Access Form was signed");
        TextFlag(sub, f, "ig-date", "Date of their NHS IG training");
        sub->add_option("--module", f.list, "A completed CMC training module (repeatable)");
        TextFlag(sub, f, "aup-date", "Date they accepted the Acceptable Use Policy");
        TextFlag(sub, f, "nhs",
                 "The user's own NHS number: a patient's identity; a professional's, "
                 "optional, lets the own_record alert rule see them read their own plan");
        TextFlag(sub, f, "family-name", "Family name (for audit)");
        TextFlag(sub, f, "home-address", "Home address (for audit)");
        TextFlag(sub, f, "home-postcode", "Home postcode (for audit)");
      },
      BuildUser);

  AddCommand(
      directory, run, "status", "Suspend, reinstate or revoke a user", CmcTeamMember(),
      [](CLI::App* sub, CommandFlags& f) {
        TextFlag(sub, f, "user", "User id")->required();
        TextFlag(sub, f, "status", "active, suspended or revoked")->required();
        TextFlag(sub, f, "reason", "Why");
      },
      [](const CommandFlags& f, Command* command) {
        careledger::v1::ChangeUserStatus* body = command->mutable_change_user_status();
        body->set_user_id(f.Get("user"));
        body->set_reason(f.Get("reason"));
        careledger::v1::UserStatus status{};
        if (absl::Status parsed =
                EnumFlag(f, "status", "careledger.v1.UserStatus", "USER_STATUS_", &status);
            !parsed.ok()) {
          return parsed;
        }
        body->set_status(status);
        return absl::OkStatus();
      });

  AddCommand(
      directory, run, "device", "Register a device and its licence", CmcTeamMember(),
      [](CLI::App* sub, CommandFlags& f) {
        TextFlag(sub, f, "device", "Device id")->required();
        TextFlag(sub, f, "org", "The organisation it belongs to (ODS code)")->required();
        TextFlag(sub, f, "licence-date", "Date its licence was issued")->required();
        sub->add_flag(
            "--revoked", [&f](std::int64_t) { f.text["revoked"] = "yes"; },
            "The device is no longer registered");
      },
      [](const CommandFlags& f, Command* command) {
        careledger::v1::Device* device = command->mutable_record_device()->mutable_device();
        device->set_device_id(f.Get("device"));
        device->set_organisation(f.Get("org"));
        device->set_revoked(!f.Get("revoked").empty());
        return ParseDateFlag("licence-date", f.Get("licence-date"),
                             device->mutable_licence_issued_on());
      });
}

// CommandFlags holding `pairs` (flag name, value) for the builders above.
CommandFlags FlagsOf(std::initializer_list<std::pair<const char*, std::string>> pairs) {
  CommandFlags flags;
  for (const auto& [name, value] : pairs) flags.text[name] = value;
  return flags;
}

// The operator's one-time bootstrap: the CMC service, a device of it and its
// first CMC team member, as three commands with ids derived from what they
// register, so a retried bootstrap is idempotent. The ledger refuses them
// (and records the refusals) once the directory has an active CMC team member.
absl::StatusOr<std::vector<Command>> BootstrapCommands(const CommandFlags& f) {
  const ActorFlags operator_actor = Operator();
  std::vector<Command> commands;
  const auto next = [&](const std::string& id) -> Command& {
    Command& command = commands.emplace_back(operator_actor.NewCommand());
    command.set_command_id(id);
    return command;
  };
  if (absl::Status built = BuildOrganisation(FlagsOf({{"org", f.Get("org")},
                                                      {"name", f.Get("org-name")},
                                                      {"type", "cmc-service"},
                                                      {"isa-signed-on", f.Get("isa-signed-on")},
                                                      {"dspt", f.Get("dspt")},
                                                      {"dspt-date", f.Get("dspt-date")}}),
                                             &next(fmt::format("bootstrap/org/{}", f.Get("org"))));
      !built.ok()) {
    return built;
  }
  careledger::v1::Device* device = next(fmt::format("bootstrap/device/{}", f.Get("device")))
                                       .mutable_record_device()
                                       ->mutable_device();
  device->set_device_id(f.Get("device"));
  device->set_organisation(f.Get("org"));
  if (absl::Status parsed =
          ParseDateFlag("licence-date", f.Get("licence-date"), device->mutable_licence_issued_on());
      !parsed.ok()) {
    return parsed;
  }
  CommandFlags user = FlagsOf({{"user", f.Get("user")},
                               {"name", f.Get("name")},
                               {"role", "cmc-team"},
                               {"org", f.Get("org")},
                               {"uaf-manager", f.Get("uaf-manager")},
                               {"uaf-date", f.Get("uaf-date")},
                               {"ig-date", f.Get("ig-date")},
                               {"aup-date", f.Get("aup-date")}});
  user.list = f.list;
  if (absl::Status built = BuildUser(user, &next(fmt::format("bootstrap/user/{}", f.Get("user"))));
      !built.ok()) {
    return built;
  }
  return commands;
}

void RegisterBootstrap(CLI::App* directory, Runner* run) {
  auto f = std::make_shared<CommandFlags>();
  CLI::App* sub = directory->add_subcommand(
      "bootstrap",
      "Once, on an empty directory, as the ledger host's operator: register the CMC service, a "
      "device of it and its first CMC team member, who keeps the directory from then on");
  TextFlag(sub, *f, "org", "The CMC service's ODS code")->required();
  TextFlag(sub, *f, "org-name", "The CMC service's name")->required();
  TextFlag(sub, *f, "isa-signed-on", "Date it signed the Information Sharing Agreement")
      ->required();
  TextFlag(sub, *f, "dspt", "Its DSPT level: standards-met or standards-exceeded")->required();
  TextFlag(sub, *f, "dspt-date", "Date of its DSPT assessment")->required();
  TextFlag(sub, *f, "device", "Id of the device the CMC team member acts from")->required();
  TextFlag(sub, *f, "licence-date", "Date the device's licence was issued")->required();
  TextFlag(sub, *f, "user", "The CMC team member's user id")->required();
  TextFlag(sub, *f, "name", "Their full name")->required();
  TextFlag(sub, *f, "uaf-manager", "Manager who signed their User Access Form")->required();
  TextFlag(sub, *f, "uaf-date", "Date the User Access Form was signed")->required();
  TextFlag(sub, *f, "ig-date", "Date of their NHS IG training")->required();
  sub->add_option("--module", f->list, "A completed CMC training module (repeatable): CMC101")
      ->required();
  TextFlag(sub, *f, "aup-date", "Date they accepted the Acceptable Use Policy")->required();
  sub->callback([run, f] {
    *run = [f](const Context& context) {
      absl::StatusOr<std::vector<Command>> commands = BootstrapCommands(*f);
      if (!commands.ok()) return ReportError(commands.status(), context.json());
      return SubmitAndReport(context, *commands);
    };
  });
}

}  // namespace

void RegisterDirectory(CLI::App& app, Runner* run) {
  CLI::App* directory =
      app.add_subcommand("directory", "Organisations, users and devices (the CMC team's)");
  directory->require_subcommand(1);
  RegisterBootstrap(directory, run);
  RegisterRecords(directory, run);
  RegisterDirectoryShow(directory, run);
  RegisterDirectoryIssueCert(directory, run);
  CLI::App* sample = directory->add_subcommand(
      "sample",
      "Bootstrap an empty directory with the synthetic sample world (CMC team member "
      "auditor.cmc, care home, GP, ambulance, NHS 111, ...)");
  sample->callback([run] {
    *run = [](const Context& context) {
      return SubmitAndReport(context, SampleDirectoryCommands(ledger::Today(absl::Now())));
    };
  });
}

}  // namespace careledger::tools
