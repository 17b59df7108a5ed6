#include "access/erasure.h"

#include <fmt/format.h>

#include <filesystem>
#include <optional>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "events/plan_fold.h"
#include "ledger/nhs_number.h"

namespace careledger::access {

absl::StatusOr<ErasureOutcome> ErasePatient(ledger::Writer& writer, ledger::DataKeyStore& keys,
                                            const careledger::v1::Command& command) {
  if (!command.has_erase_patient()) {
    return absl::InvalidArgumentError("an erasure needs an erase_patient command");
  }
  const std::string& nhs_number = command.erase_patient().nhs_number();
  if (absl::Status valid = ledger::ValidateNhsNumber(nhs_number); !valid.ok()) return valid;
  const std::string stream = fmt::format("{}{}", events::kPatientStreamPrefix, nhs_number);

  // A key still live for a patient the ledger already erased: an earlier
  // erasure recorded its PatientErased but stopped before destroying it.
  absl::StatusOr<std::optional<events::AesKey>> live = keys.Find(stream);
  const bool key_live = live.ok() && live->has_value();

  ErasureOutcome outcome;
  absl::StatusOr<careledger::v1::CommandResult> result = writer.Submit(command);
  if (!result.ok()) return result.status();
  outcome.result = *std::move(result);
  outcome.completed_earlier_erasure =
      outcome.result.outcome() == careledger::v1::OUTCOME_REJECTED && key_live &&
      absl::StrContains(outcome.result.error(), "already erased");
  if (outcome.result.outcome() != careledger::v1::OUTCOME_APPLIED &&
      !outcome.completed_earlier_erasure) {
    return outcome;
  }
  // Recorded and durable: now the key.
  if (absl::Status destroyed = keys.Destroy(stream, absl::Now()); !destroyed.ok()) {
    return absl::Status(
        destroyed.code(),
        fmt::format("the patient's PatientErased is recorded, but the data key was not "
                    "destroyed: {} (erase again once fixed: it finds the erasure recorded and "
                    "destroys the key)",
                    std::string(destroyed.message())));
  }
  outcome.key_destroyed = true;
  return outcome;
}

absl::StatusOr<int> ReplaceWriterSnapshots(const std::string& dir, const std::string& keep) {
  int deleted = 0;
  std::error_code error;
  if (!std::filesystem::exists(dir, error)) return deleted;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    if (!entry.is_regular_file()) continue;
    if (!keep.empty() && entry.path().filename() == std::filesystem::path(keep).filename()) {
      continue;
    }
    if (!std::filesystem::remove(entry.path(), error) || error) {
      return absl::InternalError(fmt::format("cannot delete the writer snapshot {}: {}",
                                             entry.path().string(), error.message()));
    }
    ++deleted;
  }
  if (error) return absl::InternalError(fmt::format("cannot list {}: {}", dir, error.message()));
  return deleted;
}

}  // namespace careledger::access
