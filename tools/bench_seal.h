// `careledger bench seal`: what sealing plan events (envelope version 2,
// events/sealed_body.h) costs, measured in one run on two scratch ledgers fed
// the same synthetic commands, one written in clear and one sealed: append
// and projection rates of each, sealed / clear as ratios, and each rate as a
// ratio to the machine's limits measured in the same run (Ed25519 signing or
// verification on the same threads; sealed, that plus AES-256-GCM sealing or
// opening at the sealed events' mean size).
#ifndef CARELEDGER_TOOLS_BENCH_SEAL_H_
#define CARELEDGER_TOOLS_BENCH_SEAL_H_

#include <cstddef>

#include "tools/context.h"

namespace careledger::tools {

struct SealBenchFlags {
  std::size_t events = 100'000;
  std::size_t patients = 10'000;
  std::size_t batch = 1024;
  int threads = 0;  // 0 = all cores
};

// Runs the benchmark and prints it (text or --json); returns the exit code.
int RunBenchSeal(const SealBenchFlags& flags, const Context& context);

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_BENCH_SEAL_H_
