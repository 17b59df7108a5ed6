#include "service/authenticate.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "projections/directory_queries.h"

namespace careledger::service {

absl::StatusOr<std::map<std::string, std::string>> Authenticator::ReadTokens(
    const std::string& path) {
  std::map<std::string, std::string> tokens;
  if (path.empty()) return tokens;
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(fmt::format("cannot read the token file {}", path));
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json document = nlohmann::json::parse(text.str(), nullptr, false);
  if (!document.is_object()) {
    return absl::InvalidArgumentError(
        fmt::format("the token file {} is not a JSON object of token: user id", path));
  }
  for (const auto& [token, user] : document.items()) {
    if (!user.is_string() || token.size() < 16) {
      return absl::InvalidArgumentError(fmt::format(
          "the token file {}: every token is at least 16 characters and names a user id", path));
    }
    tokens[token] = user.get<std::string>();
  }
  return tokens;
}

std::string Authenticator::NetworkAddress(const Credentials& credentials) const {
  if (!credentials.forwarded_for.empty() &&
      std::find(trusted_proxies_.begin(), trusted_proxies_.end(), credentials.peer_address) !=
          trusted_proxies_.end()) {
    std::string first = credentials.forwarded_for.substr(0, credentials.forwarded_for.find(','));
    first.erase(0, first.find_first_not_of(' '));
    first.erase(first.find_last_not_of(' ') + 1);
    if (!first.empty()) return first;
  }
  return credentials.peer_address;
}

absl::StatusOr<Caller> Authenticator::Authenticate(const Credentials& credentials) const {
  constexpr std::string_view kBearer = "Bearer ";
  if (credentials.authorization.size() <= kBearer.size() ||
      credentials.authorization.compare(0, kBearer.size(), kBearer) != 0) {
    return absl::UnauthenticatedError("a bearer token is required");
  }
  const auto token = tokens_.find(credentials.authorization.substr(kBearer.size()));
  if (token == tokens_.end()) return absl::UnauthenticatedError("the bearer token is not valid");
  projections::DirectoryQueries directory(directory_);
  absl::StatusOr<careledger::v1::DirectoryUser> user = directory.GetUser(token->second);
  if (absl::IsNotFound(user.status()) || (user.ok() && !user->has_user())) {
    return absl::PermissionDeniedError("the token's user is not in the directory");
  }
  if (!user.ok()) return user.status();
  Caller caller;
  caller.actor.set_user_id(user->user().user_id());
  caller.actor.set_role(user->user().role());
  caller.actor.set_organisation(user->user().organisation());
  caller.actor.set_device_id(credentials.verified_device_id);
  caller.actor.set_network_address(NetworkAddress(credentials));
  if (user->user().role() == careledger::v1::ROLE_PATIENT ||
      user->user().role() == careledger::v1::ROLE_PROXY_VIEWER) {
    caller.kind = Caller::Kind::kPatient;
    caller.patient_nhs_number = user->user().nhs_number();
  }
  return caller;
}

}  // namespace careledger::service
