#include "tools/kept_checkpoints.h"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "events/sha256.h"

namespace careledger::tools {
namespace {

// Parses 64 hex digits.
bool HashFromHex(const std::string& hex, events::Hash* out) {
  if (hex.size() != 64) return false;
  for (std::size_t i = 0; i < out->size(); ++i) {
    unsigned value = 0;
    for (int nibble = 0; nibble < 2; ++nibble) {
      const char c = hex[2 * i + nibble];
      value <<= 4;
      if (c >= '0' && c <= '9') {
        value |= static_cast<unsigned>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        value |= static_cast<unsigned>(c - 'a' + 10);
      } else {
        return false;
      }
    }
    (*out)[i] = static_cast<std::uint8_t>(value);
  }
  return true;
}

}  // namespace

nlohmann::json KeptCheckpointsJson(const std::string& log,
                                   const std::vector<events::PartitionDigest>& digests) {
  nlohmann::json checkpoints = nlohmann::json::array();
  for (std::size_t p = 0; p < digests.size(); ++p) {
    checkpoints.push_back({{"partition", p},
                           {"last_offset", digests[p].last_offset},
                           {"record_count", digests[p].record_count},
                           {"running_hash", events::HashHex(digests[p].running)}});
  }
  return {{"log", log}, {"checkpoints", checkpoints}};
}

absl::StatusOr<std::vector<KeptCheckpoint>> ReadKeptCheckpoints(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(fmt::format("cannot read {}", path));
  std::ostringstream text;
  text << in.rdbuf();
  return ParseKeptCheckpoints(text.str(), path);
}

absl::StatusOr<std::vector<KeptCheckpoint>> ParseKeptCheckpoints(std::string_view text,
                                                                 const std::string& path) {
  const nlohmann::json document = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded() || !document.contains("checkpoints") ||
      !document["checkpoints"].is_array()) {
    return absl::InvalidArgumentError(
        fmt::format("{} is not the output of 'careledger --json checkpoint'", path));
  }
  std::vector<KeptCheckpoint> kept;
  for (const nlohmann::json& entry : document["checkpoints"]) {
    KeptCheckpoint checkpoint;
    if (!entry.is_object() || !entry.contains("partition") || !entry.contains("last_offset") ||
        !entry.contains("record_count") || !entry.contains("running_hash") ||
        !entry["partition"].is_number_integer() || !entry["last_offset"].is_number_integer() ||
        !entry["record_count"].is_number_unsigned() || !entry["running_hash"].is_string() ||
        !HashFromHex(entry["running_hash"].get<std::string>(), &checkpoint.digest.running)) {
      return absl::InvalidArgumentError(
          fmt::format("{}: a checkpoint needs partition, last_offset, record_count and a "
                      "64-digit hex running_hash",
                      path));
    }
    checkpoint.partition = entry["partition"].get<std::int32_t>();
    checkpoint.digest.last_offset = entry["last_offset"].get<std::int64_t>();
    checkpoint.digest.record_count = entry["record_count"].get<std::uint64_t>();
    kept.push_back(checkpoint);
  }
  return kept;
}

KeptCheckpointCheck::KeptCheckpointCheck(std::vector<KeptCheckpoint> kept, std::int32_t partitions)
    : kept_(std::move(kept)), digests_(partitions), matched_(kept_.size(), false) {
  // An empty partition's kept checkpoint is satisfied by an empty start.
  for (std::size_t i = 0; i < kept_.size(); ++i) {
    if (kept_[i].digest.record_count == 0 && kept_[i].digest.running == events::kZeroHash) {
      matched_[i] = true;
    }
  }
}

void KeptCheckpointCheck::Observe(std::int32_t partition, const events::VerifiedRecord& record) {
  if (partition < 0 || partition >= static_cast<std::int32_t>(digests_.size())) return;
  events::PartitionDigest& digest = digests_[partition];
  digest.Add(record.offset, record.opened.value_hash);
  for (std::size_t i = 0; i < kept_.size(); ++i) {
    const KeptCheckpoint& kept = kept_[i];
    if (kept.partition != partition || matched_[i] || kept.digest.last_offset != record.offset) {
      continue;
    }
    matched_[i] = true;
    if (!(digest == kept.digest)) {
      mismatches_.push_back(fmt::format(
          "partition {}: the history up to offset {} differs from the kept checkpoint "
          "(kept {} records hashing to {}, the log has {} hashing to {}): it was rewritten",
          partition, record.offset, kept.digest.record_count, events::HashHex(kept.digest.running),
          digest.record_count, events::HashHex(digest.running)));
    }
  }
}

std::vector<std::string> KeptCheckpointCheck::Failures() const {
  std::vector<std::string> failures = mismatches_;
  for (std::size_t i = 0; i < kept_.size(); ++i) {
    if (matched_[i]) continue;
    const KeptCheckpoint& kept = kept_[i];
    const bool known_partition =
        kept.partition >= 0 && kept.partition < static_cast<std::int32_t>(digests_.size());
    failures.push_back(fmt::format(
        "partition {}: the kept checkpoint covers {} records up to offset {}, but the verified "
        "log {}: its tail was cut or replaced",
        kept.partition, kept.digest.record_count, kept.digest.last_offset,
        known_partition ? fmt::format("has no record at that offset (it ends at offset {})",
                                      digests_[kept.partition].last_offset)
                        : std::string("has no such partition")));
  }
  return failures;
}

}  // namespace careledger::tools
