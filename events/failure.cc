#include "events/failure.h"

#include <fmt/format.h>

#include <array>
#include <string>

#include "absl/strings/cord.h"
#include "events/format.h"

namespace careledger::events {
namespace {

constexpr char kPayloadUrl[] = "careledger/failure_kind";

constexpr std::array<std::pair<FailureKind, std::string_view>, 11> kNames = {{
    {FailureKind::kMalformed, "malformed"},
    {FailureKind::kStreamMismatch, "stream_mismatch"},
    {FailureKind::kUnknownKey, "unknown_key"},
    {FailureKind::kKeyNotValid, "key_not_valid"},
    {FailureKind::kBadSignature, "bad_signature"},
    {FailureKind::kSequenceGap, "sequence_gap"},
    {FailureKind::kDuplicate, "duplicate"},
    {FailureKind::kChainBreak, "chain_break"},
    {FailureKind::kCheckpointMismatch, "checkpoint_mismatch"},
    {FailureKind::kGenesisMismatch, "genesis_mismatch"},
    {FailureKind::kKeyRevoked, "key_revoked"},
}};

}  // namespace

std::string_view FailureKindName(FailureKind kind) {
  for (const auto& [k, name] : kNames) {
    if (k == kind) return name;
  }
  return "unknown";
}

absl::Status VerificationFailure(FailureKind kind, std::string_view message) {
  absl::Status status(kind == FailureKind::kMalformed ? absl::StatusCode::kInvalidArgument
                                                      : absl::StatusCode::kDataLoss,
                      fmt::format("{}: {}", FailureKindName(kind), message));
  status.SetPayload(kPayloadUrl, absl::Cord(std::string(FailureKindName(kind))));
  return status;
}

std::optional<FailureKind> FailureKindOf(const absl::Status& status) {
  absl::optional<absl::Cord> payload = status.GetPayload(kPayloadUrl);
  if (!payload) return std::nullopt;
  const std::string name(*payload);
  for (const auto& [k, n] : kNames) {
    if (n == name) return k;
  }
  return std::nullopt;
}

}  // namespace careledger::events
