#include "tools/bench_audit.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <random>

#include "projections/audit_queries.h"
#include "tools/bench_projection.h"
#include "tools/ledger_init.h"
#include "tools/load_runner.h"
#include "tools/projection_session.h"
#include "tools/synthetic.h"

namespace careledger::tools {
namespace {

// Times `query` (returning the entries it found) `count` times over
// `subjects` chosen at random.
template <typename Query>
absl::StatusOr<Latency> Measure(const std::vector<std::string>& subjects, std::size_t count,
                                std::mt19937_64& rng, Query query) {
  std::vector<double> millis;
  std::size_t entries = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const std::string& subject = subjects[rng() % subjects.size()];
    const auto began = std::chrono::steady_clock::now();
    absl::StatusOr<std::size_t> found = query(subject);
    if (!found.ok()) return found.status();
    millis.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - began)
            .count());
    entries += *found;
  }
  std::sort(millis.begin(), millis.end());
  Latency latency;
  latency.p50_ms = millis[millis.size() / 2];
  latency.p99_ms = millis[std::min(millis.size() - 1, millis.size() * 99 / 100)];
  latency.mean_entries = static_cast<double>(entries) / static_cast<double>(count);
  return latency;
}

}  // namespace

absl::StatusOr<AuditBenchResult> BenchAudit(const Context& context, const LoadOptions& load,
                                            std::size_t queries, int threads) {
  absl::StatusOr<InitializedLedger> created = InitializeLedger(context);
  if (!created.ok()) return created.status();
  std::unique_ptr<ledger::Log>* log = &created->log;
  AuditBenchResult result;
  result.log = (*log)->Describe();
  absl::StatusOr<LoadReport> written = WriteLoad(context, log->get(), load);
  if (!written.ok()) return written.status();
  result.commands = written->commands;
  result.access_records = written->access_records;
  result.write_seconds = written->seconds;

  std::unique_ptr<ProjectionSession> session;
  absl::StatusOr<projections::ProjectionReport> report =
      ProjectBenchLog(context, log->get(), threads, &session);
  if (!report.ok()) return report.status();
  result.records = report->records_applied;
  result.project_seconds = absl::ToDoubleSeconds(report->elapsed);

  // The generator's patients and users (tools/load_generator.cc names them).
  std::vector<std::string> patients, users;
  for (std::size_t i = 0; i < load.patients; ++i)
    patients.push_back(SyntheticNhsNumber(200'000 + i));
  for (std::size_t p = 0; p < std::max<std::size_t>(load.practices, 2); ++p) {
    users.push_back(fmt::format("gp.{}", p));
  }
  for (std::size_t c = 0; c < 4; ++c) {
    users.push_back(fmt::format("crew.{}", c));
    users.push_back(fmt::format("call.{}", c));
  }
  projections::AuditQueries audit(&session->store());
  projections::AuditPageRequest page;  // the first page of 50, oldest first
  std::mt19937_64 rng(load.seed);
  absl::StatusOr<Latency> by_patient =
      Measure(patients, queries, rng, [&](const std::string& nhs) -> absl::StatusOr<std::size_t> {
        absl::StatusOr<projections::AuditPage> found = audit.ListByPatient(nhs, page);
        if (!found.ok()) return found.status();
        return found->entries.size();
      });
  if (!by_patient.ok()) return by_patient.status();
  absl::StatusOr<Latency> by_user =
      Measure(users, queries, rng, [&](const std::string& user) -> absl::StatusOr<std::size_t> {
        absl::StatusOr<projections::AuditPage> found = audit.ListByUser(user, page);
        if (!found.ok()) return found.status();
        return found->entries.size();
      });
  if (!by_user.ok()) return by_user.status();
  result.patient_history = *by_patient;
  result.user_activity = *by_user;
  return result;
}

}  // namespace careledger::tools
