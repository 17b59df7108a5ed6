// Files that hold care plans and private keys, copied and moved without ever
// following a symlink, overwriting or deleting anything: directories are made
// 0700 and files 0600, every new file is created with O_EXCL | O_NOFOLLOW and
// fsynced. Used by `careledger backup` and `careledger restore`.
//
// Errors: FAILED_PRECONDITION for something in the way (an existing file, a
// symlink, a non-regular file); INTERNAL for other I/O failures; each names
// the path.
#ifndef CARELEDGER_TOOLS_PRIVATE_FILES_H_
#define CARELEDGER_TOOLS_PRIVATE_FILES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "events/sha256.h"

namespace careledger::tools {

// Creates `path` with mode 0700. An existing empty directory (not a symlink)
// is accepted and made 0700; anything else already there is refused.
absl::Status CreatePrivateDir(const std::string& path);

// Copies the regular file `from` to the new file `to` (0600, O_EXCL), fsyncs.
absl::Status CopyFilePrivately(const std::string& from, const std::string& to);

// Copies the tree `from` into the new directory `to` (dirs 0700, files
// 0600). A symlink or a special file anywhere in `from` is refused.
absl::Status CopyTreePrivately(const std::string& from, const std::string& to);

// Replaces every file under `dir` that has other hard links (as RocksDB's
// checkpoint makes on the same filesystem) by its own copy, so changing one
// never changes the other.
absl::Status UnshareHardLinks(const std::string& dir);

// Sets dirs 0700 and files 0600 in the tree `dir`; a symlink is refused.
absl::Status MakeTreePrivate(const std::string& dir);

struct FileFingerprint {
  std::string path;  // relative to the tree's root, '/'-separated
  std::uint64_t size = 0;
  events::Hash sha256{};
};

// Every regular file under `dir`, sorted by path. A symlink is refused.
absl::StatusOr<std::vector<FileFingerprint>> FingerprintTree(const std::string& dir);

// rename(2) that never replaces: FAILED_PRECONDITION when `to` exists.
absl::Status RenameNoReplace(const std::string& from, const std::string& to);

// fsync of a directory, so renames and creations in it are durable.
absl::Status SyncDir(const std::string& dir);

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_PRIVATE_FILES_H_
