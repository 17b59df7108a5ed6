// Caller: who is calling the service, resolved from credentials the
// transport has already verified: the bearer token's claims (TokenVerifier),
// the device id of the verified client certificate (DeviceAuthority), and
// the socket's peer address. The token's subject ("sub") is the directory
// user id; role and organisation come from the directory, never from the
// token or the request (DESIGN §7).
//
// ResolveCaller decides only what the credentials prove. The access
// prerequisites (suspended, revoked, locked after 180 days, training,
// agreements) stay the ledger's (ledger/access_rules.h): the service submits
// the request as a command with the resolved actor, and the writer grants or
// records the DENIED access. A refusal here is PERMISSION_DENIED with a
// reason fit to show the caller; the service records it as a DENIED access
// naming RefusedActor(...).
#ifndef CARELEDGER_AUTH_CALLER_H_
#define CARELEDGER_AUTH_CALLER_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "auth/token_verifier.h"
#include "careledger/v1/directory.pb.h"
#include "careledger/v1/envelope.pb.h"
#include "careledger/v1/roles.pb.h"

namespace careledger::auth {

// The directory as ResolveCaller needs it. Implementations: ProjectionDirectory
// (auth/projection_directory.h). Methods may be called from any thread.
class DirectoryLookup {
 public:
  virtual ~DirectoryLookup() = default;
  // NOT_FOUND when no such user is recorded; other errors are the store's.
  virtual absl::StatusOr<careledger::v1::User> User(std::string_view user_id) const = 0;
  // NOT_FOUND when no such device is recorded; other errors are the store's.
  virtual absl::StatusOr<careledger::v1::Device> Device(std::string_view device_id) const = 0;
};

struct Caller {
  // kStaff: a professional (clinician, administrator, urgent care, CMC team)
  // acting from a registered device. kPatient: a myCMC patient or proxy
  // viewer (NHS login / NHS App), with or without a device.
  enum class Kind { kStaff, kPatient };
  Kind kind = Kind::kStaff;
  // user_id (the token's subject), role and organisation (from the
  // directory), device_id (from the certificate; "" for a patient without
  // one), network_address (from the socket). `purpose` is left empty: the
  // service fills it from each request.
  careledger::v1::Actor actor;
  // A patient's own NHS number (the directory's, equal to the token's);
  // "" for staff and for proxy viewers, whose patients the plan names.
  std::string patient_nhs_number;
};

// Resolves the caller; `now` decides whether a device's licence is current.
// PERMISSION_DENIED, the message naming the cause:
//   - "user not in the directory": no user has the token's subject as id;
//   - the token's role claim names no careledger role, or not the role the
//     directory gives the user;
//   - the user's role may not use the service (ROLE_SYSTEM: the operator
//     works on the ledger's machine);
//   - staff: no client certificate, or a device that is not registered, is
//     revoked, is another organisation's, or whose licence is older than
//     nine months; or a token carrying an NHS number (a patient token);
//   - patients and proxies: a token without an NHS number, or one that is
//     not the directory's NHS number for the user.
// Other errors (UNAVAILABLE, DATA_LOSS) come from the directory's store.
absl::StatusOr<Caller> ResolveCaller(const TokenClaims& claims, std::string_view verified_device_id,
                                     std::string_view network_address,
                                     const DirectoryLookup& directory,
                                     absl::Time now = absl::Now());

// The actor a refused caller's DENIED access record names: the token's
// subject, the certificate's device, the socket's address, and the role and
// organisation the directory gives the subject when it knows them.
careledger::v1::Actor RefusedActor(const TokenClaims& claims, std::string_view verified_device_id,
                                   std::string_view network_address,
                                   const DirectoryLookup& directory);

// The role a token's role claim names: careledger's role names, any case,
// with or without the "ROLE_" prefix and with '-' or '_' ("clinician",
// "urgent-care", "ROLE_PROXY_VIEWER"), and "cmc-team" for the auditor role
// as the command line's --role says it. nullopt for anything else, including
// "system" and "unspecified", which no token may select.
std::optional<careledger::v1::Role> RoleFromClaim(std::string_view claim);

}  // namespace careledger::auth

#endif  // CARELEDGER_AUTH_CALLER_H_
