#include "ledger/internal/kafka_client.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <limits>
#include <utility>

#include "events/format.h"

namespace careledger::ledger::internal {
namespace {

// librdkafka reports syslog levels (0 emergency .. 7 debug).
void LogToSpdlog(const rd_kafka_t* handle, int level, const char* facility, const char* line) {
  const spdlog::level::level_enum spd_level = level <= 3   ? spdlog::level::err
                                              : level == 4 ? spdlog::level::warn
                                              : level <= 6 ? spdlog::level::info
                                                           : spdlog::level::debug;
  spdlog::log(spd_level, "librdkafka {} {}: {}", rd_kafka_name(handle), facility, line);
}

// Background errors (a broker went away, ...). librdkafka recovers from the
// non-fatal ones by itself, has already logged them, and the calls that
// depend on them report their own status: so only at debug level here.
void LogBackgroundError(rd_kafka_t* handle, int error, const char* reason, void* /*opaque*/) {
  const auto code = static_cast<rd_kafka_resp_err_t>(error);
  spdlog::debug("librdkafka {}: {} ({})", rd_kafka_name(handle), reason, rd_kafka_err2name(code));
}

absl::StatusCode CodeFor(rd_kafka_resp_err_t error) {
  if (IsFencedError(error)) return absl::StatusCode::kFailedPrecondition;
  switch (error) {
    case RD_KAFKA_RESP_ERR_NO_ERROR:
      return absl::StatusCode::kOk;
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
      return absl::StatusCode::kPermissionDenied;
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR__SSL:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
      return absl::StatusCode::kUnauthenticated;
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
    case RD_KAFKA_RESP_ERR_INVALID_CONFIG:
    case RD_KAFKA_RESP_ERR_INVALID_PARTITIONS:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
      return absl::StatusCode::kInvalidArgument;
    case RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR:
    case RD_KAFKA_RESP_ERR_POLICY_VIOLATION:
    case RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE:
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION:
    case RD_KAFKA_RESP_ERR__NOT_CONFIGURED:
    case RD_KAFKA_RESP_ERR__STATE:
    case RD_KAFKA_RESP_ERR_INVALID_TXN_STATE:
      return absl::StatusCode::kFailedPrecondition;
    case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS:
      return absl::StatusCode::kAlreadyExists;
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
      return absl::StatusCode::kNotFound;
    case RD_KAFKA_RESP_ERR_INVALID_MSG:
    case RD_KAFKA_RESP_ERR__BAD_MSG:
    case RD_KAFKA_RESP_ERR__BAD_COMPRESSION:
      return absl::StatusCode::kDataLoss;
    default:
      // Timeouts, lost connections, leaderless partitions, too few in-sync
      // replicas, coordinator moves and the rest: the cluster is not serving
      // us right now.
      return absl::StatusCode::kUnavailable;
  }
}

}  // namespace

void KafkaConsumerDeleter::operator()(rd_kafka_t* handle) const {
  // Readers consume by assignment, never join their group and commit
  // nothing: there is no group state to leave. So the handle is destroyed
  // without librdkafka's consumer close, which waits for the group
  // coordinator and can block for as long as brokers are down.
  rd_kafka_destroy_flags(handle, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
}

absl::StatusOr<KafkaConf> NewKafkaConf(const KafkaLogOptions& options,
                                       const std::map<std::string, std::string>& settings) {
  KafkaConf conf(rd_kafka_conf_new());
  std::array<char, 512> error_text{};
  auto set = [&](const std::string& name, const std::string& value) -> absl::Status {
    if (rd_kafka_conf_set(conf.get(), name.c_str(), value.c_str(), error_text.data(),
                          error_text.size()) != RD_KAFKA_CONF_OK) {
      return absl::InvalidArgumentError(
          fmt::format("kafka setting {}={}: {}", name, value, error_text.data()));
    }
    return absl::OkStatus();
  };
  if (absl::Status status = set("bootstrap.servers", options.bootstrap_servers); !status.ok()) {
    return status;
  }
  for (const auto& [name, value] : settings) {
    if (absl::Status status = set(name, value); !status.ok()) return status;
  }
  for (const auto& [name, value] : options.extra_config) {
    if (absl::Status status = set(name, value); !status.ok()) return status;
  }
  rd_kafka_conf_set_log_cb(conf.get(), &LogToSpdlog);
  rd_kafka_conf_set_error_cb(conf.get(), &LogBackgroundError);
  return conf;
}

namespace {

absl::StatusOr<rd_kafka_t*> NewHandle(rd_kafka_type_t type, KafkaConf conf) {
  std::array<char, 512> error_text{};
  rd_kafka_t* handle = rd_kafka_new(type, conf.get(), error_text.data(), error_text.size());
  if (handle == nullptr) {
    return absl::InvalidArgumentError(
        fmt::format("cannot create a kafka client: {}", error_text.data()));
  }
  (void)conf.release();  // rd_kafka_new took ownership
  return handle;
}

}  // namespace

namespace {

rd_kafka_resp_err_t LowerIfMainThread(rd_kafka_t* handle, rd_kafka_thread_type_t type,
                                      const char* /*thread_name*/, void* /*opaque*/) {
  if (type != RD_KAFKA_THREAD_MAIN) return RD_KAFKA_RESP_ERR_NO_ERROR;
  // On Linux a thread's nice value is its own: PRIO_PROCESS with its thread id.
  if (setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), kBusyWaitingMainThreadNice) != 0) {
    spdlog::warn("librdkafka {}: cannot lower the main thread's priority: {}",
                 rd_kafka_name(handle), std::strerror(errno));
  }
  return RD_KAFKA_RESP_ERR_NO_ERROR;
}

rd_kafka_resp_err_t AddThreadStartInterceptor(rd_kafka_t* handle, const rd_kafka_conf_t* /*conf*/,
                                              void* /*opaque*/, char* /*error_text*/,
                                              std::size_t /*error_size*/) {
  return rd_kafka_interceptor_add_on_thread_start(handle, "careledger.main-thread-priority",
                                                  &LowerIfMainThread, nullptr);
}

}  // namespace

