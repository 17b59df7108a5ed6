#include "service/metrics.h"

#include <fmt/format.h>

#include <algorithm>

namespace careledger::service {

void Metrics::CountRequest(const std::string& route, int status, double seconds) {
  std::lock_guard lock(mutex_);
  ++requests_[{route, status}];
  Histogram& histogram = latency_[route];
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++histogram.buckets[i];
  }
  ++histogram.count;
  histogram.sum += seconds;
}

void Metrics::CountWriterOutcome(const std::string& outcome) {
  std::lock_guard lock(mutex_);
  ++writer_outcomes_[outcome];
}

void Metrics::CountVerificationFailure(const std::string& where) {
  std::lock_guard lock(mutex_);
  ++verification_failures_[where];
}

void Metrics::CountAlerts(const std::string& rule, const std::string& severity,
                          std::uint64_t count) {
  std::lock_guard lock(mutex_);
  alerts_[{rule, severity}] += count;
}

std::string Metrics::Render(const ProjectionStatus& projection,
                            const ledger::CommitStats& commits) const {
  std::string out;
  std::lock_guard lock(mutex_);
  out += "# HELP careledger_http_requests_total Requests answered, by route template and status.\n";
  out += "# TYPE careledger_http_requests_total counter\n";
  for (const auto& [key, count] : requests_) {
    out += fmt::format("careledger_http_requests_total{{route=\"{}\",status=\"{}\"}} {}\n",
                       key.first, key.second, count);
  }
  out += "# HELP careledger_http_request_duration_seconds Time from request read to answer.\n";
  out += "# TYPE careledger_http_request_duration_seconds histogram\n";
  for (const auto& [route, histogram] : latency_) {
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
      out += fmt::format(
          "careledger_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n", route,
          kBuckets[i], histogram.buckets[i]);
    }
    out += fmt::format(
        "careledger_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n", route,
        histogram.count);
    out += fmt::format("careledger_http_request_duration_seconds_sum{{route=\"{}\"}} {}\n", route,
                       histogram.sum);
    out += fmt::format("careledger_http_request_duration_seconds_count{{route=\"{}\"}} {}\n", route,
                       histogram.count);
  }
  out += "# HELP careledger_writer_submissions_total Commands the service submitted, by outcome.\n";
  out += "# TYPE careledger_writer_submissions_total counter\n";
  for (const auto& [outcome, count] : writer_outcomes_) {
    out +=
        fmt::format("careledger_writer_submissions_total{{outcome=\"{}\"}} {}\n", outcome, count);
  }
  out +=
      "# HELP careledger_writer_group_commit_commands Commands per durable append of the "
      "writer (one group commit: one fsync or Kafka transaction).\n";
  out += "# TYPE careledger_writer_group_commit_commands histogram\n";
  for (std::size_t i = 0; i < ledger::CommitStats::kBounds.size(); ++i) {
    out += fmt::format("careledger_writer_group_commit_commands_bucket{{le=\"{}\"}} {}\n",
                       ledger::CommitStats::kBounds[i], commits.appends_at_most[i]);
  }
  out += fmt::format("careledger_writer_group_commit_commands_bucket{{le=\"+Inf\"}} {}\n",
                     commits.appends);
  out += fmt::format("careledger_writer_group_commit_commands_sum {}\n", commits.commands);
  out += fmt::format("careledger_writer_group_commit_commands_count {}\n", commits.appends);
  out += "# HELP careledger_writer_group_commit_records_total Records those appends carried.\n";
  out += "# TYPE careledger_writer_group_commit_records_total counter\n";
  out += fmt::format("careledger_writer_group_commit_records_total {}\n", commits.records);
  out += "# HELP careledger_projection_next_offset The next log offset the projection applies.\n";
  out += "# TYPE careledger_projection_next_offset gauge\n";
  for (std::size_t p = 0; p < projection.next_offsets.size(); ++p) {
    out += fmt::format("careledger_projection_next_offset{{partition=\"{}\"}} {}\n", p,
                       projection.next_offsets[p]);
  }
  out +=
      "# HELP careledger_projection_lag_records Log offsets per partition between the "
      "writer's last durable record and the projection (on Kafka, transaction markers take "
      "offsets too).\n";
  out += "# TYPE careledger_projection_lag_records gauge\n";
  for (std::size_t p = 0; p < projection.next_offsets.size() && p < commits.next_offsets.size();
       ++p) {
    out += fmt::format(
        "careledger_projection_lag_records{{partition=\"{}\"}} {}\n", p,
        std::max<std::int64_t>(0, commits.next_offsets[p] - projection.next_offsets[p]));
  }
  out +=
      "# HELP careledger_projection_lag_seconds Time since the projector last reached the "
      "log's end (every partition).\n";
  out += "# TYPE careledger_projection_lag_seconds gauge\n";
  out += fmt::format("careledger_projection_lag_seconds {}\n",
                     projection.caught_up_at
                         ? absl::ToDoubleSeconds(absl::Now() - *projection.caught_up_at)
                         : -1.0);
  out +=
      "# HELP careledger_projection_stopped_partitions Partitions stopped on a record that "
      "failed verification.\n";
  out += "# TYPE careledger_projection_stopped_partitions gauge\n";
  out +=
      fmt::format("careledger_projection_stopped_partitions {}\n", projection.stopped_partitions);
  out +=
      "# HELP careledger_verification_failures_total Records or content that failed "
      "verification, by where the service met them.\n";
  out += "# TYPE careledger_verification_failures_total counter\n";
  std::map<std::string, std::uint64_t> failures = verification_failures_;
  failures["projection"] += projection.stopped_partitions;
  failures.try_emplace("read", 0);
  for (const auto& [where, count] : failures) {
    out += fmt::format("careledger_verification_failures_total{{where=\"{}\"}} {}\n", where, count);
  }
  out +=
      "# HELP careledger_alerts_raised_total Investigation alerts raised by records recorded "
      "since the service started, by rule and severity (counted by the periodic alert scan).\n";
  out += "# TYPE careledger_alerts_raised_total counter\n";
  for (const auto& [key, count] : alerts_) {
    out += fmt::format("careledger_alerts_raised_total{{rule=\"{}\",severity=\"{}\"}} {}\n",
                       key.first, key.second, count);
  }
  return out;
}

}  // namespace careledger::service
