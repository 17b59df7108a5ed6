#include "tools/safe_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <streambuf>
#include <vector>

#include "events/ids.h"

namespace careledger::tools {
namespace {

std::string Errno() { return std::strerror(errno); }

std::string DirectoryOf(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// INVALID_ARGUMENT when nothing may be written at `path` (see safe_file.h).
absl::Status CheckTarget(const std::string& path, bool overwrite) {
  struct stat info;
  if (::lstat(path.c_str(), &info) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return absl::UnavailableError(fmt::format("cannot write {}: {}", path, Errno()));
  }
  if (S_ISLNK(info.st_mode)) {
    return absl::InvalidArgumentError(fmt::format(
        "{} is a symbolic link: careledger never writes through one; name the file itself", path));
  }
  if (S_ISDIR(info.st_mode)) {
    return absl::InvalidArgumentError(fmt::format("{} is a directory, not a file", path));
  }
  if (!overwrite) {
    return absl::InvalidArgumentError(
        fmt::format("{} already exists: pass --force to replace it", path));
  }
  return absl::OkStatus();
}

void SyncDirectory(const std::string& directory) {
  const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);  // best effort: the file itself is already durable
  ::close(fd);
}

// Moves `temporary` to `path` unless something is there, atomically.
absl::Status MoveIntoPlaceNoReplace(const std::string& temporary, const std::string& path) {
  if (::renameat2(AT_FDCWD, temporary.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) == 0) {
    return absl::OkStatus();
  }
  if (errno != EINVAL && errno != ENOSYS) {
    if (errno == EEXIST) {
      return absl::InvalidArgumentError(
          fmt::format("{} already exists: pass --force to replace it", path));
    }
    return absl::UnavailableError(fmt::format("cannot create {}: {}", path, Errno()));
  }
  // A file system without RENAME_NOREPLACE: link() never replaces either.
  if (::link(temporary.c_str(), path.c_str()) != 0) {
    if (errno == EEXIST) {
      return absl::InvalidArgumentError(
          fmt::format("{} already exists: pass --force to replace it", path));
    }
    return absl::UnavailableError(fmt::format("cannot create {}: {}", path, Errno()));
  }
  ::unlink(temporary.c_str());
  return absl::OkStatus();
}

}  // namespace

// A buffered std::streambuf over a file descriptor it does not own.
class SafeFileWriter::FdBuffer : public std::streambuf {
 public:
  explicit FdBuffer(int fd) : fd_(fd), buffer_(1 << 16) {
    setp(buffer_.data(), buffer_.data() + buffer_.size());
  }
  int fd() const { return fd_; }
  bool failed() const { return failed_; }
  int error() const { return error_; }

 protected:
  int_type overflow(int_type c) override {
    if (!Drain()) return traits_type::eof();
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }
  int sync() override { return Drain() ? 0 : -1; }

 private:
  bool Drain() {
    const char* next = pbase();
    while (!failed_ && next < pptr()) {
      const ssize_t n = ::write(fd_, next, static_cast<std::size_t>(pptr() - next));
      if (n < 0) {
        if (errno == EINTR) continue;
        failed_ = true;
        error_ = errno;
        break;
      }
      next += n;
    }
    setp(buffer_.data(), buffer_.data() + buffer_.size());
    return !failed_;
  }

  int fd_;
  std::vector<char> buffer_;
  bool failed_ = false;
  int error_ = 0;
};

absl::StatusOr<std::unique_ptr<SafeFileWriter>> SafeFileWriter::Create(const std::string& path,
                                                                       bool overwrite) {
  if (path.empty()) return absl::InvalidArgumentError("name the file to write");
  if (absl::Status target = CheckTarget(path, overwrite); !target.ok()) return target;
  for (int attempt = 0; attempt < 8; ++attempt) {
    const std::string temporary =
        fmt::format("{}.{}.partial", path, events::RandomUuid().substr(0, 8));
    const int fd =
        ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
      if (errno == EEXIST) continue;
      return absl::UnavailableError(fmt::format("cannot write {}: {}", temporary, Errno()));
    }
    ::fchmod(fd, 0600);  // whatever the umask
    return std::unique_ptr<SafeFileWriter>(new SafeFileWriter(path, temporary, overwrite, fd));
  }
  return absl::UnavailableError(fmt::format("cannot create a temporary file beside {}", path));
}

SafeFileWriter::SafeFileWriter(std::string path, std::string temporary, bool overwrite, int fd)
    : path_(std::move(path)),
      temporary_(std::move(temporary)),
      overwrite_(overwrite),
      buffer_(std::make_unique<FdBuffer>(fd)),
      stream_(std::make_unique<std::ostream>(buffer_.get())) {}

SafeFileWriter::~SafeFileWriter() {
  if (buffer_->fd() >= 0 && !finished_) {
    ::close(buffer_->fd());
    ::unlink(temporary_.c_str());
  }
}

std::ostream& SafeFileWriter::stream() { return *stream_; }

absl::Status SafeFileWriter::Commit() {
  if (finished_) return absl::FailedPreconditionError(fmt::format("{} was committed", path_));
  finished_ = true;  // from here on this function cleans up itself
  stream_->flush();
  const int fd = buffer_->fd();
  const auto fail = [&](absl::Status status) {
    ::unlink(temporary_.c_str());
    return status;
  };
  if (buffer_->failed() || !*stream_) {
    const int error = buffer_->error();
    ::close(fd);
    return fail(absl::UnavailableError(
        fmt::format("cannot write {}: {}", temporary_,
                    error != 0 ? std::strerror(error) : "the output stream failed")));
  }
  if (::fsync(fd) != 0) {
    const std::string why = Errno();
    ::close(fd);
    return fail(absl::UnavailableError(fmt::format("cannot write {}: {}", temporary_, why)));
  }
  if (::close(fd) != 0) {
    return fail(absl::UnavailableError(fmt::format("cannot write {}: {}", temporary_, Errno())));
  }
  if (overwrite_) {
    // Refuse a link that appeared since Create(); rename() would replace
    // the link itself, never its target, even if one appears after this.
    if (absl::Status target = CheckTarget(path_, true); !target.ok()) return fail(target);
    if (::rename(temporary_.c_str(), path_.c_str()) != 0) {
      return fail(absl::UnavailableError(fmt::format("cannot replace {}: {}", path_, Errno())));
    }
  } else if (absl::Status moved = MoveIntoPlaceNoReplace(temporary_, path_); !moved.ok()) {
    return fail(moved);
  }
  SyncDirectory(DirectoryOf(path_));
  return absl::OkStatus();
}

absl::Status WriteOutputFile(const std::string& path, std::string_view contents, bool overwrite) {
  absl::StatusOr<std::unique_ptr<SafeFileWriter>> writer = SafeFileWriter::Create(path, overwrite);
  if (!writer.ok()) return writer.status();
  (*writer)->stream().write(contents.data(), static_cast<std::streamsize>(contents.size()));
  return (*writer)->Commit();
}

}  // namespace careledger::tools
