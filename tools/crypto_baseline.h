// The machine's own limits, measured in the same run as a benchmark: how fast
// OpenSSL signs and verifies Ed25519 on this machine, per core and over the
// cores a benchmark uses, and how fast it seals and opens AES-256-GCM (the
// cipher of sealed bodies). Benchmarks report their rates as ratios to these.
#ifndef CARELEDGER_TOOLS_CRYPTO_BASELINE_H_
#define CARELEDGER_TOOLS_CRYPTO_BASELINE_H_

#include <cstddef>

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

struct AeadBaseline {
  int threads = 1;
  std::size_t bytes = 0;       // plaintext per operation
  double seal_per_second = 0;  // over `threads` threads
  double open_per_second = 0;  // over `threads` threads
};

// Seals and opens messages of `bytes` bytes with AES-256-GCM exactly as
// sealed bodies do (events/aes_gcm.h: OpenSSL EVP, a fresh random nonce per
// seal, the tag checked on open) for roughly `seconds` each, over `threads`.
AeadBaseline MeasureAeadBaseline(int threads, std::size_t bytes, double seconds = 1.0);

// The most operations per second a pipeline can reach that does, per item,
// one operation at `first_per_second` and, for a `share` of the items, one
// at `second_per_second` (both measured over the same threads):
// 1 / (1 / first + share / second). E.g. signing plus sealing.
double CombinedLimit(double first_per_second, double second_per_second, double share);

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_CRYPTO_BASELINE_H_
