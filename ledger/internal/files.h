// Small file helpers for ledger/: whole-file reads and atomic replacement.
#ifndef CARELEDGER_LEDGER_INTERNAL_FILES_H_
#define CARELEDGER_LEDGER_INTERNAL_FILES_H_

#include <sys/types.h>

#include <string>

#include "absl/status/statusor.h"

namespace careledger::ledger::internal {

// The whole file. NOT_FOUND when it does not exist.
absl::StatusOr<std::string> ReadFile(const std::string& path);

// Writes `contents` to a temporary file beside `path` with `mode`, fsyncs it
// and renames it over `path`.
absl::Status WriteFileAtomically(const std::string& path, const std::string& contents, mode_t mode);

}  // namespace careledger::ledger::internal

#endif  // CARELEDGER_LEDGER_INTERNAL_FILES_H_
