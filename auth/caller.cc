#include "auth/caller.h"

#include <fmt/format.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "events/format.h"
#include "ledger/access_rules.h"
#include "ledger/dates.h"

namespace careledger::auth {
namespace {

using careledger::v1::Role;

absl::Status Refuse(const std::string& reason) { return absl::PermissionDeniedError(reason); }

bool IsMyCmcRole(Role role) {
  return role == careledger::v1::ROLE_PATIENT || role == careledger::v1::ROLE_PROXY_VIEWER;
}

// What a staff caller's device must be: registered to the user's
// organisation, not revoked, its licence issued within nine months (the
// ledger's own rule, ledger/access_rules.h, decided here from the directory
// the service reads so a refused device never reaches the writer unnamed).
absl::Status CheckStaffDevice(std::string_view device_id, const careledger::v1::User& user,
                              const DirectoryLookup& directory, absl::Time now) {
  if (device_id.empty()) {
    return Refuse("no client certificate: staff must call from a registered device");
  }
  absl::StatusOr<careledger::v1::Device> device = directory.Device(device_id);
  if (absl::IsNotFound(device.status())) {
    return Refuse(fmt::format("device {} is not registered", device_id));
  }
  if (!device.ok()) return device.status();
  if (device->revoked()) return Refuse(fmt::format("device {} is revoked", device_id));
  if (device->organisation() != user.organisation()) {
    return Refuse(fmt::format("device {} is registered to {}, not to the user's organisation {}",
                              device_id, device->organisation(), user.organisation()));
  }
  const careledger::v1::Date& issued = device->licence_issued_on();
  const absl::CivilDay today = ledger::Today(now);
  if (!ledger::IsValidDate(issued) || ledger::ToCivilDay(issued) > today ||
      ledger::AddMonths(ledger::ToCivilDay(issued), ledger::kLicenceValidMonths) < today) {
    return Refuse(fmt::format("device {}'s licence is older than {} months and must be re-issued",
                              device_id, ledger::kLicenceValidMonths));
  }
  return absl::OkStatus();
}

}  // namespace

std::optional<Role> RoleFromClaim(std::string_view claim) {
  std::string name = absl::AsciiStrToUpper(absl::string_view(claim.data(), claim.size()));
  std::replace(name.begin(), name.end(), '-', '_');
  if (name == "CMC_TEAM") name = "AUDITOR";  // the command line's name for the CMC team
  if (!name.starts_with("ROLE_")) name = "ROLE_" + name;
  Role role;
  if (!careledger::v1::Role_Parse(name, &role)) return std::nullopt;
  if (role == careledger::v1::ROLE_UNSPECIFIED || role == careledger::v1::ROLE_SYSTEM) {
    return std::nullopt;
  }
  return role;
}

absl::StatusOr<Caller> ResolveCaller(const TokenClaims& claims, std::string_view verified_device_id,
                                     std::string_view network_address,
                                     const DirectoryLookup& directory, absl::Time now) {
  absl::StatusOr<careledger::v1::User> user = directory.User(claims.subject);
  if (absl::IsNotFound(user.status())) return Refuse("user not in the directory");
  if (!user.ok()) return user.status();

  if (!claims.role_claim.empty()) {
    const std::optional<Role> claimed = RoleFromClaim(claims.role_claim);
    if (!claimed) return Refuse("the token's role claim names no careledger role");
    if (*claimed != user->role()) {
      return Refuse("the token selects a role the directory does not give this user");
    }
  }
  if (user->role() == careledger::v1::ROLE_UNSPECIFIED ||
      user->role() == careledger::v1::ROLE_SYSTEM) {
    return Refuse("this user's role does not act through the service");
  }

  Caller caller;
  caller.actor.set_user_id(user->user_id());
  caller.actor.set_role(user->role());
  caller.actor.set_organisation(user->organisation());
  caller.actor.set_device_id(std::string(verified_device_id));
  caller.actor.set_network_address(std::string(network_address));

  if (IsMyCmcRole(user->role())) {
    if (claims.nhs_number.empty()) return Refuse("a myCMC token must carry the NHS number");
    // A patient is the directory's NHS number; a proxy's own number is
    // checked when the directory records one.
    if ((user->role() == careledger::v1::ROLE_PATIENT || !user->nhs_number().empty()) &&
        user->nhs_number() != claims.nhs_number) {
      return Refuse("the token's NHS number is not this user's");
    }
    caller.kind = Caller::Kind::kPatient;
    if (user->role() == careledger::v1::ROLE_PATIENT) {
      caller.patient_nhs_number = user->nhs_number();
    }
    return caller;
  }

  if (!claims.nhs_number.empty()) {
    return Refuse("a token carrying an NHS number is a patient's, and this user is staff");
  }
  if (absl::Status device = CheckStaffDevice(verified_device_id, *user, directory, now);
      !device.ok()) {
    return device;
  }
  caller.kind = Caller::Kind::kStaff;
  return caller;
}

careledger::v1::Actor RefusedActor(const TokenClaims& claims, std::string_view verified_device_id,
                                   std::string_view network_address,
                                   const DirectoryLookup& directory) {
  careledger::v1::Actor actor;
  actor.set_user_id(claims.subject);
  actor.set_device_id(std::string(verified_device_id));
  actor.set_network_address(std::string(network_address));
  if (absl::StatusOr<careledger::v1::User> user = directory.User(claims.subject); user.ok()) {
    actor.set_role(user->role());
    actor.set_organisation(user->organisation());
  }
  return actor;
}

}  // namespace careledger::auth
