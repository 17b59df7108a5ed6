#include "service/authenticate.h"

#include <algorithm>

#include "absl/time/clock.h"

namespace careledger::service {

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

absl::StatusOr<auth::Caller> Authenticator::Authenticate(const Credentials& credentials,
                                                         RefusedCaller* refused) const {
  constexpr std::string_view kBearer = "Bearer ";
  if (credentials.authorization.size() <= kBearer.size() ||
      credentials.authorization.compare(0, kBearer.size(), kBearer) != 0) {
    return absl::UnauthenticatedError("a bearer token is required");
  }
  const absl::Time now = absl::Now();
  absl::StatusOr<auth::TokenClaims> claims =
      verifier_.Verify(std::string_view(credentials.authorization).substr(kBearer.size()), now);
  if (!claims.ok()) return claims.status();
  const std::string address = NetworkAddress(credentials);
  absl::StatusOr<auth::Caller> caller =
      auth::ResolveCaller(*claims, credentials.verified_device_id, address, directory_, now);
  if (absl::IsPermissionDenied(caller.status()) && refused != nullptr) {
    refused->actor =
        auth::RefusedActor(*claims, credentials.verified_device_id, address, directory_);
    refused->reason = std::string(caller.status().message());
  }
  return caller;
}

}  // namespace careledger::service
