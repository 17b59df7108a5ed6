#include "ledger/directory_rules.h"

#include <fmt/format.h>

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
    return absl::OkStatus();
  }
  if (user.role() == careledger::v1::ROLE_PATIENT) return ValidateNhsNumber(user.nhs_number());
  return absl::OkStatus();
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
                                                          const Command& command,
                                                          absl::Time /*now*/) {
  const careledger::v1::Role role = command.actor().role();
  if (role != careledger::v1::ROLE_AUDITOR && role != careledger::v1::ROLE_SYSTEM) {
    return absl::PermissionDeniedError(
        fmt::format("role {} may not change the directory: the CMC team keeps it",
                    careledger::v1::Role_Name(role)));
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
  return std::vector<Event>{std::move(event)};
}

}  // namespace careledger::ledger
