// Who is calling: decided from credentials only, never from what a request
// says about itself. The one seam is Authenticator::Authenticate; the
// routes never read actor fields from headers or bodies.
//
// Until the auth module (auth/: JWT against a JWKS, device CA) is merged,
// the bearer credential is an opaque token looked up in a file of tokens
// (ServeConfig::static_tokens_file); the user it names is looked up in the
// directory, which gives the role and the organisation. The device is the
// CN of the verified TLS client certificate. The network address is the
// socket's peer, or X-Forwarded-For's first entry from a trusted proxy only.
#ifndef CARELEDGER_SERVICE_AUTHENTICATE_H_
#define CARELEDGER_SERVICE_AUTHENTICATE_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "careledger/v1/envelope.pb.h"
#include "projections/projection_store.h"

namespace careledger::service {

// The authenticated caller (the auth module's auth::Caller has this shape).
struct Caller {
  enum class Kind { kStaff, kPatient };
  Kind kind = Kind::kStaff;
  // user id, role and organisation from the directory; device from the
  // certificate; network address from the socket. Purpose is per request.
  careledger::v1::Actor actor;
  std::string patient_nhs_number;  // for kPatient: the patient's own number
};

// What a request presents, taken from the transport by the server.
struct Credentials {
  std::string authorization;       // the Authorization header, as sent
  std::string verified_device_id;  // CN of a verified client certificate, or ""
  std::string peer_address;        // the socket's peer
  std::string forwarded_for;       // X-Forwarded-For, as sent
};

class Authenticator {
 public:
  // `tokens`: token -> user id. `trusted_proxies`: exact peer addresses.
  // `directory`: where users are looked up (not owned; outlives this).
  Authenticator(std::map<std::string, std::string> tokens, std::vector<std::string> trusted_proxies,
                const projections::ProjectionStore* directory)
      : tokens_(std::move(tokens)),
        trusted_proxies_(std::move(trusted_proxies)),
        directory_(directory) {}

  // Reads the token file (JSON object token -> user id); "" = no tokens.
  static absl::StatusOr<std::map<std::string, std::string>> ReadTokens(const std::string& path);

  // UNAUTHENTICATED (no or unknown bearer credential; nothing to record:
  // nobody is named); PERMISSION_DENIED for a user the directory does not
  // know. A staff caller without a device certificate is returned with an
  // empty device: the ledger refuses it and records the refusal.
  absl::StatusOr<Caller> Authenticate(const Credentials& credentials) const;

  // The address to record: the peer, or from a trusted proxy the first
  // X-Forwarded-For entry.
  std::string NetworkAddress(const Credentials& credentials) const;

 private:
  std::map<std::string, std::string> tokens_;
  std::vector<std::string> trusted_proxies_;
  const projections::ProjectionStore* directory_;
};

}  // namespace careledger::service

#endif  // CARELEDGER_SERVICE_AUTHENTICATE_H_
