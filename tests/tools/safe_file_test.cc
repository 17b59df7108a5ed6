// Proves SafeFileWriter's contract (tools/safe_file.h): a new file appears
// whole with mode 0600; an existing file is refused without overwrite and
// replaced with it; a symbolic link at the target, to a file or dangling, is
// refused either way and its target untouched; a file that appears at the
// target after Create() is not replaced by a non-overwriting Commit(); an
// uncommitted writer leaves nothing behind.
#include "tools/safe_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/test_support.h"

namespace careledger::tools {
namespace {

using ::careledger::testing::IsOk;
using ::careledger::testing::StatusIs;

std::string Read(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

void Write(const std::filesystem::path& path, const std::string& contents) {
  std::ofstream(path) << contents;
}

mode_t ModeOf(const std::filesystem::path& path) {
  struct stat info;
  EXPECT_EQ(::stat(path.c_str(), &info), 0);
  return info.st_mode & 07777;
}

// The names in `dir`, to see that no temporary file is left.
std::vector<std::string> Names(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

TEST(SafeFileTest, ANewFileAppearsWholeAndPrivate) {
  careledger::testing::TempDir dir;
  const std::filesystem::path out = dir.path() / "out.txt";
  const mode_t umask_before = ::umask(022);  // even under a permissive umask
  const absl::Status written = WriteOutputFile(out.string(), "hello\n", /*overwrite=*/false);
  ::umask(umask_before);
  ASSERT_THAT(written, IsOk());
  EXPECT_EQ(Read(out), "hello\n");
  EXPECT_EQ(ModeOf(out), 0600u);
  EXPECT_EQ(Names(dir.path()), std::vector<std::string>{"out.txt"});
}

TEST(SafeFileTest, AnExistingFileIsReplacedOnlyWhenAsked) {
  careledger::testing::TempDir dir;
  const std::filesystem::path out = dir.path() / "out.txt";
  Write(out, "keep me");
  EXPECT_THAT(WriteOutputFile(out.string(), "new", false),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(Read(out), "keep me");
  ASSERT_THAT(WriteOutputFile(out.string(), "new", true), IsOk());
  EXPECT_EQ(Read(out), "new");
  EXPECT_EQ(ModeOf(out), 0600u);
  EXPECT_EQ(Names(dir.path()), std::vector<std::string>{"out.txt"});
}

TEST(SafeFileTest, ASymbolicLinkIsNeverWrittenThrough) {
  careledger::testing::TempDir dir;
  const std::filesystem::path target = dir.path() / "target";
  Write(target, "the target");
  const std::filesystem::path link = dir.path() / "link";
  const std::filesystem::path dangling = dir.path() / "dangling";
  std::filesystem::create_symlink(target, link);
  std::filesystem::create_symlink(dir.path() / "nowhere", dangling);
  for (const auto& path : {link, dangling}) {
    for (bool overwrite : {false, true}) {
      EXPECT_THAT(WriteOutputFile(path.string(), "evil", overwrite),
                  StatusIs(absl::StatusCode::kInvalidArgument))
          << path << " overwrite " << overwrite;
      EXPECT_TRUE(std::filesystem::is_symlink(path));
    }
  }
  EXPECT_EQ(Read(target), "the target");
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "nowhere"));
  EXPECT_EQ(Names(dir.path()), (std::vector<std::string>{"dangling", "link", "target"}));
}

TEST(SafeFileTest, AFileThatAppearsMeanwhileIsNotReplaced) {
  careledger::testing::TempDir dir;
  const std::filesystem::path out = dir.path() / "out.txt";
  absl::StatusOr<std::unique_ptr<SafeFileWriter>> writer =
      SafeFileWriter::Create(out.string(), false);
  ASSERT_THAT(writer, IsOk());
  (*writer)->stream() << "mine";
  Write(out, "someone else's");
  EXPECT_THAT((*writer)->Commit(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(Read(out), "someone else's");
  EXPECT_EQ(Names(dir.path()), std::vector<std::string>{"out.txt"});
}

TEST(SafeFileTest, ALinkThatAppearsMeanwhileIsNotFollowedWithOverwrite) {
  careledger::testing::TempDir dir;
  const std::filesystem::path target = dir.path() / "target";
  Write(target, "the target");
  const std::filesystem::path out = dir.path() / "out.txt";
  absl::StatusOr<std::unique_ptr<SafeFileWriter>> writer =
      SafeFileWriter::Create(out.string(), true);
  ASSERT_THAT(writer, IsOk());
  (*writer)->stream() << "mine";
  std::filesystem::create_symlink(target, out);
  EXPECT_THAT((*writer)->Commit(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(Read(target), "the target");
  EXPECT_TRUE(std::filesystem::is_symlink(out));
}

TEST(SafeFileTest, AnUncommittedWriterLeavesNothing) {
  careledger::testing::TempDir dir;
  const std::filesystem::path out = dir.path() / "out.txt";
  {
    absl::StatusOr<std::unique_ptr<SafeFileWriter>> writer =
        SafeFileWriter::Create(out.string(), false);
    ASSERT_THAT(writer, IsOk());
    (*writer)->stream() << "half";
    EXPECT_EQ(Names(dir.path()).size(), 1u) << "the temporary file";
  }
  EXPECT_TRUE(Names(dir.path()).empty());
}

}  // namespace
}  // namespace careledger::tools
