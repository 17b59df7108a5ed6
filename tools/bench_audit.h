// The audit benchmark's measured part: write a load (untimed here; the
// writer's own rate is reported), project it from nothing (timed: the audit
// projection's build rate, verification included), then time audit queries:
// a patient's history and a user's activity, the first page of 50, for
// random patients and users, reporting p50 and p99.
#ifndef CARELEDGER_TOOLS_BENCH_AUDIT_H_
#define CARELEDGER_TOOLS_BENCH_AUDIT_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "tools/context.h"
#include "tools/load_generator.h"

namespace careledger::tools {

struct Latency {
  double p50_ms = 0;
  double p99_ms = 0;
  double mean_entries = 0;  // entries per page returned
};

struct AuditBenchResult {
  std::string log;
  std::uint64_t commands = 0;
  std::uint64_t access_records = 0;  // among the records written
  double write_seconds = 0;
  std::uint64_t records = 0;   // projected
  double project_seconds = 0;  // verify + apply (all projections) + commit
  Latency patient_history;
  Latency user_activity;
};

absl::StatusOr<AuditBenchResult> BenchAudit(const Context& context, const LoadOptions& load,
                                            std::size_t queries, int threads);

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_BENCH_AUDIT_H_
