#include "tools/crypto_baseline.h"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "events/aes_gcm.h"
#include "events/ed25519.h"

namespace careledger::tools {
namespace {

// Runs `operation` on `threads` threads for about `seconds`; returns
// operations per second over all threads.
template <typename Operation>
double Rate(int threads, double seconds, const Operation& operation) {
  std::atomic<bool> stop{false};
  std::atomic<long> done{0};
  std::vector<std::jthread> workers;
  const auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      long count = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        operation();
        ++count;
      }
      done += count;
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  workers.clear();  // joins
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return static_cast<double>(done.load()) / elapsed;
}

}  // namespace

CryptoBaseline MeasureCryptoBaseline(int threads, double seconds) {
  absl::StatusOr<events::SigningKey> key = events::SigningKey::Generate();
  if (!key.ok()) std::abort();
  const events::VerifyingKey verifying = *events::VerifyingKey::FromRaw(key->public_key());
  const std::string message(300, 'x');
  const std::string signature = *key->Sign(message);
  auto sign = [&] { (void)key->Sign(message); };
  auto verify = [&] { (void)verifying.Verify(message, signature); };

  CryptoBaseline baseline;
  baseline.threads = threads;
  baseline.sign_per_second_one_core = Rate(1, seconds, sign);
  baseline.verify_per_second_one_core = Rate(1, seconds, verify);
  baseline.sign_per_second =
      threads == 1 ? baseline.sign_per_second_one_core : Rate(threads, seconds, sign);
  baseline.verify_per_second =
      threads == 1 ? baseline.verify_per_second_one_core : Rate(threads, seconds, verify);
  return baseline;
}

AeadBaseline MeasureAeadBaseline(int threads, std::size_t bytes, double seconds) {
  const events::AesKey key = events::RandomAesKey();
  const std::string plaintext(bytes, 'x');
  const std::string aad(64, 'a');  // about a sealed body's: tag, version, seq, stream id
  absl::StatusOr<events::GcmSealed> sealed = events::AesGcmSeal(key, plaintext, aad);
  if (!sealed.ok()) std::abort();
  auto seal = [&] { (void)events::AesGcmSeal(key, plaintext, aad); };
  auto open = [&] {
    (void)events::AesGcmOpen(key, sealed->nonce, sealed->ciphertext_and_tag, aad);
  };
  AeadBaseline baseline;
  baseline.threads = threads;
  baseline.bytes = bytes;
  baseline.seal_per_second = Rate(threads, seconds, seal);
  baseline.open_per_second = Rate(threads, seconds, open);
  return baseline;
}

double CombinedLimit(double first_per_second, double second_per_second, double share) {
  if (first_per_second <= 0) return 0;
  if (share <= 0 || second_per_second <= 0) return first_per_second;
  return 1.0 / (1.0 / first_per_second + share / second_per_second);
}

}  // namespace careledger::tools
