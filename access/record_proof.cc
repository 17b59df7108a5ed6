#include "access/record_proof.h"

#include <fmt/format.h>

#include <optional>
#include <vector>

#include "absl/strings/escaping.h"
#include "access/audit_read.h"
#include "events/envelope.h"
#include "events/partition_digest.h"
#include "events/sha256.h"
#include "ledger/log_scan.h"
#include "ledger/nhs_number.h"

namespace careledger::access {
namespace {

// What the scan of the proven record's partition gathers.
struct ProofPath {
  std::optional<events::PartitionDigest> before;  // the digest just before the record
  std::string record_key_id;
  std::vector<std::pair<std::int64_t, events::Hash>> following;  // up to the checkpoint
  std::optional<std::int64_t> checkpoint_offset;
  std::string checkpoint_key_id;
};

nlohmann::json RawRecord(const events::LogRecord& record) {
  return {{"offset", record.offset},
          {"key_base64", absl::Base64Escape(record.key)},
          {"value_base64", absl::Base64Escape(record.value)}};
}

// The keyring entries of `key_ids` only, in the protobuf JSON mapping.
absl::StatusOr<nlohmann::json> KeyringOf(const events::Keyring& keyring,
                                         const std::vector<std::string>& key_ids) {
  events::Keyring subset;
  for (const std::string& key_id : key_ids) {
    if (subset.Find(key_id) != nullptr) continue;
    const events::KeyEntry* entry = keyring.Find(key_id);
    if (entry == nullptr)
      return absl::NotFoundError(fmt::format("no key {} in the keyring", key_id));
    if (absl::Status added = subset.Add(*entry); !added.ok()) return added;
  }
  absl::StatusOr<std::string> json = subset.ToJson();
  if (!json.ok()) return json.status();
  return nlohmann::json::parse(*json);
}

// The patient a record concerns: an access record's, or a plan stream's; "".
std::string PatientOf(const careledger::v1::Event& event) {
  if (event.has_access_recorded()) return event.access_recorded().nhs_number();
  constexpr std::string_view kPlan = "patient/";
  if (event.stream_id().rfind(kPlan, 0) == 0) return event.stream_id().substr(kPlan.size());
  return "";
}

}  // namespace

absl::StatusOr<nlohmann::json> BuildRecordProof(ledger::Log& log, const events::Keyring& keyring,
                                                std::int32_t partition, std::int64_t offset) {
  if (partition < 0 || partition >= log.partition_count() || offset < 0) {
    return absl::InvalidArgumentError(
        fmt::format("partition {} offset {} is no position of this log ({} partitions)", partition,
                    offset, log.partition_count()));
  }
  absl::StatusOr<std::unique_ptr<ledger::LogReader>> reader = log.OpenReader();
  if (!reader.ok()) return reader.status();
  ProofPath path;
  events::PartitionDigest digest;
  absl::StatusOr<ledger::ScanReport> scan = ledger::ScanLog(
      **reader, &keyring, /*threads=*/0, [&](std::int32_t p, const events::VerifiedRecord& record) {
        if (p != partition || path.checkpoint_offset) return;
        if (record.offset == offset) {
          path.before = digest;
          path.record_key_id = record.opened.signed_event.key_id();
        } else if (path.before && record.opened.event.has_checkpoint()) {
          path.checkpoint_offset = record.offset;
          path.checkpoint_key_id = record.opened.signed_event.key_id();
        } else if (path.before) {
          path.following.emplace_back(record.offset, record.opened.value_hash);
        }
        digest.Add(record.offset, record.opened.value_hash);
      });
  if (!scan.ok()) return scan.status();
  if (!scan->stops.empty()) {
    return absl::DataLossError(fmt::format("the log does not verify, so no proof is issued: {}",
                                           scan->stops.front().Describe()));
  }
  if (!path.before) {
    return absl::NotFoundError(
        fmt::format("partition {} holds no record at offset {}", partition, offset));
  }
  if (!path.checkpoint_offset) {
    return absl::FailedPreconditionError(fmt::format(
        "no signed checkpoint follows partition {} offset {} yet; `careledger checkpoint` "
        "appends one, then ask again",
        partition, offset));
  }

  // The two records' exact bytes, as the log holds them.
  absl::StatusOr<LogLookup> lookup = LogLookup::Open(&log, {});
  if (!lookup.ok()) return lookup.status();
  absl::StatusOr<events::LogRecord> record = lookup->Read(partition, offset);
  if (!record.ok()) return record.status();
  absl::StatusOr<events::LogRecord> checkpoint = lookup->Read(partition, *path.checkpoint_offset);
  if (!checkpoint.ok()) return checkpoint.status();
  absl::StatusOr<nlohmann::json> keys =
      KeyringOf(keyring, {path.record_key_id, path.checkpoint_key_id});
  if (!keys.ok()) return keys.status();

  nlohmann::json following = nlohmann::json::array();
  for (const auto& [at, value_hash] : path.following) {
    following.push_back({{"offset", at}, {"value_sha256", events::HashHex(value_hash)}});
  }
  return nlohmann::json{
      {"format", "careledger.proof.v1"},
      {"log_id", scan->log_id},
      {"partitions", log.partition_count()},
      {"partition", partition},
      {"record", RawRecord(*record)},
      {"before",
       {{"record_count", path.before->record_count},
        {"last_offset", path.before->last_offset},
        {"running_hash", events::HashHex(path.before->running)}}},
      {"following", std::move(following)},
      {"checkpoint", RawRecord(*checkpoint)},
      {"keyring", *std::move(keys)},
  };
}

absl::StatusOr<RecordProof> ProveRecord(ledger::Writer& writer, careledger::v1::Command command,
                                        ledger::Log& log, LogLookup& lookup,
                                        const events::Keyring& keyring,
                                        const careledger::v1::EventPosition& position,
                                        ProjectionFeed& feed, absl::Time deadline) {
  absl::StatusOr<nlohmann::json> proof =
      BuildRecordProof(log, keyring, position.partition(), position.offset());
  if (!proof.ok()) return proof.status();
  // Whose record it is, so that the query is in that patient's trail.
  absl::StatusOr<events::LogRecord> raw = lookup.Read(position.partition(), position.offset());
  if (!raw.ok()) return raw.status();
  absl::StatusOr<events::OpenedRecord> opened = events::OpenRecord(raw->key, raw->value);
  if (!opened.ok()) return opened.status();
  careledger::v1::AuditQuery* query = command.mutable_audit_query();
  query->set_scope(careledger::v1::AUDIT_SCOPE_ACCESS);
  query->set_subject(fmt::format("{}/{}", position.partition(), position.offset()));
  if (const std::string patient = PatientOf(opened->event);
      ledger::ValidateNhsNumber(patient).ok()) {
    query->set_nhs_number(patient);
  }
  absl::StatusOr<careledger::v1::CommandResult> recorded =
      RecordAuditQuery(writer, command, feed, deadline);
  if (!recorded.ok()) return recorded.status();
  RecordProof answer;
  answer.recorded = *std::move(recorded);
  answer.granted = answer.recorded.outcome() != careledger::v1::OUTCOME_REJECTED;
  if (answer.granted) answer.proof = *std::move(proof);
  return answer;
}

}  // namespace careledger::access
