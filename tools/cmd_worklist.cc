// careledger worklist: the "Action Needed" items of a user, an organisation
// or a patient (projections/worklist.h), after projecting new records.
// Lists NHS numbers and item titles, never plan content.
#include <fmt/format.h>

#include <iostream>

#include "events/time_util.h"
#include "projections/plan_queries.h"
#include "projections/worklist.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/output.h"
#include "tools/projection_session.h"

namespace careledger::tools {
namespace {

struct WorklistFlags {
  std::string user;
  std::string organisation;
  std::string patient;
  std::string projection;  // --projection DIR: a replay
};

int ShowWorklist(const WorklistFlags& flags, const Context& context) {
  std::string owner;
  if (!flags.user.empty()) owner = projections::UserWorklist(flags.user);
  if (!flags.organisation.empty()) owner = projections::OrganisationWorklist(flags.organisation);
  if (!flags.patient.empty()) owner = projections::PatientWorklist(flags.patient);
  // The live projection brought up to date, or a replay as it is.
  std::unique_ptr<ProjectionSession> session;
  std::unique_ptr<projections::ProjectionStore> replay;
  if (!context.ReplayProjection().empty()) {
    absl::StatusOr<std::unique_ptr<projections::ProjectionStore>> opened =
        context.OpenReplayProjection();
    if (!opened.ok()) return ReportError(opened.status(), context.json());
    replay = *std::move(opened);
  } else {
    absl::StatusOr<std::unique_ptr<ProjectionSession>> opened = ProjectionSession::Open(context);
    if (!opened.ok()) return ReportError(opened.status(), context.json());
    session = *std::move(opened);
    if (absl::StatusOr<projections::ProjectionReport> report = session->projector().CatchUp();
        !report.ok()) {
      return ReportError(report.status(), context.json());
    }
  }
  absl::StatusOr<std::vector<careledger::v1::WorklistItem>> items =
      projections::PlanQueries(replay ? replay.get() : &session->store()).ListWorklist(owner);
  if (!items.ok()) return ReportError(items.status(), context.json());
  for (const careledger::v1::WorklistItem& item : *items) {
    if (context.json()) {
      std::cout << ToJsonLine(item) << "\n";
      continue;
    }
    std::cout << fmt::format("{}  {:<16} {}  {}{}\n",
                             absl::FormatTime("%Y-%m-%d %H:%M", events::FromTimestamp(item.since()),
                                              absl::UTCTimeZone()),
                             careledger::v1::WorklistKind_Name(item.kind()).substr(14),
                             item.nhs_number(), item.detail(),
                             item.item_id().empty() ? "" : fmt::format(" [{}]", item.item_id()));
  }
  if (!context.json()) std::cout << fmt::format("{} open items for {}\n", items->size(), owner);
  return kExitOk;
}

}  // namespace

void RegisterWorklist(CLI::App& app, Runner* run) {
  auto flags = std::make_shared<WorklistFlags>();
  CLI::App* worklist = app.add_subcommand(
      "worklist", "Action Needed: drafts, approvals and myCMC requests waiting for someone");
  CLI::Option_group* owner = worklist->add_option_group("owner", "Whose worklist");
  owner->add_option("--user", flags->user, "A user's (approvals sent to them)");
  owner->add_option("--org", flags->organisation, "An organisation's (ODS code)");
  owner->add_option("--nhs", flags->patient, "Everything open on one patient's plan (NHS number)");
  owner->require_option(1);
  AddProjectionFlag(worklist, &flags->projection);
  worklist->callback([run, flags] {
    *run = [flags](const Context& context) {
      return ShowWorklist(*flags, context.WithReplayProjection(flags->projection));
    };
  });
}

}  // namespace careledger::tools
