#include "tools/backup_manifest.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

namespace careledger::tools {

std::vector<BackupFile> BackupFiles(const std::string& prefix,
                                    const std::vector<FileFingerprint>& fingerprints) {
  std::vector<BackupFile> files;
  for (const FileFingerprint& file : fingerprints) {
    files.push_back(BackupFile{prefix + "/" + file.path, file.size, events::HashHex(file.sha256)});
  }
  return files;
}

absl::Status WriteBackupManifest(const std::string& dir, const BackupManifest& manifest) {
  std::vector<events::PartitionDigest> digests;
  for (const KeptCheckpoint& checkpoint : manifest.checkpoints) {
    digests.push_back(checkpoint.digest);
  }
  nlohmann::json document = KeptCheckpointsJson(manifest.log, digests);
  document["format"] = kBackupFormat;
  document["created"] = manifest.created;
  document["source"] = manifest.source;
  document["partitions"] = manifest.partitions;
  document["records"] = manifest.records;
  document["verified_checkpoints"] = manifest.verified_checkpoints;
  document["copied"] = manifest.copied;
  document["not_copied"] = {"projection"};
  nlohmann::json files = nlohmann::json::array();
  for (const BackupFile& file : manifest.files) {
    files.push_back({{"path", file.path}, {"size", file.size}, {"sha256", file.sha256}});
  }
  document["files"] = files;
  const std::string text = document.dump(2) + "\n";

  const std::string path = dir + "/" + kBackupManifestName;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return absl::InternalError(fmt::format("cannot create {}", path));
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = ::fsync(fd) == 0 && ok;
  ok = ::close(fd) == 0 && ok;
  if (!ok) return absl::InternalError(fmt::format("cannot write {}", path));
  return SyncDir(dir);
}

absl::StatusOr<BackupManifest> ReadBackupManifest(const std::string& dir) {
  const std::string path = dir + "/" + kBackupManifestName;
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(
        fmt::format("{} is missing: {} is not a complete careledger backup", path, dir));
  }
  const nlohmann::json document = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  auto bad = [&](std::string_view what) {
    return absl::DataLossError(fmt::format("{}: {}", path, what));
  };
  if (document.is_discarded() || !document.is_object()) return bad("not JSON");
  if (document.value("format", "") != kBackupFormat) {
    return bad(fmt::format("format is not '{}'", kBackupFormat));
  }
  BackupManifest manifest;
  for (const char* field : {"created", "source", "log"}) {
    if (!document.contains(field) || !document[field].is_string()) {
      return bad(fmt::format("'{}' must be a string", field));
    }
  }
  for (const char* field : {"partitions", "records", "verified_checkpoints"}) {
    if (!document.contains(field) || !document[field].is_number_unsigned()) {
      return bad(fmt::format("'{}' must be a count", field));
    }
  }
  if (!document.contains("copied") || !document["copied"].is_array() ||
      !document.contains("files") || !document["files"].is_array()) {
    return bad("'copied' and 'files' must be lists");
  }
  manifest.created = document["created"].get<std::string>();
  manifest.source = document["source"].get<std::string>();
  manifest.log = document["log"].get<std::string>();
  if (document["partitions"].get<std::uint64_t>() > 1024) return bad("too many partitions");
  manifest.partitions = document["partitions"].get<std::int32_t>();
  manifest.records = document["records"].get<std::uint64_t>();
  manifest.verified_checkpoints = document["verified_checkpoints"].get<std::uint64_t>();
  for (const nlohmann::json& name : document["copied"]) {
    if (!name.is_string()) return bad("'copied' must list names");
    manifest.copied.push_back(name.get<std::string>());
  }
  for (const nlohmann::json& file : document["files"]) {
    if (!file.is_object() || !file.contains("path") || !file["path"].is_string() ||
        !file.contains("size") || !file["size"].is_number_unsigned() || !file.contains("sha256") ||
        !file["sha256"].is_string()) {
      return bad("each file needs a path, a size and a sha256");
    }
    manifest.files.push_back(BackupFile{file["path"].get<std::string>(),
                                        file["size"].get<std::uint64_t>(),
                                        file["sha256"].get<std::string>()});
  }
  // The checkpoints are a kept-checkpoint list: read them the one way.
  absl::StatusOr<std::vector<KeptCheckpoint>> checkpoints = ReadKeptCheckpoints(path);
  if (!checkpoints.ok()) return bad(std::string(checkpoints.status().message()));
  manifest.checkpoints = *std::move(checkpoints);
  if (static_cast<std::int32_t>(manifest.checkpoints.size()) != manifest.partitions) {
    return bad(fmt::format("{} partitions but {} checkpoints", manifest.partitions,
                           manifest.checkpoints.size()));
  }
  for (std::int32_t p = 0; p < manifest.partitions; ++p) {
    if (manifest.checkpoints[p].partition != p) return bad("checkpoints out of partition order");
  }
  return manifest;
}

absl::StatusOr<std::vector<std::string>> CheckBackupFiles(const std::string& dir,
                                                          const BackupManifest& manifest) {
  std::map<std::string, BackupFile> found;
  for (const std::string& part : manifest.copied) {
    if (part != "log" && part != "keys" && part != "data-keys" && part != "witness") {
      return absl::DataLossError(
          fmt::format("{}/{}: copies an unknown part '{}'", dir, kBackupManifestName, part));
    }
    std::error_code error;
    if (!std::filesystem::exists(dir + "/" + part, error)) continue;  // its files are missing
    absl::StatusOr<std::vector<FileFingerprint>> files = FingerprintTree(dir + "/" + part);
    if (!files.ok()) return files.status();
    for (BackupFile& file : BackupFiles(part, *files)) found[file.path] = std::move(file);
  }
  std::vector<std::string> problems;
  for (const BackupFile& listed : manifest.files) {
    auto it = found.find(listed.path);
    if (it == found.end()) {
      problems.push_back(fmt::format("{} is missing", listed.path));
      continue;
    }
    if (it->second.size != listed.size) {
      problems.push_back(fmt::format("{} has {} bytes, {} were copied", listed.path,
                                     it->second.size, listed.size));
    } else if (it->second.sha256 != listed.sha256) {
      problems.push_back(fmt::format("{} has changed since it was copied (SHA-256 {}, copied {})",
                                     listed.path, it->second.sha256, listed.sha256));
    }
    found.erase(it);
  }
  for (const auto& [path, file] : found) {
    problems.push_back(fmt::format("{} was not in the backup when it was taken", path));
  }
  return problems;
}

}  // namespace careledger::tools
