// An open-loop load driver: requests are scheduled at a fixed arrival rate,
// whatever the system under test does, and each request's latency is measured
// from its scheduled time, not from when a worker got round to sending it. A
// stall therefore shows as latency of every request scheduled during it
// (no coordinated omission), as a benchmark of a service must report.
#ifndef CARELEDGER_TOOLS_OPEN_LOOP_H_
#define CARELEDGER_TOOLS_OPEN_LOOP_H_

#include <chrono>
#include <cstddef>
#include <functional>
#include <vector>

namespace careledger::tools {

struct OpenLoopOptions {
  double rate_per_second = 1000;  // arrivals scheduled per second, > 0
  std::chrono::milliseconds duration{10'000};
  // Concurrent senders (connections). When all are busy, scheduled requests
  // wait, and their waiting counts as latency.
  int workers = 16;
};

// Sends one request as worker `worker` (0..workers-1; a worker may keep a
// connection). Returns whether it succeeded; failures are counted, and their
// latency is not part of the percentiles.
using SendRequest = std::function<bool(int worker)>;

struct OpenLoopResult {
  std::size_t scheduled = 0;
  std::size_t succeeded = 0;
  std::size_t failed = 0;
  double seconds = 0;              // from the first scheduled time to the last completion
  double achieved_per_second = 0;  // succeeded / seconds
  double p50_ms = 0;
  double p99_ms = 0;
  double p999_ms = 0;
  double max_ms = 0;
};

// Runs the schedule to its end and waits for every request sent.
OpenLoopResult RunOpenLoop(const OpenLoopOptions& options, const SendRequest& send);

// The q-quantile (0..1) of `sorted` by the nearest-rank method; 0 when empty.
double Quantile(const std::vector<double>& sorted, double q);

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_OPEN_LOOP_H_
