#include "ledger/embedded_log.h"

#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <limits>
#include <thread>
#include <vector>

#include "careledger/v1/envelope.pb.h"
#include "events/format.h"
#include "ledger/internal/embedded_record.h"

namespace careledger::ledger {
namespace {

constexpr char kLogFamily[] = "log";
constexpr char kMetaFamily[] = "meta";
constexpr char kPartitionCountKey[] = "partition_count";

absl::Status FromRocks(const rocksdb::Status& status, std::string_view what) {
  if (status.ok()) return absl::OkStatus();
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
    return absl::OkStatus();
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
        record.key = stored.key();
        record.value = stored.value();
        next_offsets_[p] = record.offset + 1;
        batch.records.push_back(std::move(record));
      }
      if (absl::Status status = FromRocks(it->status(), "read"); !status.ok()) return status;
    }
    return batch;
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

}  // namespace

absl::StatusOr<std::unique_ptr<Log>> OpenEmbeddedLog(const EmbeddedLogOptions& options) {
  if (options.partitions < 1) return absl::InvalidArgumentError("partitions must be at least 1");
  auto database = std::make_shared<Database>();
  database->path = options.path;
  database->read_only = options.read_only;

  rocksdb::Options db_options;
  db_options.create_if_missing = !options.read_only;
  db_options.create_missing_column_families = !options.read_only;
  db_options.max_open_files = options.read_only ? -1 : 512;  // secondaries need -1
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
      {kLogFamily, rocksdb::ColumnFamilyOptions()},
      {kMetaFamily, rocksdb::ColumnFamilyOptions()}};
  rocksdb::DB* db = nullptr;
  rocksdb::Status opened;
  if (options.read_only) {
    if (!std::filesystem::exists(std::filesystem::path(options.path) / "CURRENT")) {
      return absl::NotFoundError(fmt::format("no embedded log at {}", options.path));
    }
    // Each secondary keeps its own info log beside the primary's files; it is
    // removed when the log is closed.
    database->secondary_path = fmt::format("{}/secondary-{}-{}", options.path, ::getpid(),
                                           reinterpret_cast<std::uintptr_t>(database.get()));
    opened = rocksdb::DB::OpenAsSecondary(db_options, options.path, database->secondary_path,
                                          families, &database->handles, &db);
  } else {
    std::filesystem::create_directories(options.path);
    opened = rocksdb::DB::Open(db_options, options.path, families, &database->handles, &db);
  }
  if (absl::Status status = FromRocks(opened, fmt::format("open {}", options.path)); !status.ok()) {
    return status;
  }
  database->db.reset(db);
  database->log = database->handles[1];
  database->meta = database->handles[2];

  std::string stored_count;
  rocksdb::Status got =
      database->db->Get(rocksdb::ReadOptions(), database->meta, kPartitionCountKey, &stored_count);
  if (got.IsNotFound()) {
    if (options.read_only) return absl::NotFoundError("embedded log has no partition count yet");
    stored_count = std::to_string(options.partitions);
    rocksdb::WriteOptions write_options;
    write_options.sync = true;
    if (absl::Status status = FromRocks(
            database->db->Put(write_options, database->meta, kPartitionCountKey, stored_count),
            "record the partition count");
        !status.ok()) {
      return status;
    }
  } else if (absl::Status status = FromRocks(got, "read the partition count"); !status.ok()) {
    return status;
  }
  try {
    database->partitions = std::stoi(stored_count);
  } catch (const std::exception&) {
    return absl::DataLossError(fmt::format("embedded log: bad partition count '{}'", stored_count));
  }
  return std::unique_ptr<Log>(new EmbeddedLog(std::move(database)));
}

}  // namespace careledger::ledger
