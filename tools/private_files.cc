#include "tools/private_files.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>

namespace careledger::tools {
namespace {

namespace fs = std::filesystem;

absl::Status Errno(std::string_view what, const std::string& path) {
  const int error = errno;
  const std::string message = fmt::format("{} {}: {}", what, path, std::strerror(error));
  if (error == EEXIST || error == ELOOP || error == ENOTDIR || error == ENOTEMPTY) {
    return absl::FailedPreconditionError(message);
  }
  return absl::InternalError(message);
}

// Closes a file descriptor when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// lstat, refusing symlinks and anything but a regular file or directory.
absl::StatusOr<struct stat> PlainEntry(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return Errno("cannot stat", path);
  if (S_ISLNK(st.st_mode)) {
    return absl::FailedPreconditionError(fmt::format("{} is a symlink: not followed", path));
  }
  if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(
        fmt::format("{} is neither a regular file nor a directory", path));
  }
  return st;
}

// Calls visit(relative path, stat) for every entry under `root`, parents
// before children, in sorted order.
absl::Status Walk(
    const std::string& root, const std::string& relative,
    const std::function<absl::Status(const std::string&, const struct stat&)>& visit) {
  const std::string dir = relative.empty() ? root : root + "/" + relative;
  std::vector<std::string> names;
  std::error_code error;
  for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
    names.push_back(it->path().filename().string());
  }
  if (error) return absl::InternalError(fmt::format("cannot list {}: {}", dir, error.message()));
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    const std::string child = relative.empty() ? name : relative + "/" + name;
    absl::StatusOr<struct stat> st = PlainEntry(root + "/" + child);
    if (!st.ok()) return st.status();
    if (absl::Status visited = visit(child, *st); !visited.ok()) return visited;
    if (S_ISDIR(st->st_mode)) {
      if (absl::Status walked = Walk(root, child, visit); !walked.ok()) return walked;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CreatePrivateDir(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) == 0) return absl::OkStatus();
  if (errno != EEXIST) return Errno("cannot create directory", path);
  absl::StatusOr<struct stat> st = PlainEntry(path);
  if (!st.ok()) return st.status();
  std::error_code error;
  if (!S_ISDIR(st->st_mode) || !fs::is_empty(path, error) || error) {
    return absl::FailedPreconditionError(
        fmt::format("{} already exists and is not an empty directory", path));
  }
  if (::chmod(path.c_str(), 0700) != 0) return Errno("cannot chmod", path);
  return absl::OkStatus();
}

absl::Status CopyFilePrivately(const std::string& from, const std::string& to) {
  Fd in(::open(from.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (in.get() < 0) return Errno("cannot open", from);
  struct stat st {};
  if (::fstat(in.get(), &st) != 0) return Errno("cannot stat", from);
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(fmt::format("{} is not a regular file", from));
  }
  Fd out(::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (out.get() < 0) return Errno("cannot create", to);
  if (::fchmod(out.get(), 0600) != 0) return Errno("cannot chmod", to);
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(in.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("cannot read", from);
    if (n == 0) break;
    for (ssize_t written = 0; written < n;) {
      const ssize_t w = ::write(out.get(), buffer + written, static_cast<size_t>(n - written));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return Errno("cannot write", to);
      written += w;
    }
  }
  if (::fsync(out.get()) != 0) return Errno("cannot fsync", to);
  return absl::OkStatus();
}

absl::Status CopyTreePrivately(const std::string& from, const std::string& to) {
  absl::StatusOr<struct stat> root = PlainEntry(from);
  if (!root.ok()) return root.status();
  if (!S_ISDIR(root->st_mode)) {
    return absl::FailedPreconditionError(fmt::format("{} is not a directory", from));
  }
  if (::mkdir(to.c_str(), 0700) != 0) return Errno("cannot create directory", to);
  absl::Status copied =
      Walk(from, "", [&](const std::string& relative, const struct stat& st) -> absl::Status {
        const std::string target = to + "/" + relative;
        if (S_ISDIR(st.st_mode)) {
          if (::mkdir(target.c_str(), 0700) != 0) return Errno("cannot create directory", target);
          return absl::OkStatus();
        }
        return CopyFilePrivately(from + "/" + relative, target);
      });
  if (!copied.ok()) return copied;
  return SyncDir(to);
}

absl::Status UnshareHardLinks(const std::string& dir) {
  return Walk(dir, "", [&](const std::string& relative, const struct stat& st) -> absl::Status {
    if (!S_ISREG(st.st_mode) || st.st_nlink <= 1) return absl::OkStatus();
    const std::string path = dir + "/" + relative;
    const std::string copy = path + ".unshared";
    if (absl::Status copied = CopyFilePrivately(path, copy); !copied.ok()) return copied;
    if (::rename(copy.c_str(), path.c_str()) != 0) return Errno("cannot rename", copy);
    return absl::OkStatus();
  });
}

absl::Status MakeTreePrivate(const std::string& dir) {
  if (::chmod(dir.c_str(), 0700) != 0) return Errno("cannot chmod", dir);
  return Walk(dir, "", [&](const std::string& relative, const struct stat& st) -> absl::Status {
    const std::string path = dir + "/" + relative;
    if (::chmod(path.c_str(), S_ISDIR(st.st_mode) ? 0700 : 0600) != 0) {
      return Errno("cannot chmod", path);
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<FileFingerprint>> FingerprintTree(const std::string& dir) {
  std::vector<FileFingerprint> files;
  absl::Status walked =
      Walk(dir, "", [&](const std::string& relative, const struct stat& st) -> absl::Status {
        if (!S_ISREG(st.st_mode)) return absl::OkStatus();
        const std::string path = dir + "/" + relative;
        Fd in(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
        if (in.get() < 0) return Errno("cannot open", path);
        events::Sha256Hasher hasher;
        std::uint64_t size = 0;
        char buffer[1 << 16];
        for (;;) {
          const ssize_t n = ::read(in.get(), buffer, sizeof buffer);
          if (n < 0 && errno == EINTR) continue;
          if (n < 0) return Errno("cannot read", path);
          if (n == 0) break;
          hasher.Update(std::string_view(buffer, static_cast<std::size_t>(n)));
          size += static_cast<std::uint64_t>(n);
        }
        files.push_back(FileFingerprint{relative, size, hasher.Finish()});
        return absl::OkStatus();
      });
  if (!walked.ok()) return walked;
  std::sort(files.begin(), files.end(),
            [](const FileFingerprint& a, const FileFingerprint& b) { return a.path < b.path; });
  return files;
}

absl::Status RenameNoReplace(const std::string& from, const std::string& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) != 0) {
    return Errno(fmt::format("cannot rename {} to", from), to);
  }
  return absl::OkStatus();
}

absl::Status SyncDir(const std::string& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (fd.get() < 0) return Errno("cannot open directory", dir);
  if (::fsync(fd.get()) != 0) return Errno("cannot fsync", dir);
  return absl::OkStatus();
}

}  // namespace careledger::tools
