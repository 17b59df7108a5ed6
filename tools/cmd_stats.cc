// careledger stats: the CMC figures (docs/governance.md "Statistics";
// access/stats_read.h).
//
//   stats [--period month|year] [--from DAY] [--to DAY] [--org ODS]
//         [--review-on DAY] [--csv] [--unsuppressed] [--projection DIR]
//       plans by status, consent types and reviews overdue as of now; per
//       London month or year: plans started and first published by the type
//       of the organisation that started them, the median days from first
//       draft to publication, urgent-care views by organisation type, deaths
//       and the share who died in their first or second preferred place or
//       neither. A table, CSV (--csv) or JSON (--json). An audit query: the
//       ledger decides it (only the CMC team) and records it before anything
//       is shown. Counts from 1 to 4 are shown as "<5" unless --unsuppressed
//       (internal use; recorded as such).
#include <fmt/format.h>

#include <iostream>

#include "access/stats_read.h"
#include "tools/audit_command.h"
#include "tools/audit_export.h"
#include "tools/command_flags.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/output.h"

namespace careledger::tools {
namespace {

struct StatsFlags {
  ActorFlags actor;
  access::StatisticsInput input;
  bool csv = false;
  std::string projection;  // --projection DIR: a replay
};

// One CSV record: fields quoted as RFC 4180 (CsvField), ended by LF, not
// CRLF: standard output escapes every control character but LF and tab
// (tools/output.h), and CSV readers take LF.
std::string CsvRecord(const std::vector<std::string>& fields) {
  std::string line;
  for (const std::string& field : fields) {
    if (!line.empty()) line += ',';
    line += CsvField(field);
  }
  return line + "\n";
}

void PrintCsv(const std::vector<access::StatisticsRow>& rows) {
  std::cout << CsvRecord({"period", "figure", "group", "value", "share"});
  for (const access::StatisticsRow& row : rows) {
    std::cout << CsvRecord({row.period, row.figure, row.group, row.value, row.share});
  }
}

void PrintTable(const std::vector<access::StatisticsRow>& rows) {
  std::cout << fmt::format("{:<8} {:<28} {:<26} {:>8} {:>7}\n", "period", "figure", "group",
                           "value", "share%");
  for (const access::StatisticsRow& row : rows) {
    std::cout << fmt::format("{:<8} {:<28} {:<26} {:>8} {:>7}\n", row.period, row.figure, row.group,
                             row.value, row.share);
  }
}

int RunStats(const StatsFlags& flags, const Context& context) {
  if (flags.csv && context.json()) {
    return ReportError(absl::InvalidArgumentError("--csv and --json: choose one"), false);
  }
  careledger::v1::Command command = flags.actor.NewCommand();
  absl::StatusOr<projections::StatisticsRequest> request =
      access::StatisticsRequestOf(flags.input, "--", command.mutable_audit_query());
  if (!request.ok()) return ReportError(request.status(), context.json());
  absl::StatusOr<AuditSession> session = AuditSession::Open(context);
  if (!session.ok()) return ReportError(session.status(), context.json());
  absl::StatusOr<access::StatisticsRead> read = access::ReadStatistics(
      session->writer(), command, *request, *session->feed, session->deadline());
  if (!read.ok()) return ReportError(read.status(), context.json());
  if (!read->granted()) return session->Refused(read->recorded);

  const bool suppress = !flags.input.unsuppressed;
  const std::vector<access::StatisticsRow> rows =
      access::StatisticsRows(*read->figures, *request, suppress);
  const careledger::v1::CommandResult& recorded = read->recorded;
  if (context.json()) {
    nlohmann::json answer = access::StatisticsJson(rows, *request, suppress);
    answer["recorded"] = MessageJson(recorded);
    PrintJson(answer);
    return kExitOk;
  }
  if (flags.csv) {
    PrintCsv(rows);
    return kExitOk;
  }
  std::cout << fmt::format(
      "statistics{} by {} (Europe/London){}; counts 1-4 {} (this query is recorded: {} seq {}, "
      "partition {} offset {})\n",
      request->organisation.empty() ? "" : fmt::format(" of {}", request->organisation),
      flags.input.period, flags.input.from.empty() && flags.input.to.empty() ? "" : ", in range",
      suppress ? "shown as <5" : "NOT suppressed: not for release", recorded.stream_id(),
      recorded.stream_seq(), recorded.partition(), recorded.offset());
  PrintTable(rows);
  return kExitOk;
}

}  // namespace

void RegisterStats(CLI::App& app, Runner* run) {
  auto flags = std::make_shared<StatsFlags>();
  CLI::App* stats = app.add_subcommand(
      "stats",
      "The CMC figures: plans by status, consent types, reviews overdue; per month or year plans "
      "started and published by organisation type, median days to publication, urgent-care "
      "views, deaths in the preferred place. An audit query (CMC team only), recorded first; "
      "counts 1-4 shown as <5");
  flags->actor.role = "auditor";
  flags->actor.Register(stats);
  stats->add_option("--period", flags->input.period, "month (default) or year (Europe/London)");
  stats->add_option("--from", flags->input.from, "From this day (YYYY-MM-DD, London)");
  stats->add_option("--to", flags->input.to, "To this day, inclusive (YYYY-MM-DD, London)");
  stats->add_option("--org", flags->input.organisation,
                    "Only this organisation (ODS code): plans it started, views by its users");
  stats->add_option("--review-on", flags->input.review_on,
                    "Reviews dated before this day are overdue (YYYY-MM-DD; default today)");
  AddProjectionFlag(stats, &flags->projection);
  stats->add_flag("--csv", flags->csv,
                  "CSV (RFC 4180 quoting, LF line ends): period,figure,group,value,share");
  stats->add_flag("--unsuppressed", flags->input.unsuppressed,
                  "Show counts 1-4 as they are: for the CMC team's internal use only; the query "
                  "is recorded as audit_statistics_unsuppressed");
  stats->callback([run, flags] {
    *run = [flags](const Context& context) {
      return RunStats(*flags, context.WithReplayProjection(flags->projection));
    };
  });
}

}  // namespace careledger::tools
