// ParallelFor: the one place careledger fans CPU-bound work out over cores.
#ifndef CARELEDGER_EVENTS_PARALLEL_H_
#define CARELEDGER_EVENTS_PARALLEL_H_

#include <cstddef>
#include <functional>

namespace careledger::events {

// Calls fn(i) for every i in [0, count), on up to `threads` threads: the
// calling thread and helpers from a process-wide pool of HardwareThreads() - 1
// long-lived threads. Returns when all calls have returned. `fn` must be safe
// to call concurrently for different i and must not itself call ParallelFor.
void ParallelFor(std::size_t count, int threads, const std::function<void(std::size_t)>& fn);

// The number of hardware threads, at least 1.
int HardwareThreads();

}  // namespace careledger::events

#endif  // CARELEDGER_EVENTS_PARALLEL_H_
