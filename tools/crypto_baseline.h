// The machine's own limits, measured in the same run as a benchmark: how fast
// OpenSSL signs and verifies Ed25519 on this machine, per core and over the
// cores a benchmark uses. Benchmarks report their rates as ratios to these.
#ifndef CARELEDGER_TOOLS_CRYPTO_BASELINE_H_
#define CARELEDGER_TOOLS_CRYPTO_BASELINE_H_

namespace careledger::tools {

struct CryptoBaseline {
  int threads = 1;
  double sign_per_second_one_core = 0;
  double verify_per_second_one_core = 0;
  double sign_per_second = 0;    // over `threads` threads
  double verify_per_second = 0;  // over `threads` threads
};

// Signs and verifies a typical event-sized message (about 300 bytes) for
// roughly `seconds` per measurement, single-threaded and over `threads`.
CryptoBaseline MeasureCryptoBaseline(int threads, double seconds = 1.0);

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_CRYPTO_BASELINE_H_
