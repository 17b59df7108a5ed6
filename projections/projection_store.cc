#include "projections/projection_store.h"

#include <fmt/format.h>
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <unistd.h>

#include <array>
#include <filesystem>
#include <mutex>
#include <shared_mutex>

#include "careledger/v1/projection.pb.h"
#include "events/envelope.h"
#include "projections/internal/keys.h"
#include "projections/internal/rocksdb_logger.h"

namespace careledger::projections {
namespace {

// The block cache shared by every projection store of the process.
constexpr std::size_t kBlockCacheBytes = 256 << 20;

// Every column family, in Fingerprint order. The default family is opened
// because RocksDB requires it; nothing is written there.
struct FamilyName {
  std::optional<StoreFamily> family;
  const char* name;
};
constexpr std::array<FamilyName, 16> kFamilies = {{
    {std::nullopt, "default"},
    {StoreFamily::kPlans, "plans"},
    {StoreFamily::kVersions, "versions"},
    {StoreFamily::kDirectory, "directory"},
    {StoreFamily::kWorklist, "worklist"},
    {StoreFamily::kReviewDue, "review_due"},
    {StoreFamily::kHistory, "history"},
    {StoreFamily::kAudit, "audit"},
    {StoreFamily::kAuditByPatient, "audit_by_patient"},
    {StoreFamily::kAuditByUser, "audit_by_user"},
    {StoreFamily::kAuditByOrg, "audit_by_org"},
    {StoreFamily::kAuditSites, "audit_sites"},
    {StoreFamily::kAlertReviews, "alert_reviews"},
    {StoreFamily::kCases, "cases"},
    {StoreFamily::kStats, "stats"},
    {StoreFamily::kMeta, "meta"},
}};

absl::Status FromRocks(const rocksdb::Status& status, std::string_view what) {
  if (status.ok()) return absl::OkStatus();
  const std::string message = fmt::format("projection store: {}: {}", what, status.ToString());
  if (status.IsIOError() && status.ToString().find("lock") != std::string::npos) {
    return absl::FailedPreconditionError(
        fmt::format("{} (another process has this projection store open)", message));
  }
  if (status.IsCorruption()) return absl::DataLossError(message);
  return absl::InternalError(message);
}

rocksdb::Slice ToSlice(std::string_view view) { return rocksdb::Slice(view.data(), view.size()); }
std::string_view ToView(const rocksdb::Slice& slice) {
  return std::string_view(slice.data(), slice.size());
}

void AppendLengthPrefixed(std::string_view bytes, events::Sha256Hasher* hasher) {
  char length[8];
  const auto size = static_cast<std::uint64_t>(bytes.size());
  for (int i = 0; i < 8; ++i) length[i] = static_cast<char>((size >> (56 - 8 * i)) & 0xFF);
  hasher->Update(std::string_view(length, sizeof(length)));
  hasher->Update(bytes);
}

// Every family's table options: one block cache shared by all families of
// all stores of the process (index and filter blocks stay in memory beside
// it, outside the cache: a few bytes a key), and a whole-key bloom
// filter so that a point lookup (an audit page's MultiGet, a plan by NHS
// number) reads one data block instead of probing every level.
rocksdb::ColumnFamilyOptions FamilyOptions() {
  static const std::shared_ptr<rocksdb::Cache> cache = rocksdb::NewLRUCache(kBlockCacheBytes);
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.format_version = 5;
  rocksdb::ColumnFamilyOptions options;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  // Level sizes follow the data: less space and write amplification as a
  // projection grows to tens of gigabytes.
  options.level_compaction_dynamic_level_bytes = true;
  return options;
}

// The descriptors of every column family, in kFamilies order.
std::vector<rocksdb::ColumnFamilyDescriptor> FamilyDescriptors() {
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const FamilyName& family : kFamilies) {
    descriptors.emplace_back(family.name, FamilyOptions());
  }
  return descriptors;
}

}  // namespace

