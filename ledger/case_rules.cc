#include "ledger/case_rules.h"

#include <fmt/format.h>

#include "events/text.h"
#include "ledger/alert_review_rules.h"
#include "ledger/limits.h"
#include "ledger/nhs_number.h"

namespace careledger::ledger {
namespace {

using careledger::v1::Command;

std::size_t Characters(const std::string& text) {
  return events::CountCharacters(text).value_or(text.size());
}

absl::Status CheckNote(std::string_view field, const std::string& note, bool required) {
  if (required && note.find_first_not_of(" \t\r\n") == std::string::npos) {
    return absl::InvalidArgumentError(fmt::format("{}: a case note may not be empty", field));
  }
  if (Characters(note) > kMaxReviewNoteLength) {
    return absl::InvalidArgumentError(
        fmt::format("{}: a case note is at most {} characters", field, kMaxReviewNoteLength));
  }
  return absl::OkStatus();
}

}  // namespace

bool IsCaseCommand(const Command& command) {
  switch (command.body_case()) {
    case Command::kOpenCase:
    case Command::kAddCaseAlert:
    case Command::kAddCaseNote:
    case Command::kCloseCase:
      return true;
    default:
      return false;
  }
}

absl::Status ValidateCaseId(std::string_view case_id) {
  if (case_id.empty() || case_id.size() > kMaxCaseIdLength ||
      case_id.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") !=
          std::string_view::npos) {
    return absl::InvalidArgumentError(
        fmt::format("a case id is 1 to {} of a-z, 0-9 and '-', not '{}'", kMaxCaseIdLength,
                    events::RecordableText(case_id, kMaxRecordedIdLength)));
  }
  return absl::OkStatus();
}

std::string CaseStream(std::string_view case_id) { return fmt::format("audit/case/{}", case_id); }

std::string CaseIdOf(const Command& command) {
  switch (command.body_case()) {
    case Command::kOpenCase:
      return command.open_case().case_id();
    case Command::kAddCaseAlert:
      return command.add_case_alert().case_id();
    case Command::kAddCaseNote:
      return command.add_case_note().case_id();
    case Command::kCloseCase:
      return command.close_case().case_id();
    default:
      return "";
  }
}

absl::StatusOr<std::string> CaseCommandStream(const Command& command) {
  const std::string case_id = CaseIdOf(command);
  if (absl::Status valid = ValidateCaseId(case_id); !valid.ok()) return valid;
  return CaseStream(case_id);
}

std::string CaseNhsNumber(const Command& command) {
  if (command.has_open_case()) return command.open_case().nhs_number();
  if (command.has_add_case_alert()) return command.add_case_alert().nhs_number();
  return "";
}

absl::Status ValidateCaseCommand(const Command& command) {
  if (!IsCaseCommand(command)) return absl::InvalidArgumentError("not a case command");
  if (absl::Status valid = ValidateCaseId(CaseIdOf(command)); !valid.ok()) return valid;
  switch (command.body_case()) {
    case Command::kOpenCase: {
      const careledger::v1::OpenCase& open = command.open_case();
      if (open.title().find_first_not_of(" \t") == std::string::npos) {
        return absl::InvalidArgumentError("title: a case needs a title");
      }
      if (open.title().find_first_of("\r\n") != std::string::npos ||
          Characters(open.title()) > kMaxLineLength) {
        return absl::InvalidArgumentError(
            fmt::format("title: one line of at most {} characters", kMaxLineLength));
      }
      if (open.user_id().empty() == open.nhs_number().empty()) {
        return absl::InvalidArgumentError(
            "a case is about one person: a user id or a patient's NHS number, exactly one");
      }
      if (!open.nhs_number().empty()) return ValidateNhsNumber(open.nhs_number());
      if (Characters(open.user_id()) > kMaxIdLength) {
        return absl::InvalidArgumentError(
            fmt::format("user_id: at most {} characters", kMaxIdLength));
      }
      return absl::OkStatus();
    }
    case Command::kAddCaseAlert: {
      const careledger::v1::AddCaseAlert& add = command.add_case_alert();
      if (absl::Status valid = ValidateAlertId(add.alert_id()); !valid.ok()) return valid;
      if (!add.nhs_number().empty()) return ValidateNhsNumber(add.nhs_number());
      return absl::OkStatus();
    }
    case Command::kAddCaseNote:
      return CheckNote("note", command.add_case_note().note(), /*required=*/true);
    case Command::kCloseCase: {
      const careledger::v1::CloseCase& close = command.close_case();
      if (close.outcome() == careledger::v1::ALERT_REVIEW_OUTCOME_UNSPECIFIED ||
          !careledger::v1::AlertReviewOutcome_IsValid(close.outcome())) {
        return absl::InvalidArgumentError(
            "outcome: a case is closed with an outcome: justified, "
            "inappropriate-access-confirmed, false-positive or referred");
      }
      return CheckNote("note", close.note(), /*required=*/false);
    }
    default:
      return absl::InvalidArgumentError("not a case command");
  }
}

absl::StatusOr<std::vector<careledger::v1::Event>> DecideCaseCommand(const Command& command,
                                                                     const CaseState& state) {
  if (command.actor().role() != careledger::v1::ROLE_AUDITOR) {
    const auto* field = Command::descriptor()->FindFieldByNumber(command.body_case());
    return absl::PermissionDeniedError(
        fmt::format("role {} may not {}: only the CMC team keeps investigation cases",
                    careledger::v1::Role_Name(command.actor().role()),
                    field == nullptr ? "act on a case" : field->name()));
  }
  if (absl::Status valid = ValidateCaseCommand(command); !valid.ok()) return valid;
  const std::string case_id = CaseIdOf(command);
  if (command.has_open_case()) {
    if (state.stream_seq != 0) {
      return absl::AlreadyExistsError(fmt::format("case {} is already open", case_id));
    }
  } else if (state.stream_seq == 0) {
    return absl::NotFoundError(fmt::format("no case {}", case_id));
  } else if (state.closed) {
    return absl::FailedPreconditionError(
        fmt::format("case {} is closed: nothing more is added to it", case_id));
  }
  careledger::v1::Event event;
  switch (command.body_case()) {
    case Command::kOpenCase: {
      careledger::v1::CaseOpened* opened = event.mutable_case_opened();
      opened->set_case_id(case_id);
      opened->set_title(command.open_case().title());
      opened->set_user_id(command.open_case().user_id());
      opened->set_nhs_number(command.open_case().nhs_number());
      break;
    }
    case Command::kAddCaseAlert: {
      careledger::v1::CaseAlertAdded* added = event.mutable_case_alert_added();
      added->set_case_id(case_id);
      added->set_alert_id(command.add_case_alert().alert_id());
      added->set_nhs_number(command.add_case_alert().nhs_number());
      break;
    }
    case Command::kAddCaseNote: {
      careledger::v1::CaseNoteAdded* noted = event.mutable_case_note_added();
      noted->set_case_id(case_id);
      noted->set_note(command.add_case_note().note());
      break;
    }
    case Command::kCloseCase: {
      careledger::v1::CaseClosed* closed = event.mutable_case_closed();
      closed->set_case_id(case_id);
      closed->set_outcome(command.close_case().outcome());
      closed->set_note(command.close_case().note());
      break;
    }
    default:
      return absl::InvalidArgumentError("not a case command");
  }
  return std::vector<careledger::v1::Event>{std::move(event)};
}

}  // namespace careledger::ledger
