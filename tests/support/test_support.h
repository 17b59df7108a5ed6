// Shared test helpers: status matchers, temporary directories, the Kafka
// broker address, and a test keyring with signing keys.
#ifndef CARELEDGER_TESTS_SUPPORT_TEST_SUPPORT_H_
#define CARELEDGER_TESTS_SUPPORT_TEST_SUPPORT_H_

#include <gmock/gmock.h>

#include <filesystem>
#include <string>

#include "absl/status/statusor.h"
#include "events/ed25519.h"
#include "events/failure.h"
#include "events/keyring.h"
#include "ledger/log.h"

namespace careledger::testing {

// Matches an OK absl::Status or StatusOr; prints the error otherwise.
MATCHER(IsOk, "is OK") {
  if constexpr (requires { arg.status(); }) {
    *result_listener << arg.status().ToString();
    return arg.ok();
  } else {
    *result_listener << arg.ToString();
    return arg.ok();
  }
}

// Matches a status (or StatusOr) with the given code.
MATCHER_P(StatusIs, code, "has status code " + ::testing::PrintToString(code)) {
  absl::Status status;
  if constexpr (requires { arg.status(); }) {
    status = arg.status();
  } else {
    status = arg;
  }
  *result_listener << status.ToString();
  return status.code() == code;
}

// Matches a status tagged with the given events::FailureKind.
MATCHER_P(FailsWith, kind, "fails with " + std::string(events::FailureKindName(kind))) {
  absl::Status status;
  if constexpr (requires { arg.status(); }) {
    status = arg.status();
  } else {
    status = arg;
  }
  *result_listener << status.ToString();
  return events::FailureKindOf(status) == kind;
}

// Unwraps a StatusOr in a test, failing the test (fatally) if it is an error.
#define CL_ASSERT_OK_AND_ASSIGN(lhs, expr)                    \
  auto CL_CONCAT(status_or_, __LINE__) = (expr);              \
  ASSERT_TRUE(CL_CONCAT(status_or_, __LINE__).ok())           \
      << CL_CONCAT(status_or_, __LINE__).status().ToString(); \
  lhs = *std::move(CL_CONCAT(status_or_, __LINE__))
#define CL_CONCAT_INNER(a, b) a##b
#define CL_CONCAT(a, b) CL_CONCAT_INNER(a, b)

// A fresh directory under the system temp dir, removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string Sub(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// The real broker's bootstrap address from CARELEDGER_KAFKA_BOOTSTRAP. Tests
// that need Kafka call this first: it fails the test (never skips it) when
// the variable is unset. tests/run.sh starts the broker and sets it.
std::string KafkaBootstrapOrFail();

// A name no earlier test run used (for Kafka topics and transactional ids).
std::string UniqueName(const std::string& prefix);

// A signing key and a keyring holding it, valid from the Unix epoch forever.
struct TestSigner {
  std::string key_id;
  events::SigningKey key;
  events::Keyring keyring;
};
TestSigner MakeTestSigner(const std::string& key_id = "test-key-1");

// Writes `log`'s genesis records (ledger/genesis.h) signed by `signer`, as
// `careledger init` does: every reader of a whole log requires them. Fails the
// current test on error.
void WriteTestGenesis(ledger::Log& log, const TestSigner& signer);

}  // namespace careledger::testing

#endif  // CARELEDGER_TESTS_SUPPORT_TEST_SUPPORT_H_
