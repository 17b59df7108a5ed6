#include "service/alert_watch.h"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <map>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/str_replace.h"
#include "projections/investigation.h"

namespace careledger::service {

void AlertWatch::Start() {
  from_ = absl::Now();
  thread_ = std::jthread([this](std::stop_token stop) {
    std::mutex mutex;
    std::condition_variable_any wake;
    for (;;) {
      std::unique_lock lock(mutex);
      wake.wait_for(lock, stop, absl::ToChronoMilliseconds(interval_), [] { return false; });
      if (stop.stop_requested()) return;
      lock.unlock();
      ScanOnce();
    }
  });
}

void AlertWatch::Stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  thread_.join();
}

void AlertWatch::ScanOnce() {
  const ProjectionStatus status = projection_->Status();
  if (!status.caught_up_at) return;
  const absl::Time to = *status.caught_up_at - kSettle;
  if (to <= from_) return;
  projections::InvestigationRequest request;
  request.from = from_;
  request.to = to;
  absl::StatusOr<projections::Investigation> found =
      projections::Investigate(projection_->store(), request);
  if (!found.ok()) {
    spdlog::warn("alert scan failed ({}); the next one tries these records again",
                 std::string(found.status().message()));
    return;
  }
  std::map<std::pair<std::string, std::string>, std::uint64_t> counts;
  for (const careledger::v1::Alert& alert : found->alerts) {
    // ALERT_SEVERITY_HIGH -> "high"
    std::string severity = absl::AsciiStrToLower(absl::StrReplaceAll(
        careledger::v1::AlertSeverity_Name(alert.severity()), {{"ALERT_SEVERITY_", ""}}));
    ++counts[{alert.rule(), std::move(severity)}];
  }
  for (const auto& [key, count] : counts) metrics_->CountAlerts(key.first, key.second, count);
  from_ = to;
}

}  // namespace careledger::service