absl::Status LowerMainThreadPriority(rd_kafka_conf_t* conf) {
  const rd_kafka_resp_err_t error = rd_kafka_conf_interceptor_add_on_new(
      conf, "careledger.main-thread-priority", &AddThreadStartInterceptor, nullptr);
  return KafkaStatus(error, "kafka client interceptor");
}

absl::StatusOr<KafkaProducer> NewKafkaProducer(KafkaConf conf) {
  absl::StatusOr<rd_kafka_t*> handle = NewHandle(RD_KAFKA_PRODUCER, std::move(conf));
  if (!handle.ok()) return handle.status();
  return KafkaProducer(*handle);
}

absl::StatusOr<KafkaConsumer> NewKafkaConsumer(KafkaConf conf) {
  absl::StatusOr<rd_kafka_t*> handle = NewHandle(RD_KAFKA_CONSUMER, std::move(conf));
  if (!handle.ok()) return handle.status();
  return KafkaConsumer(*handle);
}

absl::Status KafkaStatus(rd_kafka_resp_err_t error, std::string_view context) {
  if (error == RD_KAFKA_RESP_ERR_NO_ERROR) return absl::OkStatus();
  return absl::Status(CodeFor(error), fmt::format("{}: {} ({})", context, rd_kafka_err2str(error),
                                                  rd_kafka_err2name(error)));
}

absl::Status KafkaStatus(const rd_kafka_error_t& error, std::string_view context) {
  return absl::Status(CodeFor(rd_kafka_error_code(&error)),
                      fmt::format("{}: {} ({})", context, rd_kafka_error_string(&error),
                                  rd_kafka_error_name(&error)));
}

bool IsFencedError(rd_kafka_resp_err_t error) {
  return error == RD_KAFKA_RESP_ERR__FENCED || error == RD_KAFKA_RESP_ERR_PRODUCER_FENCED ||
         error == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH;
}

int TimeoutMs(std::chrono::milliseconds timeout) {
  return static_cast<int>(std::clamp<std::chrono::milliseconds::rep>(
      timeout.count(), 0, std::numeric_limits<int>::max()));
}

std::chrono::milliseconds Remaining(std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return left.count() < 0 ? std::chrono::milliseconds(0) : left;
}

}  // namespace careledger::ledger::internal
