#include "ledger/embedded_log.h"

#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <limits>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "careledger/v1/envelope.pb.h"
#include "events/format.h"
#include "ledger/internal/embedded_record.h"
#include "ledger/internal/rocksdb_logger.h"

namespace careledger::ledger {
namespace {

constexpr char kLogFamily[] = "log";
constexpr char kMetaFamily[] = "meta";
constexpr char kPartitionCountKey[] = "partition_count";

// A full disk is not damage: nothing was written, and the same command
// works once there is space (UNAVAILABLE, exit 1).
absl::Status DiskFull(std::string_view where, std::string_view detail) {
  return absl::UnavailableError(fmt::format(
      "embedded log: {}: the disk is full ({}); nothing was appended: free space and retry", where,
      detail));
}

absl::Status FromRocks(const rocksdb::Status& status, std::string_view what) {
  if (status.ok()) return absl::OkStatus();
  if (status.IsNoSpace()) return DiskFull(what, status.ToString());
  const std::string message = fmt::format("embedded log: {}: {}", what, status.ToString());
  if (status.IsIOError() && status.ToString().find("lock") != std::string::npos) {
    return absl::FailedPreconditionError(
        fmt::format("{} (another careledger process owns this log)", message));
  }
  if (status.IsCorruption()) return absl::DataLossError(message);
  if (status.IsBusy() || status.IsTryAgain()) return absl::UnavailableError(message);
  return absl::InternalError(message);
}

// The open database, shared by the log, its writer and its readers.
struct Database {
  std::unique_ptr<rocksdb::DB> db;
  rocksdb::ColumnFamilyHandle* log = nullptr;
  rocksdb::ColumnFamilyHandle* meta = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  std::int32_t partitions = 0;
  bool read_only = false;
  std::string path;

  std::string secondary_path;  // a read-only instance's own files, removed on close

  ~Database() {
    for (rocksdb::ColumnFamilyHandle* handle : handles) db->DestroyColumnFamilyHandle(handle);
    db.reset();
    if (!secondary_path.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(secondary_path, ignored);
    }
  }
};

class EmbeddedLogWriter final : public LogWriter {
 public:
  EmbeddedLogWriter(std::shared_ptr<Database> database, std::vector<std::int64_t> next,
                    std::shared_ptr<std::atomic<bool>> open_flag)
      : database_(std::move(database)),
        next_offsets_(std::move(next)),
        open_flag_(std::move(open_flag)) {}
  ~EmbeddedLogWriter() override { *open_flag_ = false; }

  std::int32_t partition_count() const override { return database_->partitions; }

  absl::StatusOr<std::vector<LogPosition>> Append(std::span<const AppendRecord> records) override {
    for (const AppendRecord& record : records) {
      if (record.partition < 0 || record.partition >= database_->partitions) {
        return absl::InvalidArgumentError(
            fmt::format("partition {} is outside the log's {} partitions", record.partition,
                        database_->partitions));
      }
    }
    std::vector<std::int64_t> next = next_offsets_;
    std::vector<LogPosition> positions;
    positions.reserve(records.size());
    rocksdb::WriteBatch batch;
    careledger::v1::EmbeddedRecord stored;
    std::string encoded;
    for (const AppendRecord& record : records) {
      const std::int64_t offset = next[record.partition]++;
      stored.set_key(record.key);
      stored.set_value(record.value);
      stored.SerializeToString(&encoded);
      batch.Put(database_->log, RecordKey(record.partition, offset), encoded);
      positions.push_back(LogPosition{record.partition, offset});
    }
    rocksdb::WriteOptions options;
    options.sync = true;  // acknowledged means on disk
    if (absl::Status written = FromRocks(database_->db->Write(options, &batch), "append");
        !written.ok()) {
      return written;
    }
    next_offsets_ = std::move(next);
    return positions;
  }

