// careledger plan show: read a plan, a version or its history, through
// access::ReadPlan (access/plan_read.h): recorded by the ledger first, then
// shown only as far as the grant allows, with the content's hash checked
// against the recorded one. This file only translates flags and output.
#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <iostream>
#include <memory>

#include "access/london_time.h"
#include "access/plan_as_of.h"
#include "access/plan_read.h"
#include "access/shown_content.h"
#include "events/format.h"
#include "events/plan_fold.h"
#include "events/sha256.h"
#include "events/time_util.h"
#include "tools/cli_feed.h"
#include "tools/command_builder.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/output.h"
#include "tools/parse_flags.h"
#include "tools/plan_as_of_view.h"
#include "tools/plan_view.h"
#include "tools/projection_session.h"

namespace careledger::tools {
namespace {

using careledger::v1::CommandResult;

// Prints a granted read: only what access::PlanRead holds (the grant's
// content, the shown state, the history of a history grant).
int PrintGranted(const access::PlanRead& read, const CommandResult& result,
                 const Context& context) {
  const careledger::v1::ViewGrant& grant = result.view();
  if (context.json()) {
    nlohmann::json document;
    document["access"] = nlohmann::json::parse(ToJsonLine(result));
    document["plan"] = nlohmann::json::parse(ToJsonLine(read.content));
    document["status"] = careledger::v1::PlanStatus_Name(read.status);
    document["state"] = nlohmann::json::parse(ToJsonLine(read.shown_state));
    nlohmann::json entries = nlohmann::json::array();
    for (const auto& entry : read.history) {
      entries.push_back(nlohmann::json::parse(ToJsonLine(entry)));
    }
    document["history"] = std::move(entries);
    PrintJson(document);
    return kExitOk;
  }
  std::cout << fmt::format("access recorded: {} seq {} (partition {}, offset {}){}\n",
                           result.stream_id(), result.stream_seq(), result.partition(),
                           result.offset(), grant.break_glass() ? "  ** BREAK-GLASS **" : "");
  careledger::v1::PlanRecord shown;
  shown.set_nhs_number(read.nhs_number);
  shown.set_status(read.status);
  *shown.mutable_state() = read.shown_state;
  PrintPlanStatus(shown, std::cout);
  if (grant.view() == careledger::v1::PLAN_VIEW_HISTORY) {
    std::cout << "  history:\n";
    PrintHistory(read.history, std::cout);
    return kExitOk;
  }
  std::cout << fmt::format("  {} (content {}):\n",
                           grant.view() == careledger::v1::PLAN_VIEW_DRAFT
                               ? std::string("working draft, not visible to urgent care")
                               : fmt::format("published version {}", grant.version()),
                           events::HashHex(events::PlanContentHash(read.content)).substr(0, 12));
  PrintCarePlan(read.content, std::cout);
  return kExitOk;
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

// plan show --as-of TIME: the point-in-time read (access/plan_as_of.h).
// `view_given`: --view or --version was on the command line (refused: the
// read is a history read).
int RunAsOf(const CommandFlags& flags, bool view_given, const Context& context) {
  if (view_given) {
    return ReportError(
        absl::InvalidArgumentError("--as-of shows the whole plan as it was; it takes no --view or "
                                   "--version"),
        context.json());
  }
  absl::StatusOr<absl::Time> as_of = access::ParseLondonTime(flags.Get("as-of"));
  if (!as_of.ok()) {
    return ReportError(absl::InvalidArgumentError(
                           fmt::format("--as-of: {}", std::string(as_of.status().message()))),
                       context.json());
  }
  if (*as_of > absl::Now()) {
    return ReportError(absl::InvalidArgumentError(fmt::format("--as-of {} is in the future",
                                                              access::FormatLondonTime(*as_of))),
                       context.json());
  }
  careledger::v1::Command command = flags.actor.NewCommand();
  careledger::v1::ViewPlan* view = command.mutable_view_plan();
  view->set_nhs_number(flags.Get("nhs"));
  *view->mutable_as_of() = events::ToTimestamp(*as_of);
  view->set_break_glass_reason(flags.Get("break-glass"));
  absl::StatusOr<ledger::KeyStore> keys = context.OpenKeys();
  if (!keys.ok()) return ReportError(keys.status(), context.json());
  const events::Keyring keyring = keys->keyring();
  absl::StatusOr<CommandSubmitter> submitter = CommandSubmitter::Open(context);
  if (!submitter.ok()) return ReportError(submitter.status(), context.json());
  absl::StatusOr<std::unique_ptr<CliFeed>> feed = CliFeed::Open(context, submitter->log());
  if (!feed.ok()) return ReportError(feed.status(), context.json());
  absl::StatusOr<std::shared_ptr<ledger::DataKeyStore>> data_keys = context.DataKeysForReading();
  if (!data_keys.ok()) return ReportError(data_keys.status(), context.json());
  access::LogStreamRecords records(submitter->log(), &keyring, &(*feed)->store(), data_keys->get());
  absl::StatusOr<access::PlanAsOfOutcome> outcome = access::ReadPlanAsOf(
      submitter->writer(), command, **feed, records, absl::Now() + absl::Seconds(30));
  if (!outcome.ok()) return ReportError(outcome.status(), context.json());
  if (!outcome->granted()) {
    submitter->Print(outcome->access);
    return kExitRejected;
  }
  return PrintPlanAsOf(*outcome->answer, outcome->access, context.json());
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
  TextFlag(show, *flags, "as-of",
           "The plan as it was at this instant, London time (2026-06-15T13:00, or with an "
           "offset: ...+01:00, ...Z): the published version urgent care would have seen, the "
           "working draft, status, restriction, consent and death, each with the signed record "
           "that made it so. Recorded as a history read; exit 5 if the plan did not exist yet");
  AddProjectionFlag(show, &flags->text["projection"]);
  show->callback([run, flags, show] {
    const bool view_given = show->count("--view") > 0 || show->count("--version") > 0;
    *run = [flags, view_given](const Context& context) -> int {
      if (!flags->Get("projection").empty()) {
        // A read shows what the ledger recorded it showing, which a replay
        // (ending before this read) cannot hold; the same past is --as-of's.
        return ReportError(absl::InvalidArgumentError(
                               "plan show reads the plan the ledger grants now; for the plan as "
                               "it was at a replay's instant use --as-of TIME (folded from the "
                               "signed log)"),
                           context.json());
      }
      if (!flags->Get("as-of").empty()) return RunAsOf(*flags, view_given, context);
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
      absl::StatusOr<std::unique_ptr<CliFeed>> feed = CliFeed::Open(context, submitter->log());
      if (!feed.ok()) return ReportError(feed.status(), context.json());
      absl::StatusOr<access::PlanReadOutcome> outcome =
          access::ReadPlan(submitter->writer(), command, **feed, absl::Now() + absl::Seconds(30));
      if (!outcome.ok()) return ReportError(outcome.status(), context.json());
      if (!outcome->granted()) {
        submitter->Print(outcome->access);
        return kExitRejected;
      }
      return PrintGranted(*outcome->read, outcome->access, context);
    };
  });
}

}  // namespace careledger::tools
