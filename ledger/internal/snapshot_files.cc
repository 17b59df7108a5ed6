#include "ledger/internal/snapshot_files.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "events/sha256.h"
#include "ledger/internal/files.h"

namespace careledger::ledger::internal {
namespace {

constexpr std::string_view kSuffix = ".pb";
constexpr std::size_t kDigits = 20;

std::string HashString(const events::Hash& hash) {
  return std::string(reinterpret_cast<const char*>(hash.data()), hash.size());
}

// "<name>-<20 digits>.pb" of this name.
bool IsSnapshotFileName(const std::string& file, const std::string& name) {
  const std::string prefix = name + "-";
  if (file.size() != prefix.size() + kDigits + kSuffix.size()) return false;
  if (file.compare(0, prefix.size(), prefix) != 0) return false;
  if (file.compare(file.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0) return false;
  return std::all_of(file.begin() + prefix.size(), file.end() - kSuffix.size(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

absl::Status SyncDirectory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return absl::InternalError(fmt::format("cannot open {}", dir));
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) return absl::InternalError(fmt::format("cannot sync {}", dir));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> WriteSnapshotFile(const std::string& dir, const std::string& name,
                                              const careledger::v1::WriterSnapshot& snapshot) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    return absl::InternalError(fmt::format("cannot create {}: {}", dir, error.message()));
  }
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, error);
  careledger::v1::WriterSnapshotFile file;
  if (!snapshot.SerializeToString(file.mutable_snapshot())) {
    return absl::InternalError("the snapshot does not serialize (over 2 GiB?)");
  }
  file.set_sha256(HashString(events::Sha256(file.snapshot())));
  std::string bytes;
  if (!file.SerializeToString(&bytes)) {
    return absl::InternalError("the snapshot file does not serialize (over 2 GiB?)");
  }
  file.Clear();
  const std::string path =
      fmt::format("{}/{}-{:0{}}{}", dir, name, snapshot.records(), kDigits, kSuffix);
  if (absl::Status written = WriteFileAtomically(path, bytes, 0600); !written.ok()) return written;
  if (absl::Status synced = SyncDirectory(dir); !synced.ok()) return synced;
  const std::vector<std::string> files = ListSnapshotFiles(dir, name);
  for (std::size_t i = kKeptSnapshots; i < files.size(); ++i) {
    std::filesystem::remove(files[i], error);  // a leftover is harmless: only the newest is read
  }
  return path;
}

std::vector<std::string> ListSnapshotFiles(const std::string& dir, const std::string& name) {
  std::vector<std::string> files;
  std::error_code error;
  for (std::filesystem::directory_iterator it(dir, error), end; !error && it != end;
       it.increment(error)) {
    const std::string file = it->path().filename().string();
    if (IsSnapshotFileName(file, name)) files.push_back(it->path().string());
  }
  std::sort(files.begin(), files.end(), std::greater<>());  // same width: newest first
  return files;
}

absl::StatusOr<careledger::v1::WriterSnapshot> ReadSnapshotFile(const std::string& path) {
  careledger::v1::WriterSnapshotFile file;
  {
    absl::StatusOr<std::string> bytes = ReadFile(path);
    if (!bytes.ok()) return bytes.status();
    if (!file.ParseFromString(*bytes)) {
      return absl::DataLossError(fmt::format("{} does not parse as a snapshot file", path));
    }
  }  // the file's bytes are freed before the snapshot is parsed
  if (file.sha256() != HashString(events::Sha256(file.snapshot()))) {
    return absl::DataLossError(
        fmt::format("{}: the SHA-256 of the snapshot does not match its bytes", path));
  }
  careledger::v1::WriterSnapshot snapshot;
  if (!snapshot.ParseFromString(file.snapshot())) {
    return absl::DataLossError(fmt::format("{}: the snapshot does not parse", path));
  }
  return snapshot;
}

}  // namespace careledger::ledger::internal
