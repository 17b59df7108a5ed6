// careledger directory show / list: the directory as projected, after
// projecting new records. Shows registration details and last activity,
// never plan content.
#include <fmt/format.h>

#include <iostream>

#include "events/time_util.h"
#include "projections/directory_queries.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/output.h"
#include "tools/projection_session.h"

namespace careledger::tools {
namespace {

struct ShowFlags {
  std::string user;
  std::string organisation;
  std::string device;
};

std::string When(const google::protobuf::Timestamp& at) {
  if (at.seconds() == 0 && at.nanos() == 0) return "never";
  return absl::FormatTime("%Y-%m-%d %H:%M", events::FromTimestamp(at), absl::UTCTimeZone());
}

void PrintUser(const careledger::v1::DirectoryUser& entry) {
  const careledger::v1::User& user = entry.user();
  std::cout << fmt::format("{:<22} {:<28} {:<14} {:<8} {:<10} last active {}\n", user.user_id(),
                           user.name(), careledger::v1::Role_Name(user.role()).substr(5),
                           user.organisation().empty() ? "-" : user.organisation(),
                           careledger::v1::UserStatus_Name(user.status()).substr(12),
                           When(entry.last_activity()));
}

// Catches the projection up and runs `query` on it.
int WithDirectory(const Context& context,
                  const std::function<int(const projections::DirectoryQueries&)>& query) {
  absl::StatusOr<std::unique_ptr<ProjectionSession>> session = ProjectionSession::Open(context);
  if (!session.ok()) return ReportError(session.status(), context.json());
  if (absl::StatusOr<projections::ProjectionReport> report = (*session)->projector().CatchUp();
      !report.ok()) {
    return ReportError(report.status(), context.json());
  }
  return query(projections::DirectoryQueries(&(*session)->store()));
}

int Show(const ShowFlags& flags, const Context& context) {
  return WithDirectory(context, [&](const projections::DirectoryQueries& directory) {
    if (!flags.user.empty()) {
      absl::StatusOr<careledger::v1::DirectoryUser> user = directory.GetUser(flags.user);
      if (!user.ok()) return ReportError(user.status(), context.json());
      context.json() ? void(std::cout << ToJsonLine(*user) << "\n") : PrintUser(*user);
      return int{kExitOk};
    }
    if (!flags.organisation.empty()) {
      absl::StatusOr<careledger::v1::DirectoryOrganisation> organisation =
          directory.GetOrganisation(flags.organisation);
      if (!organisation.ok()) return ReportError(organisation.status(), context.json());
      std::cout << ToJsonLine(*organisation) << "\n";
      return int{kExitOk};
    }
    absl::StatusOr<careledger::v1::DirectoryDevice> device = directory.GetDevice(flags.device);
    if (!device.ok()) return ReportError(device.status(), context.json());
    std::cout << ToJsonLine(*device) << "\n";
    return int{kExitOk};
  });
}

int List(const std::string& organisation, const Context& context) {
  return WithDirectory(context, [&](const projections::DirectoryQueries& directory) {
    absl::StatusOr<std::vector<careledger::v1::DirectoryUser>> users =
        organisation.empty() ? directory.ListUsers() : directory.ListUsers(organisation);
    if (!users.ok()) return ReportError(users.status(), context.json());
    for (const careledger::v1::DirectoryUser& user : *users) {
      context.json() ? void(std::cout << ToJsonLine(user) << "\n") : PrintUser(user);
    }
    return int{kExitOk};
  });
}

}  // namespace

void RegisterDirectoryShow(CLI::App* directory, Runner* run) {
  auto flags = std::make_shared<ShowFlags>();
  CLI::App* show = directory->add_subcommand("show", "One user, organisation or device");
  CLI::Option_group* which = show->add_option_group("which", "What to show");
  which->add_option("--user", flags->user, "User id");
  which->add_option("--org", flags->organisation, "ODS code");
  which->add_option("--device", flags->device, "Device id");
  which->require_option(1);
  show->callback(
      [run, flags] { *run = [flags](const Context& context) { return Show(*flags, context); }; });

  auto organisation = std::make_shared<std::string>();
  CLI::App* list =
      directory->add_subcommand("list", "Users, with role, organisation, status and last activity");
  list->add_option("--org", *organisation, "Only this organisation's users");
  list->callback([run, organisation] {
    *run = [organisation](const Context& context) { return List(*organisation, context); };
  });
}

}  // namespace careledger::tools
