// careledger audit case open|add-alert|note|close|list|show: the CMC team's
// investigation cases (docs/domain.md, "Investigation cases";
// ledger/case_rules.h), through the use-cases the service calls too
// (access/investigation_case.h).
//
//   audit case open --title T (--user ID | --nhs N) [--case-id ID]
//       opens a case (OpenCase -> CaseOpened on "audit/case/<id>"); without
//       --case-id it is named from the command id (access::CaseIdFor)
//   audit case add-alert --case ID --alert ID [--threshold K=V ...]
//       puts an alert the rules raise (with those thresholds) in the case
//   audit case note --case ID --note TEXT
//   audit case close --case ID --outcome OUTCOME [--note TEXT]
//   audit case list [--status open|closed] [--user ID] [--nhs N]
//   audit case show --case ID
//       the cases, or one whole; each an audit query of scope CASES,
//       recorded before anything is shown
#include <fmt/format.h>

#include <iostream>

#include "access/audit_read.h"
#include "access/investigation_case.h"
#include "ledger/case_rules.h"
#include "ledger/nhs_number.h"
#include "tools/audit_command.h"
#include "tools/command_flags.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/output.h"
#include "tools/plan_view.h"

namespace careledger::tools {
namespace {

using careledger::v1::Command;
using careledger::v1::CommandResult;
using careledger::v1::InvestigationCase;

struct CaseFlags {
  ActorFlags actor;
  std::string case_id;
  std::string title;
  std::string user_id;
  std::string nhs_number;
  std::string alert_id;
  std::string note;
  std::string outcome;
  std::string status;
  std::vector<std::string> thresholds;
};

// Submits a case command (access::ActOnCase) and prints its result.
int Act(const CaseFlags& flags, Command command, const Context& context) {
  absl::StatusOr<projections::InvestigationRequest> request =
      access::AlertsRequest("", flags.thresholds, {}, "--");
  if (!request.ok()) return ReportError(request.status(), context.json());
  if (command.actor().role() == careledger::v1::ROLE_AUDITOR) {
    // Bad input is refused before anything is opened or recorded.
    if (absl::Status valid = ledger::ValidateCaseCommand(command); !valid.ok()) {
      return ReportError(valid, context.json());
    }
  }
  absl::StatusOr<AuditSession> session = AuditSession::Open(context);
  if (!session.ok()) return ReportError(session.status(), context.json());
  absl::StatusOr<CommandResult> result =
      access::ActOnCase(session->writer(), command, request->thresholds, *session->feed,
                        RecordTimeReader(&*session), session->deadline());
  if (!result.ok()) return ReportError(result.status(), context.json());
  session->submitter->Print(*result);
  return result->outcome() == careledger::v1::OUTCOME_REJECTED ? kExitRejected : kExitOk;
}

std::string About(const InvestigationCase& found) {
  if (found.user_id().empty()) return fmt::format("patient {}", found.nhs_number());
  return found.user_name().empty()
             ? fmt::format("user {}", found.user_id())
             : fmt::format("user {} \"{}\"", found.user_id(), found.user_name());
}

std::string StatusText(const InvestigationCase& found) {
  return found.status() == careledger::v1::CASE_STATUS_CLOSED
             ? fmt::format("closed: {}", access::ReviewOutcomeName(found.outcome()))
             : "open";
}

int RunList(const CaseFlags& flags, const Context& context) {
  absl::StatusOr<careledger::v1::CaseStatus> status =
      access::ParseCaseStatus("--status", flags.status);
  if (!status.ok()) return ReportError(status.status(), context.json());
  projections::CaseFilter filter;
  filter.status = *status;
  filter.user_id = flags.user_id;
  filter.nhs_number = ledger::NhsNumberAsEntered(flags.nhs_number);
  Command command = flags.actor.NewCommand();
  command.mutable_audit_query()->set_scope(careledger::v1::AUDIT_SCOPE_CASES);
  absl::StatusOr<AuditSession> session = AuditSession::Open(context);
  if (!session.ok()) return ReportError(session.status(), context.json());
  absl::StatusOr<access::CasesRead> read =
      access::ReadCases(session->writer(), command, filter, *session->feed, session->deadline());
  if (!read.ok()) return ReportError(read.status(), context.json());
  if (!read->granted()) return session->Refused(read->recorded);
  if (context.json()) {
    for (const InvestigationCase& found : *read->cases) std::cout << ToJsonLine(found) << "\n";
    return kExitOk;
  }
  std::cout << fmt::format("{} case{} (query recorded at partition {} offset {})\n",
                           read->cases->size(), read->cases->size() == 1 ? "" : "s",
                           read->recorded.partition(), read->recorded.offset());
  for (const InvestigationCase& found : *read->cases) {
    std::cout << fmt::format("{}  {}  {}  opened {}  {} alerts, {} notes  {}\n", found.case_id(),
                             StatusText(found), About(found), TimeText(found.opened_at()),
                             found.alert_ids_size(), found.note_count(), found.title());
  }
  return kExitOk;
}

int RunShow(const CaseFlags& flags, const Context& context) {
  if (absl::Status valid = ledger::ValidateCaseId(flags.case_id); !valid.ok()) {
    return ReportError(valid, context.json());
  }
  Command command = flags.actor.NewCommand();
  command.mutable_audit_query()->set_scope(careledger::v1::AUDIT_SCOPE_CASES);
  command.mutable_audit_query()->set_subject(flags.case_id);
  absl::StatusOr<AuditSession> session = AuditSession::Open(context);
  if (!session.ok()) return ReportError(session.status(), context.json());
  absl::StatusOr<access::CaseRead> read =
      access::ReadCase(session->writer(), command, *session->feed, session->deadline());
  if (!read.ok()) return ReportError(read.status(), context.json());
  if (!read->granted()) return session->Refused(read->recorded);
  const InvestigationCase& found = *read->found;
  if (context.json()) {
    std::cout << ToJsonLine(found) << "\n";
    return kExitOk;
  }
  std::cout << fmt::format("case {}: {}\n  about {}\n  {}\n", found.case_id(), found.title(),
                           About(found), StatusText(found));
  for (const careledger::v1::CaseEntry& entry : found.entries()) {
    std::string what = entry.action();
    if (!entry.alert_id().empty()) what += " " + entry.alert_id();
    if (entry.outcome() != careledger::v1::ALERT_REVIEW_OUTCOME_UNSPECIFIED) {
      what += " " + access::ReviewOutcomeName(entry.outcome());
    }
    const std::string& text = entry.note().empty() ? entry.title() : entry.note();
    std::cout << fmt::format(
        "  {}  {}{}  {}{}  (partition {} offset {})\n", TimeText(entry.at()),
        entry.actor().user_id(),
        entry.actor_name().empty() ? "" : fmt::format(" \"{}\"", entry.actor_name()), what,
        text.empty() ? "" : fmt::format(": \"{}\"", text), entry.position().partition(),
        entry.position().offset());
  }
  return kExitOk;
}

CLI::App* Sub(CLI::App* parent, const std::string& name, const std::string& help,
              const std::shared_ptr<CaseFlags>& flags) {
  CLI::App* sub = parent->add_subcommand(name, help);
  flags->actor.role = "auditor";
  flags->actor.Register(sub);
  return sub;
}

}  // namespace

void RegisterAuditCase(CLI::App* audit, Runner* run) {
  CLI::App* group = audit->add_subcommand(
      "case",
      "Investigation cases: the CMC team's file on one person or patient, grouping "
      "alerts and notes, each act a signed event");
  group->require_subcommand(1);

  auto open_flags = std::make_shared<CaseFlags>();
  CLI::App* open = Sub(group, "open", "Open a case on a user or a patient", open_flags);
  open->add_option("--title", open_flags->title, "What the case is about (one line)")->required();
  open->add_option("--user", open_flags->user_id, "The user investigated");
  open->add_option("--nhs", open_flags->nhs_number, "The patient concerned");
  open->add_option("--case-id", open_flags->case_id,
                   "The case id (a-z, 0-9, '-'); by default named from the command id");
  open->callback([run, open_flags] {
    *run = [open_flags](const Context& context) {
      Command command = open_flags->actor.NewCommand();
      careledger::v1::OpenCase* body = command.mutable_open_case();
      body->set_case_id(open_flags->case_id.empty() ? access::CaseIdFor(command.command_id())
                                                    : open_flags->case_id);
      body->set_title(open_flags->title);
      body->set_user_id(open_flags->user_id);
      body->set_nhs_number(ledger::NhsNumberAsEntered(open_flags->nhs_number));
      return Act(*open_flags, std::move(command), context);
    };
  });

  auto add_flags = std::make_shared<CaseFlags>();
  CLI::App* add =
      Sub(group, "add-alert", "Put an alert the rules raise in an open case", add_flags);
  add->add_option("--case", add_flags->case_id, "The case id")->required();
  add->add_option("--alert", add_flags->alert_id, "The alert's id, as `audit alerts` shows it")
      ->required();
  add->add_option("--threshold", add_flags->thresholds,
                  "KEY=VALUE, repeatable: the thresholds the alert was listed with");
  add->callback([run, add_flags] {
    *run = [add_flags](const Context& context) {
      Command command = add_flags->actor.NewCommand();
      command.mutable_add_case_alert()->set_case_id(add_flags->case_id);
      command.mutable_add_case_alert()->set_alert_id(add_flags->alert_id);
      return Act(*add_flags, std::move(command), context);
    };
  });

  auto note_flags = std::make_shared<CaseFlags>();
  CLI::App* note = Sub(group, "note", "Add a note to an open case", note_flags);
  note->add_option("--case", note_flags->case_id, "The case id")->required();
  note->add_option("--note", note_flags->note, "The note (at most 2000 characters)")->required();
  note->callback([run, note_flags] {
    *run = [note_flags](const Context& context) {
      Command command = note_flags->actor.NewCommand();
      command.mutable_add_case_note()->set_case_id(note_flags->case_id);
      command.mutable_add_case_note()->set_note(note_flags->note);
      return Act(*note_flags, std::move(command), context);
    };
  });

  auto close_flags = std::make_shared<CaseFlags>();
  CLI::App* close = Sub(group, "close", "Close an open case with an outcome", close_flags);
  close->add_option("--case", close_flags->case_id, "The case id")->required();
  close
      ->add_option("--outcome", close_flags->outcome,
                   "justified, inappropriate-access-confirmed, false-positive or referred")
      ->required();
  close->add_option("--note", close_flags->note, "What was concluded");
  close->callback([run, close_flags] {
    *run = [close_flags](const Context& context) {
      absl::StatusOr<careledger::v1::AlertReviewOutcome> outcome =
          access::ParseReviewOutcome("--outcome", close_flags->outcome);
      if (!outcome.ok()) return ReportError(outcome.status(), context.json());
      Command command = close_flags->actor.NewCommand();
      command.mutable_close_case()->set_case_id(close_flags->case_id);
      command.mutable_close_case()->set_outcome(*outcome);
      command.mutable_close_case()->set_note(close_flags->note);
      return Act(*close_flags, std::move(command), context);
    };
  });

  auto list_flags = std::make_shared<CaseFlags>();
  CLI::App* list =
      Sub(group, "list", "The cases (recorded first, like every audit query)", list_flags);
  list->add_option("--status", list_flags->status, "open or closed");
  list->add_option("--user", list_flags->user_id, "Only cases on this user");
  list->add_option("--nhs", list_flags->nhs_number, "Only cases on this patient");
  list->callback([run, list_flags] {
    *run = [list_flags](const Context& context) { return RunList(*list_flags, context); };
  });

  auto show_flags = std::make_shared<CaseFlags>();
  CLI::App* show =
      Sub(group, "show", "One case whole: every signed act on it, oldest first", show_flags);
  show->add_option("--case", show_flags->case_id, "The case id")->required();
  show->callback([run, show_flags] {
    *run = [show_flags](const Context& context) { return RunShow(*show_flags, context); };
  });
}

}  // namespace careledger::tools
