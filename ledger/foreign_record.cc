#include "ledger/foreign_record.h"

#include <fmt/format.h>

#include "events/failure.h"
#include "ledger/decide.h"

namespace careledger::ledger {
namespace {

constexpr std::string_view kNodeKeyPrefix = "node.";

bool IsNodeChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

bool IsNodeId(std::string_view node) {
  if (node.empty() || node.size() > 64) return false;
  for (char c : node) {
    if (!IsNodeChar(c)) return false;
  }
  return true;
}

}  // namespace

std::string NodeOfKeyId(std::string_view key_id) {
  if (!key_id.starts_with(kNodeKeyPrefix)) return "";
  std::string_view rest = key_id.substr(kNodeKeyPrefix.size());
  const std::string_view node = rest.substr(0, rest.find('.'));
  return IsNodeId(node) ? std::string(node) : "";
}

absl::StatusOr<std::string> NodeKeyId(std::string_view node) {
  if (!IsNodeId(node)) {
    return absl::InvalidArgumentError(
        fmt::format("node id '{}' must be 1 to 64 letters, digits, '-' or '_'", std::string(node)));
  }
  return fmt::format("{}{}", kNodeKeyPrefix, node);
}

absl::Status CheckForeignRecord(const events::OpenedRecord& opened, const events::Keyring* keyring,
                                std::string_view writer_access_stream) {
  const std::string& key_id = opened.signed_event.key_id();
  const std::string node = NodeOfKeyId(key_id);
  if (node.empty()) {
    return events::VerificationFailure(
        events::FailureKind::kUnknownKey,
        fmt::format("a record the writer did not append, signed by '{}', which is not a read "
                    "replica's node key",
                    key_id));
  }
  if (keyring != nullptr) {
    if (absl::Status signature = events::VerifySignature(opened, *keyring); !signature.ok()) {
      return signature;
    }
  }
  const std::string own_stream = AccessStream(node);
  if (opened.event.stream_id() != own_stream || own_stream == writer_access_stream ||
      !opened.event.has_access_recorded()) {
    return events::VerificationFailure(
        events::FailureKind::kStreamMismatch,
        fmt::format("node key '{}' may append only access records on '{}' (not the writer's "
                    "own), but this record is on '{}'{}",
                    key_id, own_stream, opened.event.stream_id(),
                    opened.event.has_access_recorded() ? "" : " and is not an access record"));
  }
  return absl::OkStatus();
}

}  // namespace careledger::ledger
