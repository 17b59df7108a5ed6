#include "ledger/head_witness.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

namespace careledger::ledger {

absl::Status WriteHeadWitness(const std::string& path,
                              std::span<const events::PartitionDigest> digests) {
  nlohmann::json heads = nlohmann::json::array();
  for (std::size_t p = 0; p < digests.size(); ++p) {
    heads.push_back({{"partition", p},
                     {"last_offset", digests[p].last_offset},
                     {"record_count", digests[p].record_count},
                     {"running_hash", events::HashHex(digests[p].running)}});
  }
  const std::string text = nlohmann::json{{"heads", heads}}.dump() + "\n";
  const std::string temporary = path + ".tmp";
  const int fd =
      ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::InternalError(fmt::format("write {}: {}", temporary, std::strerror(errno)));
  }
  const ssize_t written = ::write(fd, text.data(), text.size());
  const int saved = errno;
  ::close(fd);
  if (written != static_cast<ssize_t>(text.size())) {
    return absl::InternalError(fmt::format("write {}: {}", temporary, std::strerror(saved)));
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    return absl::InternalError(fmt::format("rename {}: {}", path, std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Witness>> ReadHeadWitness(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) {
    return absl::NotFoundError(fmt::format("no head witness at {}", path));
  }
  std::ifstream in(path);
  const nlohmann::json document = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  const auto bad = [&] {
    return absl::DataLossError(fmt::format("the head witness {} does not parse", path));
  };
  if (document.is_discarded() || !document.is_object() || !document.contains("heads") ||
      !document["heads"].is_array()) {
    return bad();
  }
  std::vector<Witness> witnesses;
  for (const nlohmann::json& entry : document["heads"]) {
    Witness witness;
    witness.source = fmt::format("writer heads {}", path);
    if (!entry.is_object() || !entry.contains("partition") || !entry.contains("last_offset") ||
        !entry.contains("record_count") || !entry.contains("running_hash") ||
        !entry["partition"].is_number_integer() || !entry["last_offset"].is_number_integer() ||
        !entry["record_count"].is_number_unsigned() || !entry["running_hash"].is_string() ||
        !HashFromHex(entry["running_hash"].get<std::string>(), &witness.digest.running)) {
      return bad();
    }
    witness.partition = entry["partition"].get<std::int32_t>();
    witness.digest.last_offset = entry["last_offset"].get<std::int64_t>();
    witness.digest.record_count = entry["record_count"].get<std::uint64_t>();
    witnesses.push_back(std::move(witness));
  }
  return witnesses;
}

}  // namespace careledger::ledger
