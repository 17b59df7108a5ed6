#include "service/service.h"

#include <fmt/format.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>

#include "absl/strings/ascii.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "auth/dev_issuer.h"
#include "auth/device_authority.h"
#include "service/internal/service_impl.h"
#include "service/openapi.h"
#include "tools/projection_session.h"
#include "tools/safe_file.h"

namespace careledger::service {
namespace {

// How often the running service snapshots its writer (docs/snapshots.md).
constexpr auto kSnapshotInterval = std::chrono::minutes(10);

// Per request thread: when the request began (set before routing, read by
// the logger once the answer is written; httplib runs both on one thread).
thread_local std::optional<std::chrono::steady_clock::time_point> request_started;

// The route template of a path, for logs and metrics: never the concrete
// path, which may hold an NHS number.
std::string RouteTemplate(const std::string& method, const std::string& path) {
  static const std::vector<std::pair<std::regex, std::string>> routes = {
      {std::regex("^/v1/patients/[^/]+/plan$"), "/v1/patients/{nhs}/plan"},
      {std::regex("^/v1/commands$"), "/v1/commands"},
      {std::regex("^/v1/worklist$"), "/v1/worklist"},
      {std::regex("^/v1/audit/alerts$"), "/v1/audit/alerts"},
      {std::regex("^/v1/audit/records/[0-9]+/[0-9]+$"), "/v1/audit/records/{partition}/{offset}"},
      {std::regex("^/v1/audit/alerts/[a-z_]+/[0-9]+-[0-9]+/review$"),
       "/v1/audit/alerts/{alert}/review"},
      {std::regex("^/v1/audit/integrity$"), "/v1/audit/integrity"},
      {std::regex("^/v1/audit/[a-z]+/[^/]+$"), "/v1/audit/{scope}/{subject}"},
      {std::regex("^/v1/audit/[a-z]+/[^/]+/export$"), "/v1/audit/{scope}/{subject}/export"},
      {std::regex("^/healthz$"), "/healthz"},
      {std::regex("^/readyz$"), "/readyz"},
      {std::regex("^/metrics$"), "/metrics"},
      {std::regex("^/v1/openapi\\.json$"), "/v1/openapi.json"},
      {std::regex("^/audit(/.*)?$"), "/audit/{file}"},
  };
  for (const auto& [pattern, name] : routes) {
    if (std::regex_match(path, pattern)) return method + " " + name;
  }
  return method + " (unmatched)";
}

std::string StatusTitle(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 431:
      return "Request Header Fields Too Large";
    case 503:
      return "Service Unavailable";
    default:
      return status >= 500 ? "Server Error" : "Client Error";
  }
}

std::string NewRequestId() {
  static std::atomic<std::uint64_t> next{0};
  static const std::uint64_t prefix = std::random_device{}();
  return fmt::format("{:08x}-{:x}", static_cast<std::uint32_t>(prefix), ++next);
}

// One JSON object a line on stderr: never an NHS number, a query string or
// clinical content; the route template stands for the path.
void LogRequest(const std::string& request_id, const std::string& route, int status,
                double milliseconds) {
  static std::mutex mutex;
  nlohmann::json line;
  line["ts"] = absl::FormatTime(absl::RFC3339_full, absl::Now(), absl::UTCTimeZone());
  line["request_id"] = request_id;
  line["route"] = route;
  line["status"] = status;
  line["latency_ms"] = milliseconds;
  const std::string text = JsonText(line) + "\n";
  std::lock_guard lock(mutex);
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

std::string DeviceIdOf(const SSL* ssl) {
  if (ssl == nullptr) return "";
  X509* certificate = SSL_get0_peer_certificate(ssl);
  // SSL_VERIFY_PEER already refused the handshake of a certificate that does
  // not verify against the client CA; this re-checks that one was verified.
  if (certificate == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) return "";
  absl::StatusOr<std::string> device = auth::DeviceAuthority::DeviceIdOf(certificate);
  return device.ok() ? *device : "";
}

// Empty TLS paths: a server certificate from the data directory's device CA
// (issued once, kept under <data>/auth/), and that CA for client
// certificates.
absl::Status DefaultTls(const std::string& data_dir, ServeConfig* config) {
  if (!config->tls_certificate.empty() && !config->tls_private_key.empty() &&
      !config->tls_client_ca.empty()) {
    return absl::OkStatus();
  }
  absl::StatusOr<auth::DeviceAuthority> authority = auth::DeviceAuthority::OpenOrCreate(data_dir);
  if (!authority.ok()) return authority.status();
  if (config->tls_client_ca.empty()) config->tls_client_ca = authority->ca_path();
  if (!config->tls_certificate.empty() || !config->tls_private_key.empty()) {
    return absl::OkStatus();
  }
  config->tls_certificate = data_dir + "/auth/server.crt";
  config->tls_private_key = data_dir + "/auth/server.key";
  if (std::filesystem::exists(config->tls_certificate) &&
      std::filesystem::exists(config->tls_private_key)) {
    return absl::OkStatus();
  }
  absl::StatusOr<auth::IssuedCertificate> issued = authority->IssueServer();
  if (!issued.ok()) return issued.status();
  for (const auto& [path, text] : {std::pair{config->tls_private_key, issued->private_key_pem},
                                   std::pair{config->tls_certificate, issued->certificate_pem}}) {
    if (absl::Status written = tools::WriteOutputFile(path, text, /*overwrite=*/false);
        !written.ok())
      return written;
  }
  spdlog::info(
      "issued a TLS server certificate for localhost and 127.0.0.1 from the data "
      "directory's device CA ({})",
      config->tls_certificate);
  return absl::OkStatus();
}

// The bearer token verifier: the configured issuer, or the data directory's
// development issuer when none is configured.
absl::StatusOr<auth::TokenVerifier> OpenVerifier(const std::string& data_dir, ServeConfig* config) {
  if (config->jwks_file.empty()) {
    absl::StatusOr<auth::DevIssuer> issuer = auth::DevIssuer::OpenOrCreate(data_dir);
    if (!issuer.ok()) return issuer.status();
    spdlog::warn(
        "no token issuer configured (jwks_file): trusting the data directory's "
        "DEVELOPMENT issuer {}; production configures its identity provider",
        issuer->issuer());
    config->jwks_file = issuer->jwks_path();
    if (config->token_issuer.empty()) config->token_issuer = issuer->issuer();
  }
  if (config->token_issuer.empty()) {
    return absl::InvalidArgumentError("jwks_file is set but token_issuer is not");
  }
  return auth::TokenVerifier::FromJwksFile(config->jwks_file, config->token_issuer,
                                           config->token_audience);
}

// The TLS context: this server's certificate and key, TLS 1.2 at least, and
// client certificates requested (devices present one; patients do not) and
// verified against the device CA.
bool SetUpTls(SSL_CTX& context, const ServeConfig& config) {
  SSL_CTX_set_min_proto_version(&context, TLS1_2_VERSION);
  SSL_CTX_set_options(&context, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_use_certificate_chain_file(&context, config.tls_certificate.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(&context, config.tls_private_key.c_str(), SSL_FILETYPE_PEM) !=
          1 ||
      SSL_CTX_check_private_key(&context) != 1) {
    return false;
  }
  if (SSL_CTX_load_verify_locations(&context, config.tls_client_ca.c_str(), nullptr) != 1) {
    return false;
  }
  SSL_CTX_set_client_CA_list(&context, SSL_load_client_CA_file(config.tls_client_ca.c_str()));
  SSL_CTX_set_verify(&context, SSL_VERIFY_PEER, nullptr);
  return true;
}

absl::Status CheckReadable(const std::string& path, const char* key) {
  if (path.empty() || !std::filesystem::exists(path)) {
    return absl::FailedPreconditionError(
        fmt::format("TLS needs {} ('{}' not found): set it in the configuration file or "
                    "CARELEDGER_SERVE_{}, or run with --insecure-http for development only",
                    key, path, absl::AsciiStrToUpper(key)));
  }
  return absl::OkStatus();
}

}  // namespace

Credentials CredentialsOf(const httplib::Request& request) {
  Credentials credentials;
  credentials.authorization = request.get_header_value("Authorization");
  credentials.verified_device_id = DeviceIdOf(request.ssl);
  credentials.peer_address = request.remote_addr;
  credentials.forwarded_for = request.get_header_value("X-Forwarded-For");
  return credentials;
}

std::string JsonText(const nlohmann::json& document) {
  return document.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void Problem(httplib::Response& response, int status, const std::string& title,
             const std::string& detail) {
  nlohmann::json problem;
  problem["type"] = "about:blank";
  problem["title"] = title;
  problem["status"] = status;
  problem["detail"] = detail;
  response.status = status;
  response.set_content(JsonText(problem), "application/problem+json");
}

void ProblemAt(httplib::Response& response, int status, const std::string& title,
               const std::string& detail, const careledger::v1::CommandResult& access) {
  nlohmann::json problem;
  problem["type"] = "about:blank";
  problem["title"] = title;
  problem["status"] = status;
  problem["detail"] = detail;
  problem["access"] = Position(access);
  response.status = status;
  response.set_content(JsonText(problem), "application/problem+json");
}

void Json(httplib::Response& response, int status, const std::string& body) {
  response.status = status;
  response.set_content(body, "application/json; charset=utf-8");
}

int HttpStatusOf(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
      return 409;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kFailedPrecondition:
      return 503;
    default:
      return 500;
  }
}

absl::StatusOr<events::LogRecord> Service::Impl::LogRecordAt(std::int32_t partition,
                                                             std::int64_t offset) {
  // The other partitions are parked where the projection is now, so that
  // a lookup reads little besides the record (the log keeps growing).
  std::vector<std::int64_t> ends = projection->Status().next_offsets;
  std::lock_guard lock(lookup_mutex_);
  if (!lookup_) {
    absl::StatusOr<access::LogLookup> opened = access::LogLookup::Open(log.get(), ends);
    if (!opened.ok()) return opened.status();
    lookup_.emplace(*std::move(opened));
    lookup_->set_data_keys(data_keys.get());
  } else {
    lookup_->Park(std::move(ends));
  }
  return lookup_->Read(partition, offset);
}

absl::StatusOr<std::string> Service::Impl::RecordAt(std::int32_t partition, std::int64_t offset) {
  absl::StatusOr<events::LogRecord> record = LogRecordAt(partition, offset);
  if (!record.ok()) return record.status();
  return std::move(record->value);
}

Service::Service(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Service::~Service() = default;

void Service::Impl::TakeSnapshot(std::string_view why) {
  if (!writer || fenced) return;
  absl::StatusOr<ledger::SnapshotTaken> taken = writer->Snapshot();
  if (taken.ok()) {
    spdlog::info("{} writer snapshot: {}", why, taken->path);
  } else {
    spdlog::warn("{} writer snapshot failed ({}); the next start-up reads more of the log", why,
                 std::string(taken.status().message()));
  }
}

Service::Impl::~Impl() {
  // Everything that reads the log goes before the log: the projector (its
  // reader), the receipt lookup; the server and the authenticator (which
  // reads the projection) before the projection; the writer (its commit
  // thread drains) before the log closes. Requests are drained by now: a
  // last snapshot makes the next start-up read nothing.
  if (snapshots.joinable()) {
    snapshots.request_stop();
    snapshots.join();
  }
  TakeSnapshot("shutdown");
  alerts.reset();  // reads the projection
  if (projection) projection->Stop();
  server.reset();
  authenticator.reset();
  {
    std::lock_guard lock(lookup_mutex_);
    lookup_.reset();
  }
  projection.reset();
  recorder.reset();
  replica.reset();
  writer.reset();
  log.reset();
}

namespace {

// A read replica's recorder (ledger/replica.h): the node's key from the
// data directory's key store, the data keys to open sealed plan events.
absl::StatusOr<std::unique_ptr<ledger::Replica>> OpenReplica(
    const tools::Context& context, const ledger::KeyStore& keys, const std::string& node,
    ledger::Log* log, const ledger::DataKeyStore* data_keys) {
  absl::StatusOr<ledger::ActiveKey> node_key = keys.NodeKey(node);
  if (absl::IsNotFound(node_key.status())) {
    return absl::FailedPreconditionError(
        fmt::format("the replica node '{}' has no key in {}: register it with `careledger keys "
                    "add-node --node {}`",
                    node, keys.dir(), node));
  }
  if (!node_key.ok()) return node_key.status();
  if (data_keys == nullptr) {
    spdlog::warn(
        "no data key store in {}: a replica cannot open sealed plan events, and a log that "
        "holds any is refused",
        context.DataKeysDir());
  }
  ledger::ReplicaOptions options;
  options.node = node;
  options.signing_key = node_key->key;
  options.data_keys = data_keys;
  options.keyring = [keys_dir = context.KeysDir()]() -> absl::StatusOr<events::Keyring> {
    absl::StatusOr<ledger::KeyStore> store = ledger::KeyStore::Open(keys_dir);
    if (!store.ok()) return store.status();
    return store->keyring();
  };
  return ledger::Replica::Open(log, std::move(options));
}

// The writer's parts: the writer from the newest verified snapshot (start-up
// reads only the log after it; a missing or bad snapshot falls back to the
// whole log, and says so), the data keys, and periodic snapshots.
absl::Status OpenWriterParts(const tools::Context& context, Service::Impl* impl) {
  absl::StatusOr<std::unique_ptr<ledger::Writer>> writer = context.OpenWriter(
      impl->log.get(), /*clock=*/nullptr, tools::Context::WriterStart::kSnapshot);
  if (!writer.ok()) return writer.status();
  impl->writer = *std::move(writer);
  impl->recorder = std::make_unique<access::WriterRecorder>(*impl->writer);
  absl::StatusOr<std::shared_ptr<ledger::DataKeyStore>> data_keys = context.DataKeysForReading();
  if (!data_keys.ok()) return data_keys.status();
  impl->data_keys = *std::move(data_keys);
  impl->snapshot_dir = context.SnapshotDir();
  const ledger::RecoveryReport& recovered = impl->writer->recovery();
  spdlog::info("writer recovered {} records in {:.2f} s ({}; {} records read)", recovered.records,
               recovered.seconds,
               recovered.from_snapshot ? "from snapshot " + recovered.snapshot_path
                                       : std::string("whole log"),
               recovered.records_read);
  impl->snapshots = std::jthread([parts = impl](std::stop_token stop) {
    std::mutex mutex;
    std::condition_variable_any wake;
    for (;;) {
      std::unique_lock lock(mutex);
      if (wake.wait_for(lock, stop, kSnapshotInterval, [] { return false; }) ||
          stop.stop_requested()) {
        return;
      }
      lock.unlock();
      parts->TakeSnapshot("periodic");
    }
  });
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Service>> Service::Open(const tools::Context& context,
                                                       const ServeConfig& config) {
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  impl->ledger_name = context.options().topic;
  const std::string& data_dir = context.options().data_dir;
  if (!impl->config.insecure_http) {
    if (absl::Status tls = DefaultTls(data_dir, &impl->config); !tls.ok()) return tls;
    for (const auto& [path, key] : {std::pair{impl->config.tls_certificate, "tls_certificate"},
                                    std::pair{impl->config.tls_private_key, "tls_private_key"},
                                    std::pair{impl->config.tls_client_ca, "tls_client_ca"}}) {
      if (absl::Status readable = CheckReadable(path, key); !readable.ok()) return readable;
    }
  }
  absl::StatusOr<auth::TokenVerifier> verifier = OpenVerifier(data_dir, &impl->config);
  if (!verifier.ok()) return verifier.status();

  absl::StatusOr<ledger::KeyStore> keys = context.OpenKeys();
  if (!keys.ok()) return keys.status();
  impl->keyring = std::make_unique<events::Keyring>(keys->keyring());
  absl::StatusOr<std::unique_ptr<ledger::Log>> log = context.OpenLog();
  if (!log.ok()) return log.status();
  impl->log = *std::move(log);
  tools::ProjectionSessionOptions session_options;
  session_options.log = impl->log.get();
  if (impl->is_replica()) {
    // A read replica (docs/replicas.md): no writer; its recorder appends to
    // access/<node>; its own projection. The data keys are the writer's
    // store, read beside the writer (ledger/data_keys.h, kReadOnly).
    absl::StatusOr<std::shared_ptr<ledger::DataKeyStore>> data_keys = context.DataKeysReadOnly();
    if (!data_keys.ok()) return data_keys.status();
    impl->data_keys = *std::move(data_keys);
    absl::StatusOr<std::unique_ptr<ledger::Replica>> replica = OpenReplica(
        context, *keys, impl->config.replica_node, impl->log.get(), impl->data_keys.get());
    if (!replica.ok()) return replica.status();
    impl->replica = *std::move(replica);
    impl->recorder = std::make_unique<access::ReplicaRecorder>(*impl->replica);
    session_options.projection_dir =
        fmt::format("{}/replica-{}/projection", data_dir, impl->config.replica_node);
    spdlog::info("read replica {}: recording reads on {}, projection {}", impl->config.replica_node,
                 impl->replica->access_stream(), session_options.projection_dir);
  } else if (absl::Status writer = OpenWriterParts(context, impl.get()); !writer.ok()) {
    return writer;
  }
  absl::StatusOr<std::unique_ptr<tools::ProjectionSession>> session =
      tools::ProjectionSession::Open(context, session_options);
  if (!session.ok()) return session.status();
  impl->projection = std::make_unique<BackgroundProjection>(*std::move(session));
  if (absl::Status started = impl->projection->Start(); !started.ok()) return started;
  if (impl->config.alert_scan_seconds > 0 && !impl->is_replica()) {
    impl->alerts = std::make_unique<AlertWatch>(impl->projection.get(), &impl->metrics,
                                                absl::Seconds(impl->config.alert_scan_seconds));
    impl->alerts->Start();
  }
  impl->authenticator = std::make_unique<Authenticator>(
      *std::move(verifier), impl->config.trusted_proxies, &impl->projection->store());
  impl->openapi = OpenApiDocument();

  if (impl->config.insecure_http) {
    impl->server = std::make_unique<httplib::Server>();
  } else {
    const ServeConfig tls = impl->config;
    auto server = std::make_unique<httplib::SSLServer>(
        [tls](SSL_CTX& ssl_context) { return SetUpTls(ssl_context, tls); });
    if (!server->is_valid()) {
      return absl::FailedPreconditionError(fmt::format(
          "the TLS certificate {}, key {} or client CA {} cannot be used (not PEM, or the key "
          "does not match the certificate)",
          tls.tls_certificate, tls.tls_private_key, tls.tls_client_ca));
    }
    impl->server = std::move(server);
  }
  httplib::Server& server = *impl->server;
  const ServeConfig& settings = impl->config;
  server.set_payload_max_length(settings.max_body_bytes);
  server.set_read_timeout(settings.read_timeout_seconds, 0);
  server.set_write_timeout(settings.write_timeout_seconds, 0);
  server.set_keep_alive_timeout(settings.read_timeout_seconds);
  // A connection carries many requests: its TLS handshake costs more than a read.
  server.set_keep_alive_max_count(1000);
  // Headers and body go out in separate writes: without TCP_NODELAY, Nagle
  // holds the second until the client's delayed ACK, 40 ms a response.
  server.set_tcp_nodelay(true);
  const int threads = settings.threads;
  server.new_task_queue = [threads] {
    return new httplib::ThreadPool(static_cast<std::size_t>(threads));
  };
  server.set_pre_routing_handler([](const httplib::Request&, httplib::Response& response) {
    request_started = std::chrono::steady_clock::now();
    response.set_header("X-Request-Id", NewRequestId());
    // API answers hold patient data: never kept by a browser or proxy
    // (the web page's static files override this, service/web_routes.cc).
    response.set_header("Cache-Control", "no-store");
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // Every answer of 400 and above without a body of its own (no route,
  // wrong method, body too large, bad request line) becomes a problem.
  server.set_error_handler(httplib::Server::HandlerWithResponse(
      [](const httplib::Request&, httplib::Response& response) {
        if (!response.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        const std::string title = StatusTitle(response.status);
        Problem(response, response.status, title,
                response.status == 413   ? "the request body is larger than this service accepts"
                : response.status == 404 ? "no such route (see /v1/openapi.json)"
                                         : title);
        return httplib::Server::HandlerResponse::Handled;
      }));
  server.set_exception_handler(
      [](const httplib::Request&, httplib::Response& response, std::exception_ptr) {
        Problem(response, 500, "Internal Server Error", "the request could not be answered");
      });
  Impl* parts = impl.get();
  server.set_logger([parts](const httplib::Request& request, const httplib::Response& response) {
    double milliseconds = 0;
    if (request_started) {
      milliseconds = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                               *request_started)
                         .count();
    }
    request_started.reset();
    const std::string route = RouteTemplate(request.method, request.path);
    parts->metrics.CountRequest(route, response.status, milliseconds / 1000);
    LogRequest(response.get_header_value("X-Request-Id"), route, response.status, milliseconds);
  });
  impl->AddOperationalRoutes();
  impl->AddPlanRoutes();
  if (impl->is_replica()) {
    impl->AddMisdirectedRoutes();
    return std::unique_ptr<Service>(new Service(std::move(impl)));
  }
  impl->AddCommandRoutes();
  impl->AddWorklistRoutes();
  impl->AddAuditRoutes();
  impl->AddAlertReviewRoutes();
  impl->AddCaseRoutes();
  impl->AddProofRoute();
  impl->AddErasureRoutes();
  impl->AddStatsRoutes();
  impl->AddMigrationRoutes();
  impl->AddIntegrityRoutes();
  impl->AddWebRoutes();
  return std::unique_ptr<Service>(new Service(std::move(impl)));
}

absl::StatusOr<int> Service::Bind() {
  httplib::Server& server = *impl_->server;
  const ServeConfig& config = impl_->config;
  const int port =
      config.listen_port == 0
          ? server.bind_to_any_port(config.listen_host)
          : (server.bind_to_port(config.listen_host, config.listen_port) ? config.listen_port : -1);
  if (port < 0) {
    return absl::UnavailableError(
        fmt::format("cannot listen on {}:{}", config.listen_host, config.listen_port));
  }
  return port;
}

std::string Service::Url(int port) const {
  return fmt::format("{}://{}:{}", impl_->config.insecure_http ? "http" : "https",
                     impl_->config.listen_host, port);
}

absl::Status Service::Serve() {
  if (!impl_->server->listen_after_bind()) {
    return absl::UnavailableError("the listening socket failed");
  }
  return absl::OkStatus();
}

void Service::Stop() { impl_->server->stop(); }

}  // namespace careledger::service