 private:
  std::shared_ptr<Database> database_;
  std::vector<std::int64_t> next_offsets_;
  std::shared_ptr<std::atomic<bool>> open_flag_;  // cleared when this writer goes
};

class EmbeddedLogReader final : public LogReader {
 public:
  explicit EmbeddedLogReader(std::shared_ptr<Database> database)
      : database_(std::move(database)), next_offsets_(database_->partitions, 0) {}

  std::int32_t partition_count() const override { return database_->partitions; }

  absl::Status Seek(std::span<const std::int64_t> next_offsets) override {
    if (static_cast<std::int32_t>(next_offsets.size()) != database_->partitions) {
      return absl::InvalidArgumentError(
          fmt::format("Seek needs {} offsets, got {}", database_->partitions, next_offsets.size()));
    }
    next_offsets_.assign(next_offsets.begin(), next_offsets.end());
    end_reported_ = false;
    return CheckSeekWithinLog();
  }

  absl::StatusOr<ReadBatch> Read(std::size_t max_records, std::chrono::milliseconds wait) override {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    for (;;) {
      if (database_->read_only) {
        if (absl::Status caught_up =
                FromRocks(database_->db->TryCatchUpWithPrimary(), "follow the owner");
            !caught_up.ok()) {
          return caught_up;
        }
      }
      absl::StatusOr<ReadBatch> batch = ReadAvailable(max_records);
      if (!batch.ok()) return batch;
      // Like Kafka's partition EOF: reaching the end is reported at once, and
      // a reader that already knows it is at the end waits for new records.
      if (!batch->records.empty() || !batch->caught_up) {
        end_reported_ = false;
        return batch;
      }
      if (!end_reported_ || std::chrono::steady_clock::now() >= deadline) {
        end_reported_ = true;
        return batch;
      }
      // Nothing new yet: wait a little for the owner to append more.
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

 private:
  // Reads partitions in turn, each from its next offset. caught_up is true
  // when every partition's records up to its end were returned.
  absl::StatusOr<ReadBatch> ReadAvailable(std::size_t max_records) {
    ReadBatch batch;
    batch.caught_up = true;
    std::unique_ptr<rocksdb::Iterator> it(
        database_->db->NewIterator(rocksdb::ReadOptions(), database_->log));
    careledger::v1::EmbeddedRecord stored;
    for (std::int32_t p = 0; p < database_->partitions; ++p) {
      const std::string end = RecordKey(p + 1, 0);
      for (it->Seek(RecordKey(p, next_offsets_[p]));
           it->Valid() && it->key().compare(rocksdb::Slice(end)) < 0; it->Next()) {
        if (batch.records.size() >= max_records) {
          batch.caught_up = false;
          return batch;
        }
        events::LogRecord record;
        if (!ParseRecordKey(it->key().ToStringView(), &record.partition, &record.offset) ||
            !stored.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
          return absl::DataLossError(
              fmt::format("embedded log: partition {} offset {}: the stored record does not parse",
                          p, next_offsets_[p]));
        }
        if (record.partition != p || record.offset != next_offsets_[p]) {
          // Offsets are contiguous from 0: anything else is a lost record.
          return absl::DataLossError(fmt::format(
              "embedded log: partition {} offset {} is missing (the next stored record is at "
              "offset {})",
              p, next_offsets_[p], record.offset));
        }
        record.key = stored.key();
        record.value = stored.value();
        next_offsets_[p] = record.offset + 1;
        batch.records.push_back(std::move(record));
      }
      if (absl::Status status = FromRocks(it->status(), "read"); !status.ok()) return status;
    }
    return batch;
  }

  // A reader positioned after offset o of a partition (a projection resuming)
  // needs record o to exist: a log that ends before what its reader already
  // consumed lost records, and reading on would look like a fresh start.
  absl::Status CheckSeekWithinLog() {
    std::unique_ptr<rocksdb::Iterator> it(
        database_->db->NewIterator(rocksdb::ReadOptions(), database_->log));
    for (std::int32_t p = 0; p < database_->partitions; ++p) {
      const std::int64_t last_consumed = next_offsets_[p] - 1;
      if (last_consumed < 0) continue;
      it->Seek(RecordKey(p, last_consumed));
      std::int32_t partition = 0;
      std::int64_t offset = 0;
      if (!it->Valid() || !ParseRecordKey(it->key().ToStringView(), &partition, &offset) ||
          partition != p || offset != last_consumed) {
        if (absl::Status status = FromRocks(it->status(), "seek"); !status.ok()) return status;
        return absl::DataLossError(fmt::format(
            "embedded log: partition {} has no record at offset {}, which its reader already "
            "consumed: the log lost records",
            p, last_consumed));
      }
    }
    return absl::OkStatus();
  }

  std::shared_ptr<Database> database_;
  std::vector<std::int64_t> next_offsets_;
  bool end_reported_ = false;  // caught_up was returned and nothing came since
};

class EmbeddedLog final : public Log {
 public:
  explicit EmbeddedLog(std::shared_ptr<Database> database) : database_(std::move(database)) {}

  std::int32_t partition_count() const override { return database_->partitions; }
  std::string Describe() const override { return "embedded:" + database_->path; }
  rocksdb::DB& db() { return *database_->db; }

  absl::StatusOr<std::unique_ptr<LogWriter>> OpenWriter(std::string_view /*writer_id*/) override {
    if (database_->read_only) {
      return absl::FailedPreconditionError(
          "embedded log opened read-only: another process owns it and is its only writer");
    }
    bool expected = false;
    if (!writer_open_->compare_exchange_strong(expected, true)) {
      return absl::FailedPreconditionError("embedded log: a writer is already open");
    }
    absl::StatusOr<std::vector<std::int64_t>> next = NextOffsets();
    if (!next.ok()) {
      *writer_open_ = false;
      return next.status();
    }
    return std::unique_ptr<LogWriter>(
        new EmbeddedLogWriter(database_, *std::move(next), writer_open_));
  }

  absl::StatusOr<std::unique_ptr<LogReader>> OpenReader() override {
    return std::unique_ptr<LogReader>(new EmbeddedLogReader(database_));
  }

 private:
  // One past the last offset of each partition.
  absl::StatusOr<std::vector<std::int64_t>> NextOffsets() {
    std::vector<std::int64_t> next(database_->partitions, 0);
    std::unique_ptr<rocksdb::Iterator> it(
        database_->db->NewIterator(rocksdb::ReadOptions(), database_->log));
    for (std::int32_t p = 0; p < database_->partitions; ++p) {
      it->SeekForPrev(RecordKey(p, std::numeric_limits<std::int64_t>::max()));
      std::int32_t partition = 0;
      std::int64_t offset = 0;
      if (it->Valid() && ParseRecordKey(it->key().ToStringView(), &partition, &offset) &&
          partition == p) {
        next[p] = offset + 1;
      }
    }
    if (absl::Status status = FromRocks(it->status(), "find the end"); !status.ok()) return status;
    return next;
  }

  std::shared_ptr<Database> database_;
  // True while a writer of this log exists (one at a time per process; other
  // processes are kept out by RocksDB's lock).
  std::shared_ptr<std::atomic<bool>> writer_open_ = std::make_shared<std::atomic<bool>>(false);
};

// RocksDB's strictest settings for evidence (see the header). `creating`
// alone may create files; a follower needs max_open_files = -1.
rocksdb::Options StrictOptions(const std::string& path, bool creating, bool following) {
  rocksdb::Options options;
  options.info_log = std::make_shared<internal::RocksDbLogger>(path);
  options.create_if_missing = creating;
  options.create_missing_column_families = creating;
  options.error_if_exists = creating;
  options.paranoid_checks = true;
  // A torn last record is a write that a crash cut short and nobody was told
  // of (appends are acknowledged only after the fsync): RocksDB drops it.
  // Any other damage to a WAL (a checksum mismatch, a bad record inside)
  // fails the open; records lost from the end are caught by the witnesses.
  options.wal_recovery_mode = rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  options.track_and_verify_wals_in_manifest = true;
  options.best_efforts_recovery = false;
  options.force_consistency_checks = true;
  options.paranoid_file_checks = true;
  options.max_open_files = following ? -1 : 512;
  return options;
}

// Before RocksDB is asked anything: a missing directory is NOT_FOUND (never
// created here), a directory without CURRENT is a damaged log, and kCreate
// refuses a directory that already holds files.
absl::Status CheckPresence(const std::string& path, bool creating) {
  namespace fs = std::filesystem;
  std::error_code error;
  const bool exists = fs::exists(path, error);
  if (creating) {
    if (exists && !fs::is_empty(path, error)) {
      return absl::AlreadyExistsError(
          fmt::format("embedded log: {} already holds files; a log is created only once", path));
    }
    return absl::OkStatus();
  }
  if (!exists) {
    return absl::NotFoundError(fmt::format("embedded log: {} does not exist", path));
  }
  if (!fs::exists(fs::path(path) / "CURRENT", error)) {
    return absl::DataLossError(
        fmt::format("embedded log: {}/CURRENT is missing: the log is damaged (nothing was changed; "
                    "restore it from a backup)",
                    path));
  }
  // The MANIFEST that CURRENT names must exist. A live owner may switch
  // manifests between our two reads, so a changed CURRENT is read again.
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::ifstream current(fs::path(path) / "CURRENT");
    std::string manifest;
    std::getline(current, manifest);
    if (manifest.empty() || manifest.find('/') != std::string::npos) {
      return absl::DataLossError(fmt::format(
          "embedded log: {}/CURRENT does not name a MANIFEST: the log is damaged", path));
    }
    if (fs::exists(fs::path(path) / manifest, error)) return absl::OkStatus();
    std::ifstream again(fs::path(path) / "CURRENT");
    std::string now_names;
    std::getline(again, now_names);
    if (now_names == manifest) {
      return absl::DataLossError(fmt::format(
          "embedded log: {}/{}, which CURRENT names, is missing: the log is damaged (nothing "
          "was changed; restore it from a backup)",
          path, manifest));
    }
  }
  return absl::UnavailableError(
      fmt::format("embedded log: {}: its MANIFEST keeps changing; try again", path));
}

// An open that RocksDB refused: the lock is another owner; anything else on
// an existing log means it is damaged or incomplete.
absl::Status OpenFailure(const rocksdb::Status& status, const std::string& path) {
  const std::string text = status.ToString();
  if (status.IsNoSpace()) return DiskFull(path, text);
  if (status.IsIOError() && text.find("lock") != std::string::npos) {
    return absl::FailedPreconditionError(fmt::format(
        "embedded log: open {}: {} (another careledger process owns this log)", path, text));
  }
  if (status.IsBusy() || status.IsTryAgain()) {
    return absl::UnavailableError(fmt::format("embedded log: open {}: {}", path, text));
  }
  return absl::DataLossError(
      fmt::format("embedded log: {} cannot be opened, it is damaged or incomplete: {} (nothing was "
                  "changed; restore it from a backup)",
                  path, text));
}

absl::StatusOr<std::int32_t> RecordPartitionCount(Database& database, std::int32_t partitions) {
  rocksdb::WriteOptions write_options;
  write_options.sync = true;
  if (absl::Status status =
          FromRocks(database.db->Put(write_options, database.meta, kPartitionCountKey,
                                     std::to_string(partitions)),
                    "record the partition count");
      !status.ok()) {
    return status;
  }
  return partitions;
}

// The stored count, strictly parsed and bounded: a count edited to 0 or to
// two billion is damage, not a reason to crash or to scan forever.
absl::StatusOr<std::int32_t> ReadPartitionCount(Database& database) {
  std::string stored;
  const rocksdb::Status got =
      database.db->Get(rocksdb::ReadOptions(), database.meta, kPartitionCountKey, &stored);
  if (got.IsNotFound()) {
    return absl::DataLossError(fmt::format(
        "embedded log: {} has no stored partition count: the log is damaged or incomplete",
        database.path));
  }
  if (absl::Status status = FromRocks(got, "read the partition count"); !status.ok()) return status;
  std::int32_t count = 0;
  const auto [end, error] = std::from_chars(stored.data(), stored.data() + stored.size(), count);
  if (error != std::errc() || end != stored.data() + stored.size() || count < 1 ||
      count > kMaxPartitions) {
    return absl::DataLossError(
        fmt::format("embedded log: {}: the stored partition count '{}' is not a number in [1, {}]",
                    database.path, absl::CHexEscape(stored.substr(0, 32)), kMaxPartitions));
  }
  return count;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Log>> OpenEmbeddedLog(const EmbeddedLogOptions& options) {
  const bool creating = options.mode == EmbeddedLogMode::kCreate;
  const bool following = options.mode == EmbeddedLogMode::kFollower;
  if (creating && (options.partitions < 1 || options.partitions > kMaxPartitions)) {
    return absl::InvalidArgumentError(
        fmt::format("partitions must be between 1 and {}", kMaxPartitions));
  }
  if (absl::Status present = CheckPresence(options.path, creating); !present.ok()) return present;

  auto database = std::make_shared<Database>();
  database->path = options.path;
  database->read_only = following;
  const rocksdb::Options db_options = StrictOptions(options.path, creating, following);
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, db_options},
      {kLogFamily, db_options},
      {kMetaFamily, db_options}};
  rocksdb::DB* db = nullptr;
  rocksdb::Status opened;
  if (following) {
    // Each secondary keeps its own info log beside the primary's files; it is
    // removed when the log is closed.
    database->secondary_path = fmt::format("{}/secondary-{}-{}", options.path, ::getpid(),
                                           reinterpret_cast<std::uintptr_t>(database.get()));
    opened = rocksdb::DB::OpenAsSecondary(db_options, options.path, database->secondary_path,
                                          families, &database->handles, &db);
  } else {
    if (creating) std::filesystem::create_directories(options.path);
    opened = rocksdb::DB::Open(db_options, options.path, families, &database->handles, &db);
  }
  if (!opened.ok()) return OpenFailure(opened, options.path);
  database->db.reset(db);
  database->log = database->handles[1];
  database->meta = database->handles[2];

