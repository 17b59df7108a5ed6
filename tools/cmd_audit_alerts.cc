// careledger audit alerts | review: the investigation rules (docs/domain.md,
// "Investigation rules"; projections/investigation.h).
//
//   audit alerts [--from] [--to] [--rule NAME] [--user ID] [--unreviewed]
//                [--threshold KEY=VALUE ...]
//       runs every rule (or one) over the audit trail recorded in [from, to)
//       (or over one user's records in it: their alerts, the same as the
//       whole trail's for them; projections/investigation.h)
//       and lists the alerts, each with its reason, the evidence records and
//       its review. Like every audit command it is first decided and
//       recorded by the ledger (an AuditQuery of scope ALERTS: only the CMC
//       team), then answered from the projection, brought up to date.
//   audit review --alert ID --outcome OUTCOME [--note TEXT] [--threshold ...]
//       records an auditor's review of an alert as a signed event
//       (ReviewAlert -> AlertReviewed on "audit/alert/<id>"). For the CMC
//       team it first checks that the rules (with the thresholds given) do
//       raise that alert, and names the alert's patient in the review so
//       the review is in their trail.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <iostream>

#include "access/alert_review.h"
#include "access/audit_read.h"
#include "events/envelope.h"
#include "events/time_util.h"
#include "ledger/alert_review_rules.h"
#include "projections/investigation.h"
#include "tools/audit_command.h"
#include "tools/audit_view.h"
#include "tools/command_flags.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/output.h"
#include "tools/plan_view.h"

