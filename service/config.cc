#include "service/config.h"

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "access/review_worklist.h"

namespace careledger::service {
namespace {

using nlohmann::json;

// One configuration key: its file name, its environment name, and how to set
// it from a JSON value (strings from the environment are parsed as JSON
// first when the key wants a number, a boolean or a list).
struct Key {
  const char* name;
  std::function<absl::Status(const json&, ServeConfig*)> set;
};

absl::Status WrongKind(const char* name, const char* kind) {
  return absl::InvalidArgumentError(fmt::format("configuration '{}' must be {}", name, kind));
}

Key Text(const char* name, std::string ServeConfig::*field) {
  return {name, [name, field](const json& value, ServeConfig* config) {
            if (!value.is_string()) return WrongKind(name, "a string");
            config->*field = value.get<std::string>();
            return absl::OkStatus();
          }};
}

template <typename T>
Key Number(const char* name, T ServeConfig::*field, std::int64_t low, std::int64_t high) {
  return {name, [=](const json& value, ServeConfig* config) {
            if (!value.is_number_integer() || value.get<std::int64_t>() < low ||
                value.get<std::int64_t>() > high) {
              return absl::InvalidArgumentError(fmt::format(
                  "configuration '{}' must be a whole number from {} to {}", name, low, high));
            }
            config->*field = static_cast<T>(value.get<std::int64_t>());
            return absl::OkStatus();
          }};
}

const std::vector<Key>& Keys() {
  static const std::vector<Key> keys = {
      Text("listen_host", &ServeConfig::listen_host),
      Number("listen_port", &ServeConfig::listen_port, 0, 65535),
      Text("tls_certificate", &ServeConfig::tls_certificate),
      Text("tls_private_key", &ServeConfig::tls_private_key),
      Text("tls_client_ca", &ServeConfig::tls_client_ca),
      {"insecure_http",
       [](const json& value, ServeConfig* config) {
         if (!value.is_boolean()) return WrongKind("insecure_http", "true or false");
         config->insecure_http = value.get<bool>();
         return absl::OkStatus();
       }},
      Text("jwks_file", &ServeConfig::jwks_file),
      Text("token_issuer", &ServeConfig::token_issuer),
      Text("token_audience", &ServeConfig::token_audience),
      {"trusted_proxies",
       [](const json& value, ServeConfig* config) {
         if (!value.is_array()) return WrongKind("trusted_proxies", "a list of addresses");
         config->trusted_proxies.clear();
         for (const json& entry : value) {
           if (!entry.is_string()) return WrongKind("trusted_proxies", "a list of addresses");
           config->trusted_proxies.push_back(entry.get<std::string>());
         }
         return absl::OkStatus();
       }},
      Number("max_body_bytes", &ServeConfig::max_body_bytes, 1, 64 << 20),
      Number("read_timeout_seconds", &ServeConfig::read_timeout_seconds, 1, 600),
      Number("write_timeout_seconds", &ServeConfig::write_timeout_seconds, 1, 600),
      Number("threads", &ServeConfig::threads, 1, 1024),
      Number("read_deadline_ms", &ServeConfig::read_deadline_ms, 1, 600'000),
      Number("ready_max_lag_seconds", &ServeConfig::ready_max_lag_seconds, 0, 86'400),
      Number("alert_scan_seconds", &ServeConfig::alert_scan_seconds, 0, 86'400),
      Number("review_window_days", &ServeConfig::review_window_days, 0,
             access::kMaxReviewWindowDays),
      Text("web_root", &ServeConfig::web_root),
      Text("writer_url", &ServeConfig::writer_url),
  };
  return keys;
}

const Key* FindKey(std::string_view name) {
  for (const Key& key : Keys()) {
    if (name == key.name) return &key;
  }
  return nullptr;
}

std::string EnvName(const char* name) {
  std::string env = "CARELEDGER_SERVE_";
  for (const char* c = name; *c != '\0'; ++c) {
    env += static_cast<char>(std::toupper(static_cast<unsigned char>(*c)));
  }
  return env;
}

}  // namespace

absl::StatusOr<ServeConfig> LoadServeConfig(const std::string& path,
                                            const std::function<const char*(const char*)>& getenv) {
  ServeConfig config;
  if (!path.empty()) {
    std::ifstream in(path);
    if (!in) return absl::NotFoundError(fmt::format("cannot read configuration file {}", path));
    std::stringstream text;
    text << in.rdbuf();
    json document = json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
    if (!document.is_object()) {
      return absl::InvalidArgumentError(
          fmt::format("configuration file {} is not a JSON object", path));
    }
    for (const auto& [name, value] : document.items()) {
      const Key* key = FindKey(name);
      if (key == nullptr) {
        return absl::InvalidArgumentError(
            fmt::format("configuration file {}: unknown key '{}'", path, name));
      }
      if (absl::Status set = key->set(value, &config); !set.ok()) return set;
    }
  }
  for (const Key& key : Keys()) {
    const std::string env = EnvName(key.name);
    const char* text = getenv ? getenv(env.c_str()) : std::getenv(env.c_str());
    if (text == nullptr) continue;
    // A string key takes the text as it is; the others parse it as JSON.
    json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded() ||
        key.set(value, &config).code() == absl::StatusCode::kInvalidArgument) {
      value = std::string(text);
    }
    if (absl::Status set = key.set(value, &config); !set.ok()) {
      return absl::InvalidArgumentError(fmt::format("{}: {}", env, std::string(set.message())));
    }
  }
  return config;
}

}  // namespace careledger::service
