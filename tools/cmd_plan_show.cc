// careledger plan show: read a plan, a version or its history. The read is
// decided and recorded by the ledger first (an AccessRecorded naming the
// version and content hash that may be shown); only then is the content
// fetched from the projection, and it is shown only if its hash is the one
// recorded, so the record always says exactly what the reader saw.
#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <iostream>
#include <thread>

#include "events/format.h"
#include "events/plan_fold.h"
#include "events/sha256.h"
#include "projections/plan_queries.h"
#include "tools/command_builder.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/output.h"
#include "tools/parse_flags.h"
#include "tools/plan_view.h"
#include "tools/projection_session.h"

namespace careledger::tools {
namespace {

using careledger::v1::CommandResult;
using careledger::v1::PlanRecord;

// The content the grant allows, read from `store`; FAILED_PRECONDITION while
// the projection has not reached the granted position yet; DATA_LOSS when
// the projection holds other content than the ledger recorded.
absl::StatusOr<careledger::v1::CarePlan> GrantedContent(const projections::ProjectionStore& store,
                                                        const std::string& nhs_number,
                                                        const careledger::v1::ViewGrant& grant) {
  projections::PlanQueries queries(&store);
  absl::StatusOr<PlanRecord> record = queries.GetPlan(nhs_number);
  if (record.status().code() == absl::StatusCode::kNotFound ||
      (record.ok() && record->last_event().stream_seq() < grant.stream_seq())) {
    return absl::FailedPreconditionError("the projection has not caught up with the log yet");
  }
  if (!record.ok()) return record.status();
  careledger::v1::CarePlan content;
  if (grant.view() == careledger::v1::PLAN_VIEW_DRAFT) {
    content = record->state().draft();
  } else if (grant.version() > 0) {
    absl::StatusOr<careledger::v1::PublishedVersion> version =
        queries.GetVersion(nhs_number, grant.version());
    if (!version.ok()) return version.status();
    content = version->plan();
  } else {
    content = record->state().draft();  // history of a never-published plan
  }
  if (events::HashBytes(events::PlanContentHash(content)) != grant.content_hash()) {
    return absl::DataLossError(fmt::format(
        "the projection's content for {} differs from what the ledger recorded for this read; "
        "rebuild it (careledger project --rebuild)",
        nhs_number));
  }
  return content;
}

int PrintGranted(const projections::ProjectionStore& store, const std::string& nhs_number,
                 const CommandResult& result, const careledger::v1::CarePlan& content,
                 const Context& context) {
  projections::PlanQueries queries(&store);
  absl::StatusOr<PlanRecord> record = queries.GetPlan(nhs_number);
  if (!record.ok()) return ReportError(record.status(), context.json());
  const careledger::v1::ViewGrant& grant = result.view();
  std::vector<careledger::v1::HistoryEntry> history;
  if (grant.view() == careledger::v1::PLAN_VIEW_HISTORY) {
    absl::StatusOr<std::vector<careledger::v1::HistoryEntry>> listed =
        queries.ListHistory(nhs_number);
    if (!listed.ok()) return ReportError(listed.status(), context.json());
    history = *std::move(listed);
  }
  if (context.json()) {
    nlohmann::json document;
    document["access"] = nlohmann::json::parse(ToJsonLine(result));
    document["plan"] = nlohmann::json::parse(ToJsonLine(content));
    document["status"] = careledger::v1::PlanStatus_Name(record->status());
    document["state"] = nlohmann::json::parse(ToJsonLine(record->state()));
    nlohmann::json entries = nlohmann::json::array();
    for (const auto& entry : history) entries.push_back(nlohmann::json::parse(ToJsonLine(entry)));
    document["history"] = std::move(entries);
    PrintJson(document);
    return kExitOk;
  }
  std::cout << fmt::format("access recorded: {} seq {} (partition {}, offset {}){}\n",
                           result.stream_id(), result.stream_seq(), result.partition(),
                           result.offset(), grant.break_glass() ? "  ** BREAK-GLASS **" : "");
  PrintPlanStatus(*record, std::cout);
  if (grant.view() == careledger::v1::PLAN_VIEW_HISTORY) {
    std::cout << "  history:\n";
    PrintHistory(history, std::cout);
    return kExitOk;
  }
  std::cout << fmt::format("  {} (content {}):\n",
                           grant.view() == careledger::v1::PLAN_VIEW_DRAFT
                               ? std::string("working draft, not visible to urgent care")
                               : fmt::format("published version {}", grant.version()),
                           events::HashHex(events::PlanContentHash(content)).substr(0, 12));
  PrintCarePlan(content, std::cout);
  return kExitOk;
}

// Brings a projection to the granted position and prints. When another
// process is projecting into it (`project --follow`), waits for that
// process's commits instead.
int ShowGranted(CommandSubmitter& submitter, const std::string& nhs_number,
                const CommandResult& result, const Context& context) {
  ProjectionSessionOptions options;
  options.log = submitter.log();
  absl::StatusOr<std::unique_ptr<ProjectionSession>> session =
      ProjectionSession::Open(context, options);
  if (session.ok()) {
    absl::StatusOr<projections::ProjectionReport> report = (*session)->projector().CatchUp();
    if (!report.ok()) return ReportError(report.status(), context.json());
    for (const projections::PartitionStop& stop : report->stops) {
      std::cerr << "warning: projection partition stopped: " << stop.reason << "\n";
    }
    absl::StatusOr<careledger::v1::CarePlan> content =
        GrantedContent((*session)->store(), nhs_number, result.view());
    if (!content.ok()) return ReportError(content.status(), context.json());
    return PrintGranted((*session)->store(), nhs_number, result, *content, context);
  }
  if (session.status().code() != absl::StatusCode::kFailedPrecondition) {
    return ReportError(session.status(), context.json());
  }
  absl::StatusOr<std::unique_ptr<projections::ProjectionStore>> follower =
      projections::ProjectionStore::OpenFollower(context.ProjectionDir());
  if (!follower.ok()) return ReportError(session.status(), context.json());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (;;) {
    if (absl::Status refreshed = (*follower)->Refresh(); !refreshed.ok()) {
      return ReportError(refreshed, context.json());
    }
    absl::StatusOr<careledger::v1::CarePlan> content =
        GrantedContent(**follower, nhs_number, result.view());
    if (content.ok()) return PrintGranted(**follower, nhs_number, result, *content, context);
    if (content.status().code() != absl::StatusCode::kFailedPrecondition ||
        std::chrono::steady_clock::now() > deadline) {
      return ReportError(content.status(), context.json());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

// --version: a positive number, and only with --view version (which needs it).
absl::Status ParseVersion(const CommandFlags& flags, careledger::v1::ViewPlan* view) {
  const std::string& text = flags.Get("version");
  const bool wanted = view->view() == careledger::v1::PLAN_VIEW_VERSION;
  if (text.empty()) {
    return wanted ? absl::InvalidArgumentError("--view version needs --version N")
                  : absl::OkStatus();
  }
  if (!wanted) return absl::InvalidArgumentError("--version goes with --view version");
  std::uint64_t version = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), version);
  if (error != std::errc() || end != text.data() + text.size() || version == 0) {
    return absl::InvalidArgumentError(
        fmt::format("--version '{}' is not a version number (1, 2, ...)", text));
  }
  view->set_version(version);
  return absl::OkStatus();
}

}  // namespace

void RegisterPlanShow(CLI::App* plan, Runner* run) {
  auto flags = std::make_shared<CommandFlags>();
  CLI::App* show = plan->add_subcommand(
      "show",
      "Read a plan (recorded before it is shown): the published version, the working draft, "
      "one version, or the history");
  flags->actor.Register(show);
  TextFlag(show, *flags, "nhs", "Patient's NHS number")->required();
  flags->text["view"] = "published";
  TextFlag(show, *flags, "view", "published, draft, version or history")
      ->check(CLI::IsMember({"published", "draft", "version", "history"}))
      ->capture_default_str();
  TextFlag(show, *flags, "version", "The version, with --view version");
  TextFlag(show, *flags, "break-glass",
           "Read a restricted plan you are not named on; the reason is recorded and flagged");
  show->callback([run, flags] {
    *run = [flags](const Context& context) -> int {
      careledger::v1::Command command = flags->actor.NewCommand();
      careledger::v1::ViewPlan* view = command.mutable_view_plan();
      view->set_nhs_number(flags->Get("nhs"));
      int parsed_view = 0;
      if (absl::Status parsed = ParseEnumFlag("view", flags->Get("view"), "careledger.v1.PlanView",
                                              "PLAN_VIEW_", &parsed_view);
          !parsed.ok()) {
        return ReportError(parsed, context.json());
      }
      view->set_view(static_cast<careledger::v1::PlanView>(parsed_view));
      if (absl::Status version = ParseVersion(*flags, view); !version.ok()) {
        return ReportError(version, context.json());
      }
      view->set_break_glass_reason(flags->Get("break-glass"));
      absl::StatusOr<CommandSubmitter> submitter = CommandSubmitter::Open(context);
      if (!submitter.ok()) return ReportError(submitter.status(), context.json());
      absl::StatusOr<CommandResult> result = submitter->SubmitQuietly(command);
      if (!result.ok()) return ReportError(result.status(), context.json());
      if (result->outcome() == careledger::v1::OUTCOME_REJECTED) {
        submitter->Print(*result);
        return kExitRejected;
      }
      return ShowGranted(*submitter, flags->Get("nhs"), *result, context);
    };
  });
}

}  // namespace careledger::tools