namespace careledger::tools {
namespace {

using careledger::v1::Alert;
using careledger::v1::CommandResult;

struct AlertFlags {
  ActorFlags actor;
  std::string from;
  std::string to;
  std::string rule;
  std::string user;
  std::string order;
  bool unreviewed = false;
  std::vector<std::string> thresholds;
};

struct ReviewFlags {
  ActorFlags actor;
  std::string alert_id;
  std::string outcome;
  std::string note;
  std::vector<std::string> thresholds;
};

absl::StatusOr<projections::RuleThresholds> Thresholds(
    const std::vector<std::string>& assignments) {
  absl::StatusOr<projections::InvestigationRequest> request =
      access::AlertsRequest("", assignments, {}, "--");
  if (!request.ok()) return request.status();
  return request->thresholds;
}

std::string SeverityText(careledger::v1::AlertSeverity severity) {
  return ShortEnum(careledger::v1::AlertSeverity_Name(severity), 15);  // "ALERT_SEVERITY_"
}

void PrintAlert(const Alert& alert, std::ostream& out) {
  const careledger::v1::Actor& actor = alert.actor();
  out << fmt::format(
      "{:<6} risk {:<3} {}  {}  {}{} ({}, {}){}\n", SeverityText(alert.severity()), alert.risk(),
      alert.alert_id(), TimeText(alert.at()), actor.user_id(),
      alert.actor_name().empty() ? "" : fmt::format(" \"{}\"", alert.actor_name()),
      ShortEnum(careledger::v1::Role_Name(actor.role()), 5),
      actor.organisation().empty() ? "-" : actor.organisation(),
      alert.nhs_number().empty() ? "" : fmt::format("  patient {}", alert.nhs_number()));
  out << fmt::format("       {}\n", alert.reason());
  if (alert.occurrences() > 1) {
    out << fmt::format("       repeated: {} records of this patient by this user, the last at {}\n",
                       alert.occurrences(), TimeText(alert.last_at()));
  }
  std::string evidence;
  for (const careledger::v1::EventPosition& position : alert.evidence()) {
    if (!evidence.empty()) evidence += ", ";
    evidence += fmt::format("{}/{}", position.partition(), position.offset());
  }
  out << fmt::format("       evidence (partition/offset; `audit access` opens one): {}\n",
                     evidence);
  if (alert.has_review()) {
    const careledger::v1::AlertReview& review = alert.review();
    out << fmt::format("       reviewed: {} by {} at {}{} (partition {} offset {})\n",
                       access::ReviewOutcomeName(review.outcome()), review.reviewed_by().user_id(),
                       TimeText(review.at()),
                       review.note().empty() ? "" : fmt::format(": \"{}\"", review.note()),
                       review.position().partition(), review.position().offset());
  } else {
    out << "       not reviewed\n";
  }
  if (alert.case_ids_size() > 0) {
    out << fmt::format("       in case{}: {}\n", alert.case_ids_size() == 1 ? "" : "s",
                       fmt::join(alert.case_ids(), ", "));
  }
}

int RunAlerts(const AlertFlags& flags, const Context& context) {
  careledger::v1::Command command = flags.actor.NewCommand();
  careledger::v1::AuditQuery* query = command.mutable_audit_query();
  query->set_scope(careledger::v1::AUDIT_SCOPE_ALERTS);
  query->set_subject(flags.rule);
  absl::StatusOr<access::AuditRange> range =
      access::ParseAuditRange(flags.from, flags.to, "--", query);
  if (!range.ok()) return ReportError(range.status(), context.json());
  absl::StatusOr<projections::InvestigationRequest> request =
      access::AlertsRequest(flags.rule, flags.thresholds, *range, "--");
  if (!request.ok()) return ReportError(request.status(), context.json());
  absl::StatusOr<projections::AlertOrder> order = access::ParseAlertOrder(flags.order, "--");
  if (!order.ok()) return ReportError(order.status(), context.json());
  request->order = *order;
  request->user_id = flags.user;

  absl::StatusOr<AuditSession> session = AuditSession::Open(context);
  if (!session.ok()) return ReportError(session.status(), context.json());
  absl::StatusOr<access::AlertsRead> read =
      access::ReadAlerts(session->writer(), command, *request, *session->feed, session->deadline());
  if (!read.ok()) return ReportError(read.status(), context.json());
  if (!read->granted()) return session->Refused(read->recorded);
  const CommandResult* recorded = &read->recorded;
  projections::Investigation* found = &*read->found;

  std::vector<Alert> alerts;
  std::size_t unreviewed = 0;
  for (Alert& alert : found->alerts) {
    if (!alert.has_review()) ++unreviewed;
    if (flags.unreviewed && alert.has_review()) continue;
    alerts.push_back(std::move(alert));
  }
  const std::vector<std::pair<std::string, std::string>> used =
      projections::ThresholdValues(request->thresholds);
  if (context.json()) {
    for (const Alert& alert : alerts) std::cout << ToJsonLine(alert) << "\n";
    nlohmann::json trailer;
    trailer["alerts"] = alerts.size();
    trailer["unreviewed"] = unreviewed;
    trailer["records_examined"] = found->records_examined;
    trailer["time_zone"] = found->time_zone;
    trailer["notes"] = found->notes;
    nlohmann::json values;
    for (const auto& [key, value] : used) values[key] = value;
    trailer["thresholds"] = std::move(values);
    trailer["recorded"] = MessageJson(*recorded);
    PrintJson(trailer);
    return kExitOk;
  }
  std::cout << fmt::format(
      "alerts{}{}, {}: {} alert{} ({} unreviewed) from {} audit records (this query is "
      "recorded: {} seq {}, partition {} offset {})\n",
      flags.rule.empty() ? "" : fmt::format(" of rule {}", flags.rule),
      flags.user.empty() ? "" : fmt::format(" of user {}", flags.user),
      RangeText(query->has_range_from() ? &query->range_from() : nullptr,
                query->has_range_to() ? &query->range_to() : nullptr),
      alerts.size(), alerts.size() == 1 ? "" : "s", unreviewed, found->records_examined,
      recorded->stream_id(), recorded->stream_seq(), recorded->partition(), recorded->offset());
  std::string values;
  for (const auto& [key, value] : used) values += fmt::format(" {}={}", key, value);
  std::cout << "thresholds:" << values << "\n";
  for (const std::string& note : found->notes) std::cout << "note: " << note << "\n";
  for (const Alert& alert : alerts) PrintAlert(alert, std::cout);
  return kExitOk;
}

int RunReview(const ReviewFlags& flags, const Context& context) {
  absl::StatusOr<careledger::v1::AlertReviewOutcome> outcome =
      access::ParseReviewOutcome("--outcome", flags.outcome);
  if (!outcome.ok()) return ReportError(outcome.status(), context.json());
  if (absl::Status valid = ledger::ValidateAlertId(flags.alert_id); !valid.ok()) {
    return ReportError(valid, context.json());
  }
  absl::StatusOr<projections::RuleThresholds> thresholds = Thresholds(flags.thresholds);
  if (!thresholds.ok()) return ReportError(thresholds.status(), context.json());
  absl::StatusOr<AuditSession> session = AuditSession::Open(context);
  if (!session.ok()) return ReportError(session.status(), context.json());
  careledger::v1::Command command = flags.actor.NewCommand();
  careledger::v1::ReviewAlert* review = command.mutable_review_alert();
  review->set_alert_id(flags.alert_id);
  review->set_outcome(*outcome);
  review->set_note(flags.note);
  absl::StatusOr<CommandResult> result =
      access::ReviewAlert(session->writer(), command, *thresholds, *session->feed,
                          RecordTimeReader(&*session), session->deadline());
  if (!result.ok()) return ReportError(result.status(), context.json());
  session->submitter->Print(*result);
  return result->outcome() == careledger::v1::OUTCOME_REJECTED ? kExitRejected : kExitOk;
}

}  // namespace

void RegisterAuditAlerts(CLI::App* audit, Runner* run) {
  auto flags = std::make_shared<AlertFlags>();
  CLI::App* alerts = audit->add_subcommand(
      "alerts",
      "The investigation rules' alerts over the audit trail (break-glass, restricted records, no "
      "relationship, family and neighbours, own record, late reads after a death, out of hours, "
      "many patients, unregistered devices, repeated refusals), each with its reason, evidence "
      "and review. Recorded first, like every audit query");
  flags->actor.role = "auditor";
  flags->actor.Register(alerts);
  alerts->add_option("--from", flags->from,
                     "Records from this time (YYYY-MM-DD, UTC, or ISO 8601)");
  alerts->add_option("--to", flags->to,
                     "Records until this time, exclusive (a day YYYY-MM-DD: to its end)");
  alerts->add_option(
      "--rule", flags->rule,
      fmt::format("Only this rule: {}", fmt::join(projections::kInvestigationRules, ", ")));
  alerts->add_option("--user", flags->user,
                     "Only this user's alerts: their records alone are examined (the same "
                     "alerts as over every user's, found faster)");
  alerts->add_flag("--unreviewed", flags->unreviewed, "Only alerts no auditor has reviewed");
  alerts->add_option("--order", flags->order,
                     "risk (the default: likeliest breaches first, by severity, rules "
                     "corroborating on the same user and patient, and repeats) or time");
  alerts->add_option("--threshold", flags->thresholds,
                     "KEY=VALUE, repeatable: deceased_days, working_hours (08:00-18:30), "
                     "time_zone, bank_holidays, out_of_hours_exempt, out_of_hours_shift_roles, "
                     "out_of_hours_exempt_orgs, many_patients, "
                     "many_patients_minutes, refusals, refusals_minutes, licence_months "
                     "(docs/domain.md has the defaults)");
  alerts->callback([run, flags] {
    *run = [flags](const Context& context) { return RunAlerts(*flags, context); };
  });

  auto review_flags = std::make_shared<ReviewFlags>();
  CLI::App* review = audit->add_subcommand(
      "review", "Record an auditor's review of an alert (a signed event): its outcome and a note");
  review_flags->actor.role = "auditor";
  review_flags->actor.Register(review);
  review
      ->add_option("--alert", review_flags->alert_id, "The alert's id, as `audit alerts` shows it")
      ->required();
  review
      ->add_option("--outcome", review_flags->outcome,
                   "justified, inappropriate-access-confirmed, false-positive or referred")
      ->required();
  review->add_option("--note", review_flags->note,
                     "What was found or done (required for inappropriate-access-confirmed and "
                     "referred)");
  review->add_option("--threshold", review_flags->thresholds,
                     "KEY=VALUE, repeatable: the thresholds the alert was listed with");
  review->callback([run, review_flags] {
    *run = [review_flags](const Context& context) { return RunReview(*review_flags, context); };
  });
}

}  // namespace careledger::tools
