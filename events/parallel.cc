#include "events/parallel.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace careledger::events {

void ParallelFor(std::size_t count, int threads, const std::function<void(std::size_t)>& fn) {
  const std::size_t workers =
      std::min<std::size_t>(count, static_cast<std::size_t>(std::max(threads, 1)));
  if (workers <= 1) {
    for (std::size_t i = 0; i < count; ++i) fn(i);
    return;
  }
  // Work is handed out in small chunks so uneven items still balance.
  std::atomic<std::size_t> next{0};
  const std::size_t chunk = std::max<std::size_t>(1, count / (workers * 8));
  auto run = [&] {
    for (;;) {
      const std::size_t begin = next.fetch_add(chunk);
      if (begin >= count) return;
      const std::size_t end = std::min(count, begin + chunk);
      for (std::size_t i = begin; i < end; ++i) fn(i);
    }
  };
  std::vector<std::jthread> helpers;
  helpers.reserve(workers - 1);
  for (std::size_t t = 1; t < workers; ++t) helpers.emplace_back(run);
  run();
}

int HardwareThreads() { return std::max(1u, std::thread::hardware_concurrency()); }

}  // namespace careledger::events
