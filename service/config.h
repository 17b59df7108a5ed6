// The service's configuration: built-in defaults, then a JSON file
// (`--config serve.json`), then CARELEDGER_SERVE_* environment variables,
// each overriding the one before. Secrets are never values here: only the
// paths of files that hold them (the TLS key, the bearer-token file), so no
// secret appears on a command line or in `ps`.
#ifndef CARELEDGER_SERVICE_CONFIG_H_
#define CARELEDGER_SERVICE_CONFIG_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

#ifndef CARELEDGER_DEFAULT_WEB_ROOT
#define CARELEDGER_DEFAULT_WEB_ROOT ""  // set by service/CMakeLists.txt
#endif

namespace careledger::service {

struct ServeConfig {
  std::string listen_host = "127.0.0.1";
  int listen_port = 8443;  // 0 = any free port, printed once listening
  // TLS (on unless insecure_http). Empty paths: a server certificate the
  // data directory's device CA issues (<data>/auth/server.crt, server.key)
  // and that CA as the client CA (auth/device_authority.h).
  std::string tls_certificate;
  std::string tls_private_key;
  std::string tls_client_ca;
  bool insecure_http = false;  // development only; warns loudly
  // The token issuer (OpenID Connect): its JSON Web Key Set file, issuer
  // ("iss") and this service's audience ("aud"). An empty jwks_file: the
  // data directory's development issuer (auth/dev_issuer.h), with a warning.
  std::string jwks_file;
  std::string token_issuer;
  std::string token_audience = "careledger";
  // Peers whose X-Forwarded-For is believed (exact addresses).
  std::vector<std::string> trusted_proxies;
  std::size_t max_body_bytes = 64 * 1024;  // larger bodies: 413
  int read_timeout_seconds = 5;            // a slow client is cut off after this
  int write_timeout_seconds = 5;
  int threads = 16;             // request threads; each may wait on the writer's group commit
  int read_deadline_ms = 5000;  // a granted read waits this long for the projection
  // /readyz: the projector reached the log's end this recently; a read
  // replica also refuses reads (503) beyond it. 0: any lag is too much (the
  // service never reports ready, and a replica refuses every read: a way to
  // take a replica out of service without stopping it).
  int ready_max_lag_seconds = 5;
  // How often the investigation rules run over the audit records recorded
  // since the last run, for /metrics' alerts (service/alert_watch.h); each
  // run reads two rule windows (two hours by default) of the trail back.
  // 0: never.
  int alert_scan_seconds = 300;
  // GET /v1/worklist's plans needing review: review date passed or within
  // this many days of today (access/review_worklist.h), unless the request
  // gives review_window_days. 0 to 366.
  int review_window_days = 28;
  // The auditors' web page's files (web/), served under /audit/; the
  // default is where the build puts them (web/CMakeLists.txt).
  std::string web_root = CARELEDGER_DEFAULT_WEB_ROOT;
  // A read replica's answer to every request it does not serve (421,
  // docs/replicas.md) names the writer's service here, e.g.
  // "https://writer.example:8443"; "" says it is not configured.
  std::string writer_url;
  // Set by `serve --replica --node <id>`, never by the file or environment:
  // this process is the read replica of that node ("" = the writer).
  std::string replica_node;
};

// Reads `path` (if not empty) and the environment (through `getenv`, for
// tests: nullptr = std::getenv) over the defaults. INVALID_ARGUMENT naming
// the key for an unknown key, a value of the wrong kind or out of range;
// NOT_FOUND for a missing file.
absl::StatusOr<ServeConfig> LoadServeConfig(
    const std::string& path, const std::function<const char*(const char*)>& getenv = nullptr);

}  // namespace careledger::service

#endif  // CARELEDGER_SERVICE_CONFIG_H_