struct ProjectionStore::Database {
  std::string path;
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;  // in kFamilies order
  std::string secondary_path;  // set for a follower; its own files, removed on close
  // Held shared while an explicit snapshot or a scan's iterator is open,
  // exclusively by CompactAway: a compaction keeps every value a snapshot
  // can see, and an iterator pins the files it was opened on, so either,
  // open meanwhile, would keep the values it is meant to push out. (glibc's
  // rwlock prefers readers, so a scan's visitor may read the store again.)
  std::shared_mutex snapshots;

  ~Database() {
    for (rocksdb::ColumnFamilyHandle* handle : handles) db->DestroyColumnFamilyHandle(handle);
    db.reset();
    if (!secondary_path.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(secondary_path, ignored);
    }
  }

  rocksdb::ColumnFamilyHandle* Handle(StoreFamily family) const {
    for (std::size_t i = 0; i < kFamilies.size(); ++i) {
      if (kFamilies[i].family == family) return handles[i];
    }
    return nullptr;  // unreachable: every StoreFamily is in kFamilies
  }
};

void StoreBatch::Put(StoreFamily family, std::string_view key, std::string_view value) {
  changes_.push_back(Change{family, std::string(key), std::string(value)});
}

void StoreBatch::Delete(StoreFamily family, std::string_view key) {
  changes_.push_back(Change{family, std::string(key), std::nullopt});
}

ProjectionStore::ProjectionStore(std::unique_ptr<Database> database)
    : database_(std::move(database)) {}

ProjectionStore::~ProjectionStore() = default;

const std::string& ProjectionStore::path() const { return database_->path; }

