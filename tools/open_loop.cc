#include "tools/open_loop.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>
#include <thread>

namespace careledger::tools {
namespace {

using Clock = std::chrono::steady_clock;

double Millis(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

}  // namespace

double Quantile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  const double rank = std::ceil(q * static_cast<double>(sorted.size()));
  const std::size_t index = rank < 1 ? 0 : static_cast<std::size_t>(rank) - 1;
  return sorted[std::min(index, sorted.size() - 1)];
}

OpenLoopResult RunOpenLoop(const OpenLoopOptions& options, const SendRequest& send) {
  const double rate = options.rate_per_second > 0 ? options.rate_per_second : 1;
  const auto total = static_cast<std::size_t>(
      std::max(1.0, std::floor(rate * std::chrono::duration<double>(options.duration).count())));
  const auto interval =
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / rate));
  const Clock::time_point start = Clock::now() + std::chrono::milliseconds(10);

  // Each worker claims the next request number; request i is due at
  // start + i * interval. A worker that claims a request before it is due
  // sleeps until then; one that claims it late sends at once, and the
  // lateness is part of the latency.
  std::atomic<std::size_t> next{0};
  std::mutex mutex;
  std::vector<double> latencies;
  latencies.reserve(total);
  std::size_t failed = 0;
  Clock::time_point last_done = start;
  const int workers = std::max(1, options.workers);
  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(workers));
  for (int worker = 0; worker < workers; ++worker) {
    threads.emplace_back([&, worker] {
      std::vector<double> mine;
      std::size_t my_failed = 0;
      Clock::time_point my_last = start;
      for (;;) {
        const std::size_t i = next.fetch_add(1);
        if (i >= total) break;
        const Clock::time_point due = start + interval * static_cast<std::int64_t>(i);
        std::this_thread::sleep_until(due);
        const bool ok = send(worker);
        const Clock::time_point done = Clock::now();
        my_last = std::max(my_last, done);
        if (ok) {
          mine.push_back(Millis(done - due));
        } else {
          ++my_failed;
        }
      }
      std::lock_guard lock(mutex);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
      failed += my_failed;
      last_done = std::max(last_done, my_last);
    });
  }
  for (std::thread& thread : threads) thread.join();

  std::sort(latencies.begin(), latencies.end());
  OpenLoopResult result;
  result.scheduled = total;
  result.succeeded = latencies.size();
  result.failed = failed;
  result.seconds = std::chrono::duration<double>(last_done - start).count();
  result.achieved_per_second =
      result.seconds > 0 ? static_cast<double>(result.succeeded) / result.seconds : 0;
  result.p50_ms = Quantile(latencies, 0.50);
  result.p99_ms = Quantile(latencies, 0.99);
  result.p999_ms = Quantile(latencies, 0.999);
  result.max_ms = latencies.empty() ? 0 : latencies.back();
  return result;
}

}  // namespace careledger::tools
