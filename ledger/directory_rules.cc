#include "ledger/directory_rules.h"

#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "events/time_util.h"
#include "ledger/access_rules.h"
#include "ledger/dates.h"
#include "ledger/nhs_number.h"

namespace careledger::ledger {
namespace {

using careledger::v1::Command;
using careledger::v1::Event;

absl::Status ValidateCode(std::string_view what, std::string_view code) {
  if (code.empty() || code.size() > 64) {
    return absl::InvalidArgumentError(fmt::format("{} must be 1 to 64 characters", what));
  }
  for (char c : code) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == '@';
    if (!ok) {
      return absl::InvalidArgumentError(
          fmt::format("{} '{}' may hold only letters, digits and - _ . @", what, code));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateOrganisation(const careledger::v1::Organisation& organisation) {
  if (absl::Status code = ValidateCode("an ODS code", organisation.ods_code()); !code.ok()) {
    return code;
  }
  if (organisation.name().empty())
    return absl::InvalidArgumentError("the organisation needs a name");
  if (organisation.type() == careledger::v1::ORGANISATION_TYPE_UNSPECIFIED) {
    return absl::InvalidArgumentError("say what type of organisation it is");
  }
  return absl::OkStatus();
}

absl::Status ValidateUser(const Directory& directory, const careledger::v1::User& user) {
  if (absl::Status code = ValidateCode("a user id", user.user_id()); !code.ok()) return code;
  if (user.name().empty()) return absl::InvalidArgumentError("the user needs a name");
  if (user.role() == careledger::v1::ROLE_UNSPECIFIED ||
      user.role() == careledger::v1::ROLE_SYSTEM) {
    return absl::InvalidArgumentError("give the user a role (clinician, administrator, ...)");
  }
  if (const DirectoryUser* existing = directory.FindUser(user.user_id());
      existing != nullptr && existing->user.status() == careledger::v1::USER_STATUS_REVOKED) {
    return absl::FailedPreconditionError(
        fmt::format("user {} was revoked; a revoked account is never reused", user.user_id()));
  }
  if (IsProfessional(user.role())) {
    if (directory.FindOrganisation(user.organisation()) == nullptr) {
      return absl::InvalidArgumentError(
          fmt::format("organisation {} is not registered", user.organisation()));
    }
    if (user.role() == careledger::v1::ROLE_CLINICIAN && user.professional_registration().empty()) {
      return absl::InvalidArgumentError(
          "a clinician needs a professional registration (GMC, NMC, HCPC number)");
    }
  }
  // A patient's is their identity; anyone else's (a professional's own, for
  // the own_record rule) is optional but, when given, a real NHS number
  // written as its ten digits (ledger::NhsNumberAsEntered at entry).
  if (user.role() == careledger::v1::ROLE_PATIENT || !user.nhs_number().empty()) {
    return ValidateNhsNumber(user.nhs_number());
  }
  return absl::OkStatus();
}

bool IsCmcService(const Directory& directory, const std::string& ods_code) {
  const careledger::v1::Organisation* organisation = directory.FindOrganisation(ods_code);
  return organisation != nullptr &&
         organisation->type() == careledger::v1::ORGANISATION_TYPE_CMC_SERVICE;
}

absl::Status RefuseBootstrap(std::string_view why) {
  return absl::PermissionDeniedError(
      fmt::format("before the bootstrap the system role may only register the CMC service "
                  "organisation, its devices and its first CMC team member: {}",
                  why));
}

// OK when `user`, recorded at `now`, could act at once from one of their
// organisation's registered devices; else why not. A first CMC team member
// who cannot act would end the bootstrap with nobody able to keep the
// directory.
absl::Status CheckFirstMemberCanAct(const Directory& directory, const careledger::v1::User& user,
                                    absl::Time now) {
  std::vector<std::string> devices = directory.DevicesOf(user.organisation());
  if (devices.empty()) {
    return RefuseBootstrap(
        fmt::format("register a device of {} first, from which the CMC team member will act",
                    user.organisation()));
  }
  std::sort(devices.begin(), devices.end());  // the same first reason every time
  Directory after = directory;
  Event recorded;
  *recorded.mutable_user_recorded()->mutable_user() = user;
  *recorded.mutable_recorded_at() = events::ToTimestamp(now);
  after.Apply(recorded);
  absl::Status first_reason;
  for (const std::string& device : devices) {
    careledger::v1::Actor actor;
    actor.set_user_id(user.user_id());
    actor.set_role(user.role());
    actor.set_organisation(user.organisation());
    actor.set_device_id(device);
    absl::Status can_act = CheckPrerequisites(after, actor, now);
    if (can_act.ok()) return can_act;
    if (first_reason.ok()) first_reason = can_act;
  }
  return absl::PermissionDeniedError(
      fmt::format("the first CMC team member must be able to act once registered: {}",
                  std::string(first_reason.message())));
}

// The system role's bootstrap: see directory_rules.h. Called after the
// command's record was validated.
absl::Status CheckBootstrap(const Directory& directory, const Command& command, absl::Time now) {
  switch (command.body_case()) {
    case Command::kRecordOrganisation: {
      const careledger::v1::Organisation& organisation =
          command.record_organisation().organisation();
      if (organisation.type() != careledger::v1::ORGANISATION_TYPE_CMC_SERVICE) {
        return RefuseBootstrap(fmt::format(
            "organisation {} is of type {}, not ORGANISATION_TYPE_CMC_SERVICE",
            organisation.ods_code(), careledger::v1::OrganisationType_Name(organisation.type())));
      }
      return absl::OkStatus();
    }
    case Command::kRecordDevice: {
      const careledger::v1::Device& device = command.record_device().device();
      if (!IsCmcService(directory, device.organisation())) {
        return RefuseBootstrap(fmt::format("device {} belongs to {}, not to a CMC service",
                                           device.device_id(), device.organisation()));
      }
      return absl::OkStatus();
    }
    case Command::kRecordUser: {
      const careledger::v1::User& user = command.record_user().user();
      if (user.role() != careledger::v1::ROLE_AUDITOR) {
        return RefuseBootstrap(fmt::format("user {} would be {}, not a CMC team member",
                                           user.user_id(), careledger::v1::Role_Name(user.role())));
      }
      if (!IsCmcService(directory, user.organisation())) {
        return RefuseBootstrap(fmt::format("user {}'s organisation {} is not a CMC service",
                                           user.user_id(), user.organisation()));
      }
      if (user.status() == careledger::v1::USER_STATUS_SUSPENDED ||
          user.status() == careledger::v1::USER_STATUS_REVOKED) {
        return RefuseBootstrap(fmt::format("user {} is not registered active", user.user_id()));
      }
      return CheckFirstMemberCanAct(directory, user, now);
    }
    default:
      return RefuseBootstrap("it may not change a user's status");
  }
}

}  // namespace

bool IsDirectoryCommand(const Command& command) {
  switch (command.body_case()) {
    case Command::kRecordOrganisation:
    case Command::kRecordUser:
    case Command::kChangeUserStatus:
    case Command::kRecordDevice:
      return true;
    default:
      return false;
  }
}

absl::StatusOr<std::vector<Event>> DecideDirectoryCommand(const Directory& directory,
                                                          const Command& command, absl::Time now) {
  const careledger::v1::Role role = command.actor().role();
  const bool system = role == careledger::v1::ROLE_SYSTEM;
  if (role != careledger::v1::ROLE_AUDITOR && !system) {
    return absl::PermissionDeniedError(
        fmt::format("role {} may not change the directory: the CMC team keeps it",
                    careledger::v1::Role_Name(role)));
  }
  if (system && directory.HasActiveCmcTeamMember()) {
    return absl::PermissionDeniedError(
        "the system role may not change the directory: its bootstrap is over (it has an active "
        "CMC team member), so a registered CMC team member must make the change");
  }
  Event event;
  switch (command.body_case()) {
    case Command::kRecordOrganisation:
      if (absl::Status valid = ValidateOrganisation(command.record_organisation().organisation());
          !valid.ok()) {
        return valid;
      }
      *event.mutable_organisation_recorded()->mutable_organisation() =
          command.record_organisation().organisation();
      break;
    case Command::kRecordUser:
      if (absl::Status valid = ValidateUser(directory, command.record_user().user()); !valid.ok()) {
        return valid;
      }
      *event.mutable_user_recorded()->mutable_user() = command.record_user().user();
      break;
    case Command::kChangeUserStatus: {
      const careledger::v1::ChangeUserStatus& change = command.change_user_status();
      const DirectoryUser* user = directory.FindUser(change.user_id());
      if (user == nullptr) {
        return absl::InvalidArgumentError(
            fmt::format("user {} is not registered", change.user_id()));
      }
      if (change.status() == careledger::v1::USER_STATUS_UNSPECIFIED) {
        return absl::InvalidArgumentError("say which status: active, suspended or revoked");
      }
      if (user->user.status() == careledger::v1::USER_STATUS_REVOKED) {
        return absl::FailedPreconditionError(fmt::format(
            "user {} was revoked; a revoked account is never reinstated", change.user_id()));
      }
      event.mutable_user_status_changed()->set_user_id(change.user_id());
      event.mutable_user_status_changed()->set_status(change.status());
      event.mutable_user_status_changed()->set_reason(change.reason());
      break;
    }
    case Command::kRecordDevice: {
      const careledger::v1::Device& device = command.record_device().device();
      if (absl::Status code = ValidateCode("a device id", device.device_id()); !code.ok()) {
        return code;
      }
      if (directory.FindOrganisation(device.organisation()) == nullptr) {
        return absl::InvalidArgumentError(
            fmt::format("organisation {} is not registered", device.organisation()));
      }
      if (!IsValidDate(device.licence_issued_on())) {
        return absl::InvalidArgumentError("the device needs its licence's issue date");
      }
      *event.mutable_device_recorded()->mutable_device() = device;
      break;
    }
    default:
      return absl::InvalidArgumentError("not a directory command");
  }
  if (system) {
    if (absl::Status bootstrap = CheckBootstrap(directory, command, now); !bootstrap.ok()) {
      return bootstrap;
    }
  }
  return std::vector<Event>{std::move(event)};
}

}  // namespace careledger::ledger