  absl::StatusOr<std::int32_t> partitions =
      creating ? RecordPartitionCount(*database, options.partitions)
               : ReadPartitionCount(*database);
  if (!partitions.ok()) return partitions.status();
  database->partitions = *partitions;
  return std::unique_ptr<Log>(new EmbeddedLog(std::move(database)));
}

absl::Status CheckpointEmbeddedLog(const std::string& path, const std::string& checkpoint_dir) {
  if (!std::filesystem::exists(std::filesystem::path(path) / "CURRENT")) {
    return absl::NotFoundError(fmt::format("no embedded log at {}", path));
  }
  EmbeddedLogOptions options;
  options.path = path;
  absl::StatusOr<std::unique_ptr<Log>> log = OpenEmbeddedLog(options);
  if (!log.ok()) return log.status();
  rocksdb::Checkpoint* raw = nullptr;
  if (absl::Status status = FromRocks(
          rocksdb::Checkpoint::Create(&static_cast<EmbeddedLog&>(**log).db(), &raw), "checkpoint");
      !status.ok()) {
    return status;
  }
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  // Never flush first: the copy holds the log's own files, WAL included, and
  // taking it adds nothing to the live log.
  return FromRocks(
      checkpoint->CreateCheckpoint(checkpoint_dir, std::numeric_limits<std::uint64_t>::max()),
      fmt::format("checkpoint into {}", checkpoint_dir));
}

}  // namespace careledger::ledger
