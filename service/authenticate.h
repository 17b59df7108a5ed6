// Who is calling: decided from credentials only, never from what a request
// says about itself. The one seam is Authenticator::Authenticate; the
// routes never read actor fields from headers or bodies.
//
// The bearer token (OpenID Connect JWT) is verified by auth::TokenVerifier
// against the configured issuer's JWKS; the device is the one the verified
// TLS client certificate names (auth::DeviceAuthority::DeviceIdOf); the
// network address is the socket's peer, or X-Forwarded-For's first entry
// from a configured trusted proxy only. auth::ResolveCaller then takes role
// and organisation from the directory (the projection's).
#ifndef CARELEDGER_SERVICE_AUTHENTICATE_H_
#define CARELEDGER_SERVICE_AUTHENTICATE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "auth/caller.h"
#include "auth/projection_directory.h"
#include "auth/token_verifier.h"
#include "careledger/v1/envelope.pb.h"

namespace careledger::service {

// What a request presents, taken from the transport by the server.
struct Credentials {
  std::string authorization;       // the Authorization header, as sent
  std::string verified_device_id;  // of a verified client certificate, or ""
  std::string peer_address;        // the socket's peer
  std::string forwarded_for;       // X-Forwarded-For, as sent
};

// A caller refused after the token was verified: who the DENIED access
// record names (auth::RefusedActor) and why.
struct RefusedCaller {
  careledger::v1::Actor actor;
  std::string reason;
};

class Authenticator {
 public:
  // `directory`: where users and devices are looked up (not owned).
  Authenticator(auth::TokenVerifier verifier, std::vector<std::string> trusted_proxies,
                const projections::ProjectionStore* directory)
      : verifier_(std::move(verifier)),
        trusted_proxies_(std::move(trusted_proxies)),
        directory_(directory) {}

  // The caller, or:
  //  - UNAUTHENTICATED: no bearer token, or one that does not verify
  //    (auth::TokenVerifier's reason). Nobody is named, nothing is recorded.
  //  - PERMISSION_DENIED: a verified token whose caller auth::ResolveCaller
  //    refuses (unknown user, role not the directory's, no or unregistered
  //    device, a patient token not matching the directory); `*refused` then
  //    says whom to record the refusal under.
  //  - the directory's errors (UNAVAILABLE, DATA_LOSS).
  absl::StatusOr<auth::Caller> Authenticate(const Credentials& credentials,
                                            RefusedCaller* refused) const;

  // The address to record: the peer, or from a trusted proxy the first
  // X-Forwarded-For entry.
  std::string NetworkAddress(const Credentials& credentials) const;

 private:
  auth::TokenVerifier verifier_;
  std::vector<std::string> trusted_proxies_;
  auth::ProjectionDirectory directory_;
};

}  // namespace careledger::service

#endif  // CARELEDGER_SERVICE_AUTHENTICATE_H_
