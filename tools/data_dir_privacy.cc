#include "tools/data_dir_privacy.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <filesystem>
#include <iostream>
#include <optional>

namespace careledger::tools {
namespace {

constexpr mode_t kGroupAndOthers = S_IRWXG | S_IRWXO;

// The permission bits of `path` (following links), or nothing when it does
// not exist or is not of the kind wanted.
std::optional<mode_t> ModeOf(const std::string& path, bool directory) {
  struct stat info;
  if (::stat(path.c_str(), &info) != 0) return std::nullopt;
  if (directory ? !S_ISDIR(info.st_mode) : !S_ISREG(info.st_mode)) return std::nullopt;
  return info.st_mode & 07777;
}

std::string Finding(const std::string& path, mode_t mode) {
  return fmt::format("{} is mode {:04o}: group or others may {} it", path, mode,
                     (mode & (S_IRGRP | S_IROTH)) != 0 ? "read" : "enter or change");
}

}  // namespace

void MakeCreatedFilesPrivate() { ::umask(077); }

PrivacyReport CheckDataDirectory(const std::string& data_dir) {
  PrivacyReport report;
  std::vector<std::string> directories = {data_dir,
                                          data_dir + "/log",
                                          data_dir + "/keys",
                                          data_dir + "/keys/private",
                                          data_dir + "/projection",
                                          data_dir + "/data-keys",
                                          data_dir + "/data-keys/store",
                                          data_dir + "/auth",
                                          data_dir + "/auth/dev-issuer",
                                          data_dir + "/auth/device-ca"};
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(data_dir + "/projection", error)) {
    if (entry.is_directory(error)) directories.push_back(entry.path().string());
  }
  for (const std::string& directory : directories) {
    std::optional<mode_t> mode = ModeOf(directory, /*directory=*/true);
    if (mode && (*mode & kGroupAndOthers) != 0) {
      report.shared_directories.push_back(Finding(directory, *mode));
    }
  }
  // The signing keys, and the keys of the development token issuer and the
  // device certificate authority (auth/).
  std::vector<std::string> keys = {data_dir + "/auth/dev-issuer/private-key.pem",
                                   data_dir + "/auth/device-ca/ca.key",
                                   data_dir + "/data-keys/master.key"};
  for (const auto& entry : std::filesystem::directory_iterator(data_dir + "/keys/private", error)) {
    keys.push_back(entry.path().string());
  }
  for (const std::string& path : keys) {
    std::optional<mode_t> mode = ModeOf(path, /*directory=*/false);
    if (mode && (*mode & kGroupAndOthers) != 0) {
      report.exposed_keys.push_back(Finding(path, *mode));
    }
  }
  return report;
}

absl::Status EnforcePrivateDataDirectory(const std::string& data_dir, bool allow_shared_data_dir) {
  const PrivacyReport report = CheckDataDirectory(data_dir);
  for (const std::string& key : report.exposed_keys) {
    std::cerr << fmt::format("WARNING: UNPROTECTED PRIVATE KEY: {}\n", key);
  }
  for (const std::string& directory : report.shared_directories) {
    std::cerr << fmt::format("WARNING: SHARED DATA DIRECTORY: {}\n", directory);
  }
  if (!report.exposed_keys.empty()) {
    return absl::PermissionDeniedError(fmt::format(
        "a private signing key is readable by others, so it may be copied: careledger will not "
        "use it. Make it private (chmod 600 on each file named above) and consider replacing "
        "the key"));
  }
  if (!report.shared_directories.empty() && !allow_shared_data_dir) {
    return absl::PermissionDeniedError(fmt::format(
        "the data directory holds care plans and keys, and other accounts may read it: make it "
        "private (chmod -R go-rwx {}), or pass --allow-shared-data-dir to run anyway",
        data_dir));
  }
  return absl::OkStatus();
}

}  // namespace careledger::tools
