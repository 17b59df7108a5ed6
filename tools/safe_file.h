// Writing an output file (an export, a keyring, a report): never through a
// symbolic link, never over an existing file unless asked, never seen
// half-written, and private (mode 0600: exports name patients).
//
// The bytes go to a new temporary file beside the target,
// "<target>.<random>.partial", created with O_CREAT | O_EXCL | O_NOFOLLOW and
// mode 0600. Commit() fsyncs it and moves it into place: without
// `overwrite` with link(), which fails if anything appeared at the target
// meanwhile (no check-then-write race), then removes the temporary name;
// with `overwrite` with rename(), which replaces the target entry and never
// follows a link. Then the directory is fsynced. Until Commit() succeeds the
// target is untouched, and a writer destroyed uncommitted removes its
// temporary file.
//
// Refusals, all INVALID_ARGUMENT (the caller's bad input, exit 2), changing
// nothing: a target that is a symbolic link (dangling or not, even with
// `overwrite`), or a directory; without `overwrite`, a target that exists.
// Other failures (a directory that cannot be written, a full disk) are
// UNAVAILABLE.
#ifndef CARELEDGER_TOOLS_SAFE_FILE_H_
#define CARELEDGER_TOOLS_SAFE_FILE_H_

#include <memory>
#include <ostream>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace careledger::tools {

class SafeFileWriter {
 public:
  // Checks the target and creates the temporary file. Refuses as above.
  static absl::StatusOr<std::unique_ptr<SafeFileWriter>> Create(const std::string& path,
                                                                bool overwrite);
  ~SafeFileWriter();
  SafeFileWriter(const SafeFileWriter&) = delete;
  SafeFileWriter& operator=(const SafeFileWriter&) = delete;

  // Where to write, in any amounts; buffered. Valid until Commit() or
  // destruction. A write error shows in the stream's state and in Commit().
  std::ostream& stream();

  // Flushes, fsyncs and moves the file into place (see above). After a
  // failure the target is unchanged and the temporary file removed.
  absl::Status Commit();

  const std::string& path() const { return path_; }

 private:
  class FdBuffer;
  SafeFileWriter(std::string path, std::string temporary, bool overwrite, int fd);

  std::string path_;
  std::string temporary_;
  bool overwrite_;
  std::unique_ptr<FdBuffer> buffer_;
  std::unique_ptr<std::ostream> stream_;
  bool finished_ = false;
};

// The whole of `contents` to `path` through a SafeFileWriter.
absl::Status WriteOutputFile(const std::string& path, std::string_view contents, bool overwrite);

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_SAFE_FILE_H_
