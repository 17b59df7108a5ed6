#include "tools/kept_checkpoints.h"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "events/sha256.h"

namespace careledger::tools {
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
    checkpoint.source = fmt::format("kept checkpoint {}", path);
    if (!entry.is_object() || !entry.contains("partition") || !entry.contains("last_offset") ||
        !entry.contains("record_count") || !entry.contains("running_hash") ||
        !entry["partition"].is_number_integer() || !entry["last_offset"].is_number_integer() ||
        !entry["record_count"].is_number_unsigned() || !entry["running_hash"].is_string() ||
        !ledger::HashFromHex(entry["running_hash"].get<std::string>(),
                             &checkpoint.digest.running)) {
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

}  // namespace careledger::tools
