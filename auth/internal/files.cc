#include "auth/internal/files.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace careledger::auth::internal {
namespace {

absl::Status Failure(std::string_view what, const std::string& path) {
  return absl::InternalError(fmt::format("{} {}: {}", what, path, std::strerror(errno)));
}

absl::Status WriteAllAndSync(int fd, const std::string& contents, const std::string& path) {
  std::size_t written = 0;
  while (written < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + written, contents.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Failure("cannot write", path);
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) return Failure("cannot fsync", path);
  return absl::OkStatus();
}

void SyncParentDir(const std::string& path) {
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

}  // namespace

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat(path, " does not exist"));
    return Failure("cannot read", path);
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) return Failure("cannot read", path);
  return contents.str();
}

absl::Status CreatePrivateDir(const std::string& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return absl::InternalError(fmt::format("cannot create {}: {}", dir, error.message()));
  if (::chmod(dir.c_str(), 0700) != 0) return Failure("cannot make private", dir);
  return absl::OkStatus();
}

absl::Status CreateNewFile(const std::string& path, const std::string& contents, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) {
    if (errno == EEXIST) return absl::AlreadyExistsError(absl::StrCat(path, " already exists"));
    return Failure("cannot create", path);
  }
  // The umask may have narrowed `mode`; a private file stays exactly `mode`.
  absl::Status written = ::fchmod(fd, mode) == 0 ? WriteAllAndSync(fd, contents, path)
                                                 : Failure("cannot set the mode of", path);
  ::close(fd);
  if (!written.ok()) {
    ::unlink(path.c_str());
    return written;
  }
  SyncParentDir(path);
  return absl::OkStatus();
}

absl::Status ReplaceFile(const std::string& path, const std::string& contents, mode_t mode) {
  const std::string temporary = absl::StrCat(path, ".", ::getpid(), ".partial");
  ::unlink(temporary.c_str());
  if (absl::Status created = CreateNewFile(temporary, contents, mode); !created.ok()) {
    return created;
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    absl::Status failed = Failure("cannot move into place", path);
    ::unlink(temporary.c_str());
    return failed;
  }
  SyncParentDir(path);
  return absl::OkStatus();
}

}  // namespace careledger::auth::internal
