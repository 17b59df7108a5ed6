#include "service/command_request.h"

#include <fmt/format.h>

#include <charconv>

#include "ledger/limits.h"
#include "ledger/nhs_number.h"
#include "tools/output.h"

namespace careledger::service {
namespace {

CommandDecoding Refuse(int status, std::string title, std::string detail) {
  return CommandDecoding{std::nullopt, status, std::move(title), std::move(detail)};
}

// If-Match: "N" or N, a whole number.
absl::Status ParseIfMatch(std::string_view text, careledger::v1::Command* command) {
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"') {
    text = text.substr(1, text.size() - 2);
  }
  std::uint64_t version = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), version);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
    return absl::InvalidArgumentError("If-Match must be the expected plan version, e.g. \"3\"");
  }
  if (command->has_expected_version() && command->expected_version() != version) {
    return absl::InvalidArgumentError("If-Match and the body's expected_version disagree");
  }
  command->set_expected_version(version);
  return absl::OkStatus();
}

}  // namespace

CommandDecoding DecodeCommandRequest(const CommandRequest& request) {
  if (request.content_type.rfind("application/json", 0) != 0) {
    return Refuse(415, "Unsupported Media Type",
                  "the body is a careledger.v1.Command in JSON (application/json)");
  }
  DecodedCommand decoded;
  careledger::v1::Command& command = decoded.command;
  if (absl::Status parsed = tools::FromJson(std::string(request.body), &command); !parsed.ok()) {
    return Refuse(400, "Malformed command", std::string(parsed.message()));
  }
  ledger::NormaliseNhsNumbersIn(&command);
  if (command.body_case() == careledger::v1::Command::BODY_NOT_SET) {
    return Refuse(400, "Malformed command", "the command has no body");
  }
  if (!command.refused_credentials().empty()) {
    return Refuse(400, "Malformed command",
                  "refused_credentials is the service's to set, never the caller's");
  }
  if (command.has_view_plan()) {
    return Refuse(400, "Reads are not commands",
                  "read a plan with GET /v1/patients/{nhs}/plan?purpose=...");
  }
  if (command.has_view_worklist() || command.has_audit_query()) {
    return Refuse(
        400, "Reads are not commands",
        "a worklist is read with GET /v1/worklist, an audit query with GET /v1/audit/...: "
        "each records the look and shows what it recorded");
  }
  // Erasure is more than its event: the data key is destroyed and the
  // writer snapshots replaced after it, which its own route does.
  if (command.has_erase_patient()) {
    return Refuse(400, "Erasure has its own route",
                  "erase a patient with POST /v1/patients/{nhs}/erase (docs/governance.md, "
                  "\"Erasure\"): it records the erasure, then destroys the data key");
  }
  if (request.if_match) {
    if (absl::Status matched = ParseIfMatch(*request.if_match, &command); !matched.ok()) {
      return Refuse(400, "Bad If-Match", std::string(matched.message()));
    }
  }
  const std::string_view key = request.idempotency_key;
  if (!key.empty() && !command.command_id().empty() && key != command.command_id()) {
    return Refuse(400, "Conflicting command ids",
                  "Idempotency-Key and the body's command_id differ");
  }
  decoded.asked_id = key.empty() ? command.command_id() : std::string(key);
  decoded.named = command.actor();
  command.mutable_actor()->Clear();
  command.mutable_actor()->set_purpose(decoded.named.purpose());
  command.clear_command_id();
  return CommandDecoding{std::move(decoded), 0, "", ""};
}

absl::StatusOr<std::string> ScopedCommandId(std::string_view user_id, std::string_view asked_id) {
  std::string scoped = fmt::format("{}:{}", user_id, asked_id);
  if (scoped.size() > ledger::kMaxIdLength) {
    return absl::InvalidArgumentError(
        fmt::format("at most {} characters with the user id", ledger::kMaxIdLength));
  }
  return scoped;
}

}  // namespace careledger::service
