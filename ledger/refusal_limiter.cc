#include "ledger/refusal_limiter.h"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>

#include "absl/time/clock.h"
#include "events/time_util.h"

namespace careledger::ledger {
namespace {

std::string Rfc3339(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", time, absl::UTCTimeZone());
}

}  // namespace

careledger::v1::AccessRecorded SummaryRecord(const RefusalSummary& summary) {
  careledger::v1::AccessRecorded record;
  record.set_action(kSuppressedRefusalsAction);
  record.set_outcome(careledger::v1::ACCESS_OUTCOME_DENIED);
  record.set_reason(fmt::format(
      "{} further refusals of user '{}' on device '{}' between {} and {} were counted, "
      "not recorded one by one (more than {} in {})",
      summary.count, summary.actor.user_id(), summary.actor.device_id(), Rfc3339(summary.first),
      Rfc3339(summary.last), kRefusalBudget, absl::FormatDuration(kRefusalWindow)));
  *record.mutable_range_from() = events::ToTimestamp(summary.first);
  *record.mutable_range_to() = events::ToTimestamp(summary.last);
  return record;
}

bool RefusalLimiter::MakeRoom(absl::Time now) {
  if (windows_.size() < options_.max_keys) return true;
  absl::erase_if(windows_, [&](const auto& entry) {
    return entry.second.counted.count == 0 && now >= entry.second.start + options_.window;
  });
  return windows_.size() < options_.max_keys;
}

RefusalLimiter::Verdict RefusalLimiter::Admit(const careledger::v1::Actor& actor, absl::Time now) {
  std::pair<std::string, std::string> key{actor.user_id(), actor.device_id()};
  auto it = windows_.find(key);
  if (it == windows_.end()) {
    if (!MakeRoom(now)) return Verdict{};
    it = windows_.emplace(std::move(key), Window{now, 0, {}}).first;
  }
  Window& window = it->second;
  Verdict verdict;
  if (now >= window.start + options_.window) {
    if (window.counted.count > 0) verdict.summary = std::move(window.counted);
    window = Window{now, 0, {}};
  }
  if (window.recorded < options_.budget) {
    ++window.recorded;
    return verdict;
  }
  if (window.counted.count == 0) {
    window.counted.actor = actor;
    window.counted.first = now;
  }
  ++window.counted.count;
  window.counted.last = now;
  verdict.record_in_full = false;
  if (window.counted.count >= static_cast<std::uint64_t>(options_.summary_every)) {
    verdict.summary = std::move(window.counted);
    window.counted = RefusalSummary{};
  }
  return verdict;
}

std::vector<RefusalSummary> RefusalLimiter::TakeAll() {
  std::vector<RefusalSummary> summaries;
  for (auto& [key, window] : windows_) {
    if (window.counted.count > 0) summaries.push_back(std::move(window.counted));
    window.counted = RefusalSummary{};
  }
  std::sort(summaries.begin(), summaries.end(), [](const auto& a, const auto& b) {
    return std::tie(a.first, a.actor.user_id(), a.actor.device_id()) <
           std::tie(b.first, b.actor.user_id(), b.actor.device_id());
  });
  return summaries;
}

}  // namespace careledger::ledger
