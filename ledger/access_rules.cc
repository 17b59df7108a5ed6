#include "ledger/access_rules.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "events/format.h"
#include "ledger/dates.h"

namespace careledger::ledger {
namespace {

using careledger::v1::Actor;
using careledger::v1::Role;

constexpr std::array<std::string_view, 3> kEditorModules = {"CMC101", "CMC102", "CMC103"};
constexpr std::array<std::string_view, 2> kUrgentCareModules = {"CMC101", "CMC104"};
constexpr std::array<std::string_view, 1> kAuditorModules = {"CMC101"};

absl::Status Refuse(std::string message) { return absl::PermissionDeniedError(message); }

// True when `on` is a valid date no more than `months` before today.
bool WithinMonths(const careledger::v1::Date& on, int months, absl::CivilDay today) {
  return IsValidDate(on) && ToCivilDay(on) <= today && AddMonths(ToCivilDay(on), months) >= today;
}

absl::Status CheckOrganisation(const Directory& directory, const Actor& actor,
                               absl::CivilDay today) {
  const careledger::v1::Organisation* organisation =
      directory.FindOrganisation(actor.organisation());
  if (organisation == nullptr) {
    return Refuse(fmt::format("organisation {} is not registered", actor.organisation()));
  }
  if (!organisation->isa_signed()) {
    return Refuse(fmt::format("organisation {} has not signed the Information Sharing Agreement",
                              actor.organisation()));
  }
  if (organisation->dspt_level() < careledger::v1::DSPT_LEVEL_STANDARDS_MET) {
    return Refuse(fmt::format("organisation {} is below DSPT \"Standards Met\" (it is at {})",
                              actor.organisation(),
                              careledger::v1::DsptLevel_Name(organisation->dspt_level())));
  }
  if (!WithinMonths(organisation->dspt_assessed_on(), kDsptValidMonths, today)) {
    return Refuse(fmt::format("organisation {}'s DSPT assessment is more than a year old",
                              actor.organisation()));
  }
  return absl::OkStatus();
}

absl::Status CheckUserRecord(const DirectoryUser& entry, const Actor& actor, absl::Time now) {
  const careledger::v1::User& user = entry.user;
  const absl::CivilDay today = Today(now);
  if (!user.user_access_form().signed_() || user.user_access_form().authorising_manager().empty()) {
    return Refuse(fmt::format("user {} has no User Access Form signed by an authorising manager",
                              actor.user_id()));
  }
  if (!WithinMonths(user.ig_training_on(), kIgTrainingValidMonths, today)) {
    return Refuse(fmt::format("user {}'s IG training is missing or out of date", actor.user_id()));
  }
  for (std::string_view module : RequiredModules(user.role())) {
    if (std::find(user.training_modules().begin(), user.training_modules().end(), module) ==
        user.training_modules().end()) {
      return Refuse(fmt::format("user {} has not completed the CMC training module {}",
                                actor.user_id(), module));
    }
  }
  if (!IsValidDate(user.aup_accepted_on())) {
    return Refuse(
        fmt::format("user {} has not accepted the Acceptable Use Policy", actor.user_id()));
  }
  if (now - entry.last_activity > absl::Hours(24 * kInactivityLockDays)) {
    return Refuse(
        fmt::format("user {}'s account is locked after {} days without activity; the CMC team must "
                    "reinstate it",
                    actor.user_id(), kInactivityLockDays));
  }
  return absl::OkStatus();
}

absl::Status CheckDevice(const Directory& directory, const Actor& actor, absl::CivilDay today) {
  if (actor.device_id().empty()) return Refuse("the request names no device");
  const careledger::v1::Device* device = directory.FindDevice(actor.device_id());
  if (device == nullptr) {
    return Refuse(fmt::format("device {} is not registered", actor.device_id()));
  }
  if (device->revoked()) return Refuse(fmt::format("device {} is revoked", actor.device_id()));
  if (device->organisation() != actor.organisation()) {
    return Refuse(fmt::format("device {} is registered to {}, not {}", actor.device_id(),
                              device->organisation(), actor.organisation()));
  }
  if (!WithinMonths(device->licence_issued_on(), kLicenceValidMonths, today)) {
    return Refuse(fmt::format("device {}'s licence is older than {} months and must be re-issued",
                              actor.device_id(), kLicenceValidMonths));
  }
  return absl::OkStatus();
}

}  // namespace

std::span<const std::string_view> RequiredModules(Role role) {
  switch (role) {
    case careledger::v1::ROLE_CLINICIAN:
    case careledger::v1::ROLE_ADMINISTRATOR:
      return kEditorModules;
    case careledger::v1::ROLE_URGENT_CARE:
      return kUrgentCareModules;
    case careledger::v1::ROLE_AUDITOR:
      return kAuditorModules;
    default:
      return {};
  }
}

bool IsProfessional(Role role) {
  return role == careledger::v1::ROLE_CLINICIAN || role == careledger::v1::ROLE_ADMINISTRATOR ||
         role == careledger::v1::ROLE_URGENT_CARE || role == careledger::v1::ROLE_AUDITOR;
}

absl::Status CheckPrerequisites(const Directory& directory, const Actor& actor, absl::Time now) {
  if (actor.user_id().empty()) return Refuse("the request names no user");
  const DirectoryUser* entry = directory.FindUser(actor.user_id());
  if (entry == nullptr) {
    return Refuse(fmt::format("user {} is not registered in the directory", actor.user_id()));
  }
  const careledger::v1::User& user = entry->user;
  if (user.role() != actor.role()) {
    return Refuse(fmt::format("user {} is registered as {}, not {}", actor.user_id(),
                              careledger::v1::Role_Name(user.role()),
                              careledger::v1::Role_Name(actor.role())));
  }
  if (user.status() == careledger::v1::USER_STATUS_SUSPENDED) {
    return Refuse(fmt::format("user {} is suspended", actor.user_id()));
  }
  if (user.status() == careledger::v1::USER_STATUS_REVOKED) {
    return Refuse(fmt::format("user {}'s access is revoked", actor.user_id()));
  }
  if (!IsProfessional(user.role())) return absl::OkStatus();
  if (user.organisation() != actor.organisation()) {
    return Refuse(fmt::format("user {} is registered with organisation {}, not {}", actor.user_id(),
                              user.organisation(), actor.organisation()));
  }
  const absl::CivilDay today = Today(now);
  if (absl::Status organisation = CheckOrganisation(directory, actor, today); !organisation.ok()) {
    return organisation;
  }
  if (absl::Status record = CheckUserRecord(*entry, actor, now); !record.ok()) return record;
  return CheckDevice(directory, actor, today);
}

}  // namespace careledger::ledger
