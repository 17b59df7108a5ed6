// File helpers for auth/'s keys and certificates: whole-file reads, private
// files created once (never over anything), public files replaced atomically.
#ifndef CARELEDGER_AUTH_INTERNAL_FILES_H_
#define CARELEDGER_AUTH_INTERNAL_FILES_H_

#include <sys/types.h>

#include <string>

#include "absl/status/statusor.h"

namespace careledger::auth::internal {

// The whole file. NOT_FOUND when it does not exist; INTERNAL otherwise.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path);

// Creates `dir` and its parents; `dir` itself ends up mode 0700.
absl::Status CreatePrivateDir(const std::string& dir);

// Creates `path` (O_EXCL | O_NOFOLLOW, `mode`), writes, fsyncs and fsyncs the
// directory. ALREADY_EXISTS when anything is at `path`; INTERNAL otherwise.
absl::Status CreateNewFile(const std::string& path, const std::string& contents, mode_t mode);

// Writes `contents` to a fresh temporary file beside `path` with `mode`,
// fsyncs it and renames it over `path`.
absl::Status ReplaceFile(const std::string& path, const std::string& contents, mode_t mode);

}  // namespace careledger::auth::internal

#endif  // CARELEDGER_AUTH_INTERNAL_FILES_H_
