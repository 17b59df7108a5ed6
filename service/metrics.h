// The service's counters, rendered in the Prometheus text format (0.0.4).
// Thread safety: every method from any thread.
#ifndef CARELEDGER_SERVICE_METRICS_H_
#define CARELEDGER_SERVICE_METRICS_H_

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "ledger/writer.h"
#include "service/background_projection.h"

namespace careledger::service {

class Metrics {
 public:
  // One answered request: its route template (never the concrete path, which
  // may hold an NHS number), status and latency.
  void CountRequest(const std::string& route, int status, double seconds);
  // The number of access records one read waited on the writer for is not
  // visible from here; the writer's outcome is: applied, rejected, failed.
  void CountWriterOutcome(const std::string& outcome);
  // Something that failed verification, by where the service met it
  // ("read": a projection's content that differs from what the ledger
  // recorded for the read). The projector's stops are rendered from
  // ProjectionStatus as where="projection".
  void CountVerificationFailure(const std::string& where);
  // `count` more alerts raised by an investigation rule (service/alert_watch.h).
  void CountAlerts(const std::string& rule, const std::string& severity, std::uint64_t count);

  // The whole exposition, with the projection's state and the writer's
  // group commits (its next offsets give the projection's lag in records).
  std::string Render(const ProjectionStatus& projection, const ledger::CommitStats& commits) const;

 private:
  // Upper bounds of the latency buckets, seconds.
  static constexpr std::array<double, 12> kBuckets = {0.001, 0.002, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,   0.25,  0.5,   1,    2.5,   5};
  struct Histogram {
    std::array<std::uint64_t, kBuckets.size()> buckets{};
    std::uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, std::uint64_t> requests_ ABSL_GUARDED_BY(mutex_);
  std::map<std::string, Histogram> latency_ ABSL_GUARDED_BY(mutex_);
  std::map<std::string, std::uint64_t> writer_outcomes_ ABSL_GUARDED_BY(mutex_);
  std::map<std::string, std::uint64_t> verification_failures_ ABSL_GUARDED_BY(mutex_);
  std::map<std::pair<std::string, std::string>, std::uint64_t> alerts_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace careledger::service

#endif  // CARELEDGER_SERVICE_METRICS_H_