// OK when `store` is written in this build's schema. A store with no schema
// record is new: with `record_if_new` the record is written, otherwise (a
// follower, which cannot write) it is FAILED_PRECONDITION.
static absl::Status CheckSchema(ProjectionStore& store, bool record_if_new) {
  absl::StatusOr<std::optional<std::string>> stored =
      store.Get(StoreFamily::kMeta, internal::kSchemaKey);
  if (!stored.ok()) return stored.status();
  careledger::v1::ProjectionSchema schema;
  if (!stored->has_value()) {
    if (!record_if_new) {
      return absl::FailedPreconditionError(
          fmt::format("projection store {} has no schema record yet", store.path()));
    }
    schema.set_version(kProjectionSchemaVersion);
    StoreBatch batch;
    batch.Put(StoreFamily::kMeta, internal::kSchemaKey, events::SerializeDeterministic(schema));
    return store.Commit(batch);
  }
  if (!schema.ParseFromString(**stored)) {
    return absl::DataLossError(
        fmt::format("projection store {}: unreadable schema record", store.path()));
  }
  if (schema.version() != kProjectionSchemaVersion) {
    return absl::FailedPreconditionError(fmt::format(
        "projection store {} has schema version {}, this build reads {}: delete it and rebuild "
        "it from the log",
        store.path(), schema.version(), kProjectionSchemaVersion));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<ProjectionStore>> ProjectionStore::Open(const std::string& path) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.info_log = std::make_shared<internal::RocksDbLogger>(path);
  // Recover to the last consistent WriteBatch: a crash leaves a prefix.
  options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors = FamilyDescriptors();
  std::error_code ignored;
  std::filesystem::create_directories(path, ignored);

  auto database = std::make_unique<Database>();
  database->path = path;
  rocksdb::DB* db = nullptr;
  if (absl::Status opened =
          FromRocks(rocksdb::DB::Open(options, path, descriptors, &database->handles, &db),
                    fmt::format("open {}", path));
      !opened.ok()) {
    return opened;
  }
  database->db.reset(db);
  std::unique_ptr<ProjectionStore> store(new ProjectionStore(std::move(database)));

  if (absl::Status schema = CheckSchema(*store, /*record_if_new=*/true); !schema.ok()) {
    return schema;
  }
  return store;
}

absl::StatusOr<std::unique_ptr<ProjectionStore>> ProjectionStore::OpenFollower(
    const std::string& path) {
  if (!std::filesystem::exists(std::filesystem::path(path) / "CURRENT")) {
    return absl::NotFoundError(fmt::format("no projection at {}: run 'careledger project'", path));
  }
  rocksdb::Options options;
  options.max_open_files = -1;  // required of a secondary instance
  options.info_log = std::make_shared<internal::RocksDbLogger>(path);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors = FamilyDescriptors();
  auto database = std::make_unique<Database>();
  database->path = path;
  database->secondary_path = fmt::format("{}/follower-{}-{}", path, ::getpid(),
                                         reinterpret_cast<std::uintptr_t>(database.get()));
  rocksdb::DB* db = nullptr;
  const rocksdb::Status status = rocksdb::DB::OpenAsSecondary(
      options, path, database->secondary_path, descriptors, &database->handles, &db);
  if (status.IsInvalidArgument()) {
    // A follower cannot create column families: a store that lacks one of
    // this build's was written by an older schema.
    return absl::FailedPreconditionError(fmt::format(
        "projection store {} lacks this build's column families ({}): it was written with "
        "another schema version; rebuild it from the log",
        path, status.ToString()));
  }
  if (absl::Status opened = FromRocks(status, fmt::format("follow {}", path)); !opened.ok()) {
    return opened;
  }
  database->db.reset(db);
  std::unique_ptr<ProjectionStore> store(new ProjectionStore(std::move(database)));
  if (absl::Status schema = CheckSchema(*store, /*record_if_new=*/false); !schema.ok()) {
    return schema;
  }
  return store;
}

absl::Status ProjectionStore::Refresh() {
  if (database_->secondary_path.empty()) return absl::OkStatus();
  return FromRocks(database_->db->TryCatchUpWithPrimary(), "follow the projector");
}

absl::StatusOr<std::optional<std::string>> ProjectionStore::Get(StoreFamily family,
                                                                std::string_view key) const {
  std::string value;
  rocksdb::Status status =
      database_->db->Get(rocksdb::ReadOptions(), database_->Handle(family), ToSlice(key), &value);
  if (status.IsNotFound()) return std::optional<std::string>();
  if (absl::Status read = FromRocks(status, "read"); !read.ok()) return read;
  return std::optional<std::string>(std::move(value));
}

absl::Status ProjectionStore::Scan(
    StoreFamily family, std::string_view prefix,
    const std::function<bool(std::string_view key, std::string_view value)>& visit) const {
  std::shared_lock no_compaction_meanwhile(database_->snapshots);  // see CompactAway
  std::unique_ptr<rocksdb::Iterator> it(
      database_->db->NewIterator(rocksdb::ReadOptions(), database_->Handle(family)));
  for (it->Seek(ToSlice(prefix)); it->Valid() && it->key().starts_with(ToSlice(prefix));
       it->Next()) {
    if (!visit(ToView(it->key()), ToView(it->value()))) break;
  }
  return FromRocks(it->status(), "scan");
}

absl::Status ProjectionStore::ScanRange(
    StoreFamily family, std::string_view lower, std::string_view upper, bool reverse,
    const std::function<bool(std::string_view key, std::string_view value)>& visit) const {
  if (!upper.empty() && upper <= lower) return absl::OkStatus();
  const rocksdb::Slice lower_bound = ToSlice(lower);
  const rocksdb::Slice upper_bound = ToSlice(upper);
  rocksdb::ReadOptions options;
  options.iterate_lower_bound = &lower_bound;
  if (!upper.empty()) options.iterate_upper_bound = &upper_bound;
  std::shared_lock no_compaction_meanwhile(database_->snapshots);  // see CompactAway
  std::unique_ptr<rocksdb::Iterator> it(
      database_->db->NewIterator(options, database_->Handle(family)));
  if (reverse) {
    for (it->SeekToLast(); it->Valid(); it->Prev()) {
      if (!visit(ToView(it->key()), ToView(it->value()))) break;
    }
  } else {
    for (it->Seek(lower_bound); it->Valid(); it->Next()) {
      if (!visit(ToView(it->key()), ToView(it->value()))) break;
    }
  }
  return FromRocks(it->status(), "scan");
}

absl::StatusOr<std::vector<std::optional<std::string>>> ProjectionStore::MultiGet(
    StoreFamily family, const std::vector<std::string>& keys) const {
  std::vector<std::optional<std::string>> values(keys.size());
  if (keys.empty()) return values;
  std::shared_lock no_compaction_meanwhile(database_->snapshots);
  const rocksdb::Snapshot* snapshot = database_->db->GetSnapshot();
  rocksdb::ReadOptions options;
  options.snapshot = snapshot;
  std::vector<rocksdb::Slice> slices;
  slices.reserve(keys.size());
  for (const std::string& key : keys) slices.push_back(ToSlice(key));
  std::vector<rocksdb::PinnableSlice> found(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  database_->db->MultiGet(options, database_->Handle(family), keys.size(), slices.data(),
                          found.data(), statuses.data());
  absl::Status status;
  for (std::size_t i = 0; i < keys.size() && status.ok(); ++i) {
    if (statuses[i].IsNotFound()) continue;
    status = FromRocks(statuses[i], "read");
    if (status.ok()) values[i] = found[i].ToString();
  }
  found.clear();  // unpins before the snapshot goes
  database_->db->ReleaseSnapshot(snapshot);
  if (!status.ok()) return status;
  return values;
}

absl::Status ProjectionStore::Commit(const StoreBatch& batch) {
  if (!database_->secondary_path.empty()) {
    return absl::FailedPreconditionError("a follower of a projection store cannot write to it");
  }
  rocksdb::WriteBatch write;
  for (const StoreBatch::Change& change : batch.changes_) {
    rocksdb::ColumnFamilyHandle* handle = database_->Handle(change.family);
    rocksdb::Status status = change.value ? write.Put(handle, change.key, *change.value)
                                          : write.Delete(handle, change.key);
    if (absl::Status staged = FromRocks(status, "stage a write"); !staged.ok()) return staged;
  }
  rocksdb::WriteOptions options;
  options.sync = false;  // atomic batches give crash safety; see the header
  return FromRocks(database_->db->Write(options, &write), "commit");
}

absl::Status ProjectionStore::CompactAway(const std::vector<KeyRange>& ranges) {
  if (!database_->secondary_path.empty()) {
    return absl::FailedPreconditionError("a follower of a projection store cannot compact it");
  }
  std::unique_lock no_snapshot_meanwhile(database_->snapshots);
  rocksdb::FlushOptions flush;
  flush.wait = true;
  if (absl::Status flushed = FromRocks(database_->db->Flush(flush, database_->handles), "flush");
      !flushed.ok()) {
    return flushed;
  }
  rocksdb::CompactRangeOptions compact;
  compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  for (const KeyRange& range : ranges) {
    const rocksdb::Slice begin(range.begin);
    const rocksdb::Slice end(range.end);
    if (absl::Status compacted =
            FromRocks(database_->db->CompactRange(compact, database_->Handle(range.family), &begin,
                                                  range.end.empty() ? nullptr : &end),
                      "compact");
        !compacted.ok()) {
      return compacted;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<events::Hash> ProjectionStore::Fingerprint() const {
  std::shared_lock no_compaction_meanwhile(database_->snapshots);
  const rocksdb::Snapshot* snapshot = database_->db->GetSnapshot();
  rocksdb::ReadOptions read;
  read.snapshot = snapshot;
  events::Sha256Hasher hasher;
  absl::Status status;
  for (std::size_t i = 0; i < kFamilies.size() && status.ok(); ++i) {
    AppendLengthPrefixed(kFamilies[i].name, &hasher);
    std::unique_ptr<rocksdb::Iterator> it(database_->db->NewIterator(read, database_->handles[i]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      AppendLengthPrefixed(ToView(it->key()), &hasher);
      AppendLengthPrefixed(ToView(it->value()), &hasher);
    }
    status = FromRocks(it->status(), "fingerprint");
  }
  database_->db->ReleaseSnapshot(snapshot);
  if (!status.ok()) return status;
  return hasher.Finish();
}

}  // namespace careledger::projections
