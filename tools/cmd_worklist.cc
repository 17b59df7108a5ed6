// careledger worklist: the "Action Needed" items of a user, an organisation
// or a patient, with the counts by task type (access/worklist_read.h, which
// GET /v1/worklist shares), after projecting new records; plans needing
// review are those due by today (UTC) + --review-window days
// (access/review_worklist.h). Lists NHS numbers and item titles, never plan
// content.
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "access/worklist_read.h"
#include "events/time_util.h"
#include "projections/worklist.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/output.h"
#include "tools/parse_flags.h"
#include "tools/projection_session.h"

namespace careledger::tools {
namespace {

struct WorklistFlags {
  std::string user;
  std::string organisation;
  std::string patient;
  std::string task;  // "" = every task type
  std::string review_window;
  bool review_window_given = false;  // else access::kDefaultReviewWindowDays
  std::string projection;            // --projection DIR: a replay
};

int ShowWorklist(const WorklistFlags& flags, const Context& context) {
  std::string owner;
  if (!flags.user.empty()) owner = projections::UserWorklist(flags.user);
  if (!flags.organisation.empty()) owner = projections::OrganisationWorklist(flags.organisation);
  if (!flags.patient.empty()) owner = projections::PatientWorklist(flags.patient);
  std::optional<careledger::v1::WorklistKind> task;
  if (!flags.task.empty()) {
    absl::StatusOr<careledger::v1::WorklistKind> parsed = access::ParseTask(flags.task);
    if (!parsed.ok()) return ReportError(parsed.status(), context.json());
    task = *parsed;
  }
  int window = access::kDefaultReviewWindowDays;
  if (flags.review_window_given) {
    absl::StatusOr<int> parsed = access::ParseReviewWindow(flags.review_window);
    if (!parsed.ok()) return ReportError(parsed.status(), context.json());
    window = *parsed;
  }
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
  absl::StatusOr<access::Worklist> worklist =
      access::ReadWorklist(replay ? *replay : session->store(), owner, task,
                           access::ReviewHorizon::At(absl::Now(), window));
  if (!worklist.ok()) return ReportError(worklist.status(), context.json());
  for (const careledger::v1::WorklistItem& item : worklist->items) {
    if (context.json()) {
      std::cout << ToJsonLine(item) << "\n";
      continue;
    }
    std::cout << fmt::format("{}  {:<16} {}  {}{}\n",
                             absl::FormatTime("%Y-%m-%d %H:%M", events::FromTimestamp(item.since()),
                                              absl::UTCTimeZone()),
                             access::TaskName(item.kind()), item.nhs_number(), item.detail(),
                             item.item_id().empty() ? "" : fmt::format(" [{}]", item.item_id()));
  }
  if (context.json()) {
    // The last line: the Summary box, named as GET /v1/worklist names it.
    nlohmann::json summary;
    summary["summary"] = access::SummaryJson(*worklist);
    PrintJson(summary);
    return kExitOk;
  }
  // The Summary box: each count with the --task name that lists it.
  std::cout << fmt::format("Summary for {} (reviews due by {}):\n  {} total\n", owner,
                           absl::FormatCivilTime(worklist->review.last_day()), worklist->total);
  for (careledger::v1::WorklistKind kind : access::TaskTypes()) {
    std::cout << fmt::format("  {} {} (--task {})\n", worklist->counts.at(kind),
                             access::TaskLabel(kind), access::TaskName(kind));
  }
  if (task) std::cout << fmt::format("{} shown\n", worklist->items.size());
  return kExitOk;
}

}  // namespace

void RegisterWorklist(CLI::App& app, Runner* run) {
  auto flags = std::make_shared<WorklistFlags>();
  CLI::App* worklist = app.add_subcommand(
      "worklist",
      "Action Needed: drafts, reviews due, approvals and myCMC requests waiting for someone");
  CLI::Option_group* owner = worklist->add_option_group("owner", "Whose worklist");
  owner->add_option("--user", flags->user,
                    "A user's (approvals sent to them, plans they are to review)");
  owner->add_option("--org", flags->organisation, "An organisation's (ODS code)");
  TakesNhsNumber(owner->add_option("--nhs", flags->patient,
                                   "Everything open on one patient's plan (NHS number)"));
  owner->require_option(1);
  worklist->add_option("--task", flags->task,
                       "Only items of this task type: draft_plan, review_needed, approval_needed, "
                       "plan_request, change_request (the counts stay the whole list's)");
  CLI::Option* review_window = worklist->add_option(
      "--review-window", flags->review_window,
      fmt::format("Plans needing review: review date passed or within this many "
                  "days of today, UTC (0-{}, default {})",
                  access::kMaxReviewWindowDays, access::kDefaultReviewWindowDays));
  AddProjectionFlag(worklist, &flags->projection);
  worklist->callback([run, flags, review_window] {
    flags->review_window_given = review_window->count() > 0;
    *run = [flags](const Context& context) {
      return ShowWorklist(*flags, context.WithReplayProjection(flags->projection));
    };
  });
}

}  // namespace careledger::tools
