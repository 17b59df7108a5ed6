#include "tests/support/test_support.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <random>

#include "ledger/genesis.h"

namespace careledger::testing {

TempDir::TempDir() {
  std::random_device random;
  path_ = std::filesystem::temp_directory_path() /
          ("careledger-test-" + std::to_string(getpid()) + "-" + std::to_string(random()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string KafkaBootstrapOrFail() {
  const char* bootstrap = std::getenv("CARELEDGER_KAFKA_BOOTSTRAP");
  if (bootstrap == nullptr || *bootstrap == '\0') {
    ADD_FAILURE() << "CARELEDGER_KAFKA_BOOTSTRAP is not set: this test needs the real Kafka "
                     "broker (run tests/run.sh, or deploy/kafka/kafka.sh start and export it)";
    return "";
  }
  return bootstrap;
}

std::string UniqueName(const std::string& prefix) {
  static std::atomic<int> counter{0};
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return prefix + "-" + std::to_string(getpid()) + "-" +
         std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(now).count()) + "-" +
         std::to_string(counter++);
}

TestSigner MakeTestSigner(const std::string& key_id) {
  absl::StatusOr<events::SigningKey> key = events::SigningKey::Generate();
  if (!key.ok()) std::abort();
  events::Keyring keyring;
  auto verifying = events::VerifyingKey::FromRaw(key->public_key());
  if (!verifying.ok() ||
      !keyring.Add(events::KeyEntry{key_id, *verifying, absl::UnixEpoch()}).ok()) {
    std::abort();
  }
  return TestSigner{key_id, *key, std::move(keyring)};
}

void WriteTestGenesis(ledger::Log& log, const TestSigner& signer) {
  const absl::StatusOr<std::string> log_id = ledger::WriteGenesis(
      log, signer.key_id, signer.key, absl::UnixEpoch() + absl::Seconds(1), "test");
  ASSERT_TRUE(log_id.ok()) << log_id.status();
}

}  // namespace careledger::testing
