#include "tools/audit_proof.h"

#include <fmt/format.h>

#include <optional>
#include <vector>

#include "events/envelope.h"
#include "events/partition_digest.h"
#include "events/sha256.h"
#include "ledger/log_scan.h"
#include "tools/log_lookup.h"
#include "tools/output.h"

namespace careledger::tools {
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
          {"key_base64", Base64(record.key)},
          {"value_base64", Base64(record.value)}};
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

}  // namespace careledger::tools
