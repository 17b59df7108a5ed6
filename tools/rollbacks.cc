#include "tools/rollbacks.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <nlohmann/json.hpp>

namespace careledger::tools {
namespace {

// Fills `out` from one line's JSON; false when a field is missing or mistyped.
bool FromJson(const nlohmann::json& line, RollbackRecord* out) {
  try {
    out->time = line.at("time").get<std::string>();
    out->backup = line.at("backup").get<std::string>();
    out->backup_created = line.at("backup_created").get<std::string>();
    out->failures = line.at("failures").get<std::vector<std::string>>();
    for (const nlohmann::json& p : line.at("partitions")) {
      RolledBackPartition partition;
      partition.partition = p.at("partition").get<std::int32_t>();
      partition.witnessed_last_offset = p.at("witnessed_last_offset").get<std::int64_t>();
      partition.witnessed_records = p.at("witnessed_records").get<std::uint64_t>();
      partition.restored_last_offset = p.at("restored_last_offset").get<std::int64_t>();
      partition.restored_records = p.at("restored_records").get<std::uint64_t>();
      partition.lost_records = p.at("lost_records").get<std::uint64_t>();
      partition.differs = p.at("differs").get<bool>();
      partition.witnesses = p.at("witnesses").get<std::vector<std::string>>();
      out->partitions.push_back(std::move(partition));
    }
  } catch (const nlohmann::json::exception&) {
    return false;
  }
  return true;
}

}  // namespace

nlohmann::json RollbackJson(const RollbackRecord& record) {
  nlohmann::json partitions = nlohmann::json::array();
  for (const RolledBackPartition& p : record.partitions) {
    partitions.push_back({{"partition", p.partition},
                          {"witnessed_last_offset", p.witnessed_last_offset},
                          {"witnessed_records", p.witnessed_records},
                          {"restored_last_offset", p.restored_last_offset},
                          {"restored_records", p.restored_records},
                          {"lost_records", p.lost_records},
                          {"differs", p.differs},
                          {"witnesses", p.witnesses}});
  }
  return {{"time", record.time},
          {"backup", record.backup},
          {"backup_created", record.backup_created},
          {"partitions", partitions},
          {"failures", record.failures}};
}

absl::Status AppendRollback(const std::string& data_dir, const RollbackRecord& record) {
  const std::string dir = data_dir + "/witness";
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::InternalError(fmt::format("cannot create {}", dir));
  }
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(fmt::format("{} is not a directory", dir));
  }
  const std::string path = data_dir + "/" + kRollbacksFile;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return absl::InternalError(fmt::format("cannot open {} to append", path));
  const std::string line = RollbackJson(record).dump() + "\n";
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ok = ::fsync(fd) == 0 && ok;
  ok = ::close(fd) == 0 && ok;
  if (!ok) return absl::InternalError(fmt::format("cannot append to {}", path));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<RollbackRecord>> ReadRollbacks(const std::string& data_dir) {
  const std::string path = data_dir + "/" + kRollbacksFile;
  std::vector<RollbackRecord> records;
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0 && errno == ENOENT) return records;
  std::ifstream in(path);
  if (!in) return absl::InternalError(fmt::format("cannot read {}", path));
  std::string text;
  for (int number = 1; std::getline(in, text); ++number) {
    if (text.empty()) continue;
    const nlohmann::json line = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    RollbackRecord record;
    if (line.is_discarded() || !line.is_object() || !FromJson(line, &record)) {
      return absl::DataLossError(fmt::format("{} line {}: not a rollback record", path, number));
    }
    records.push_back(std::move(record));
  }
  return records;
}

}  // namespace careledger::tools
