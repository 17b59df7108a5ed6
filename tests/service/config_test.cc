// LoadServeConfig (service/config.h): defaults, then the file, then the
// environment; unknown keys and wrong kinds refused with their names.
#include "service/config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "tests/support/test_support.h"

namespace careledger::service {
namespace {

using careledger::testing::StatusIs;
using careledger::testing::TempDir;

// An environment made of `variables` only.
std::function<const char*(const char*)> Environment(
    const std::map<std::string, std::string>& variables) {
  return [variables](const char* name) -> const char* {
    const auto found = variables.find(name);
    return found == variables.end() ? nullptr : found->second.c_str();
  };
}

std::string WriteFile(const TempDir& dir, const std::string& text) {
  const std::string path = dir.Sub("serve.json");
  std::ofstream(path) << text;
  return path;
}

TEST(ServeConfigTest, DefaultsListenOnLoopbackWithTls) {
  absl::StatusOr<ServeConfig> config = LoadServeConfig("", Environment({}));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->listen_host, "127.0.0.1");
  EXPECT_EQ(config->listen_port, 8443);
  EXPECT_FALSE(config->insecure_http);
  EXPECT_EQ(config->token_audience, "careledger");
}

TEST(ServeConfigTest, AReplicaNamesItsWriterAndMayTakeALagBoundOfZero) {
  TempDir dir;
  const std::string path = WriteFile(dir, R"({"writer_url": "https://writer.example:8443"})");
  absl::StatusOr<ServeConfig> config =
      LoadServeConfig(path, Environment({{"CARELEDGER_SERVE_READY_MAX_LAG_SECONDS", "0"}}));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->writer_url, "https://writer.example:8443");
  EXPECT_EQ(config->ready_max_lag_seconds, 0);
  EXPECT_TRUE(config->replica_node.empty());  // only `serve --replica --node` sets it
  EXPECT_THAT(LoadServeConfig("", Environment({{"CARELEDGER_SERVE_READY_MAX_LAG_SECONDS", "-1"}})),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(LoadServeConfig(WriteFile(dir, R"({"replica_node": "r1"})"), Environment({})),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ServeConfigTest, TheEnvironmentOverridesTheFile) {
  TempDir dir;
  const std::string path = WriteFile(
      dir, R"({"listen_port": 9000, "max_body_bytes": 100, "trusted_proxies": ["10.0.0.1"],
              "tls_private_key": "/etc/careledger/key.pem"})");
  absl::StatusOr<ServeConfig> config =
      LoadServeConfig(path, Environment({{"CARELEDGER_SERVE_LISTEN_PORT", "9443"},
                                         {"CARELEDGER_SERVE_TLS_CLIENT_CA", "/etc/ca.pem"},
                                         {"CARELEDGER_SERVE_INSECURE_HTTP", "true"},
                                         {"CARELEDGER_SERVE_TRUSTED_PROXIES", R"(["10.0.0.2"])"}}));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->listen_port, 9443);
  EXPECT_EQ(config->max_body_bytes, 100u);
  EXPECT_EQ(config->tls_private_key, "/etc/careledger/key.pem");
  EXPECT_EQ(config->tls_client_ca, "/etc/ca.pem");
  EXPECT_TRUE(config->insecure_http);
  EXPECT_EQ(config->trusted_proxies, std::vector<std::string>{"10.0.0.2"});
}

TEST(ServeConfigTest, AStringKeyTakesTheVariableAsWritten) {
  // A host name that parses as JSON (a number) is still the string.
  absl::StatusOr<ServeConfig> config =
      LoadServeConfig("", Environment({{"CARELEDGER_SERVE_LISTEN_HOST", "0"}}));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->listen_host, "0");
}

TEST(ServeConfigTest, TheReviewWindowDefaultsTo28DaysAndIsAtMostAYear) {
  absl::StatusOr<ServeConfig> defaults = LoadServeConfig("", Environment({}));
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(defaults->review_window_days, 28);
  TempDir dir;
  absl::StatusOr<ServeConfig> set =
      LoadServeConfig(WriteFile(dir, R"({"review_window_days": 0})"), Environment({}));
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->review_window_days, 0);
  absl::StatusOr<ServeConfig> too_far =
      LoadServeConfig("", Environment({{"CARELEDGER_SERVE_REVIEW_WINDOW_DAYS", "367"}}));
  EXPECT_THAT(too_far, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_NE(too_far.status().message().find("review_window_days"), std::string::npos);
}

TEST(ServeConfigTest, UnknownKeysAndWrongKindsAreRefusedByName) {
  TempDir dir;
  absl::StatusOr<ServeConfig> unknown =
      LoadServeConfig(WriteFile(dir, R"({"tls_key_password": "secret"})"), Environment({}));
  EXPECT_THAT(unknown, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_NE(unknown.status().message().find("tls_key_password"), std::string::npos);

  absl::StatusOr<ServeConfig> kind =
      LoadServeConfig(WriteFile(dir, R"({"listen_port": "8443"})"), Environment({}));
  EXPECT_THAT(kind, StatusIs(absl::StatusCode::kInvalidArgument));

  absl::StatusOr<ServeConfig> range =
      LoadServeConfig("", Environment({{"CARELEDGER_SERVE_LISTEN_PORT", "70000"}}));
  EXPECT_THAT(range, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_NE(range.status().message().find("CARELEDGER_SERVE_LISTEN_PORT"), std::string::npos);

  absl::StatusOr<ServeConfig> flag =
      LoadServeConfig("", Environment({{"CARELEDGER_SERVE_INSECURE_HTTP", "yes"}}));
  EXPECT_THAT(flag, StatusIs(absl::StatusCode::kInvalidArgument));

  EXPECT_THAT(LoadServeConfig(WriteFile(dir, "[1, 2]"), Environment({})),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(LoadServeConfig(dir.Sub("missing.json"), Environment({})),
              StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace careledger::service
