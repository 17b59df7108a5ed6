#include "ledger/data_keys.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "events/sha256.h"
#include "ledger/internal/rocksdb_logger.h"

namespace careledger::ledger {
namespace {

constexpr std::string_view kWrapAadContext{"careledger.data-key.v1\0", 23};
// Each value starts with its kind: a live key, or the marker of a destroyed one.
constexpr char kLiveKey = 'k';          // 'k' || nonce || wrapped key || tag
constexpr char kDestroyedMarker = 'x';  // 'x' || RFC 3339 time

absl::Status FromRocks(const rocksdb::Status& status, std::string_view what) {
  if (status.ok()) return absl::OkStatus();
  return absl::InternalError(fmt::format("data key store: {}: {}", what, status.ToString()));
}

std::string WrapAad(std::string_view stream_id) {
  std::string aad(kWrapAadContext);
  aad.append(stream_id);
  return aad;
}

// Reads the 32-byte master key, refusing a file others may read.
absl::StatusOr<events::AesKey> ReadMasterKey(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return absl::NotFoundError(fmt::format("no master key at {}", path));
    return absl::InternalError(fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  }
  struct stat info {};
  events::AesKey key{};
  const bool stat_ok = ::fstat(fd, &info) == 0;
  const ssize_t read = ::read(fd, key.data(), key.size());
  ::close(fd);
  if (!stat_ok || (info.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(
        fmt::format("{} must be private (mode 0600): refusing to use it", path));
  }
  if (read != static_cast<ssize_t>(key.size())) {
    return absl::DataLossError(fmt::format("{} is not a 32-byte master key", path));
  }
  return key;
}

absl::Status WriteMasterKey(const std::string& path, const events::AesKey& key) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return absl::AlreadyExistsError(fmt::format("{} exists", path));
    return absl::InternalError(fmt::format("cannot create {}: {}", path, std::strerror(errno)));
  }
  const bool ok =
      ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return absl::InternalError(fmt::format("cannot write {}", path));
  return absl::OkStatus();
}

}  // namespace

std::string DataKeyIndex(std::string_view stream_id) {
  return events::HashBytes(events::Sha256(stream_id));
}

struct DataKeyStore::Impl {
  events::AesKey master{};
  std::unique_ptr<rocksdb::DB> db;
  bool read_only = false;
  // A read-only store is a RocksDB secondary instance of the owner's
  // (another process, e.g. the service's writer): its own files live here,
  // removed at close.
  std::string secondary_dir;
  mutable std::mutex mutex;
  mutable absl::flat_hash_map<std::string, events::AesKey> cache;  // by stream id
  bool unsynced = false;  // FindOrCreate wrote a key SyncNewKeys has not synced

  ~Impl() {
    db.reset();
    if (!secondary_dir.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(secondary_dir, ignored);
    }
  }

  // The stored value for `stream_id`, or nullopt.
  absl::StatusOr<std::optional<std::string>> Get(std::string_view stream_id) const {
    std::string value;
    rocksdb::Status status = db->Get(rocksdb::ReadOptions(), DataKeyIndex(stream_id), &value);
    if (status.IsNotFound()) return std::nullopt;
    if (absl::Status read = FromRocks(status, "read"); !read.ok()) return read;
    return value;
  }

  absl::StatusOr<std::optional<events::AesKey>> Unwrap(std::string_view stream_id,
                                                       const std::string& value) const {
    if (!value.empty() && value.front() == kDestroyedMarker) return std::nullopt;
    if (value.size() != 1 + events::kGcmNonceSize + events::kAesKeySize + events::kGcmTagSize ||
        value.front() != kLiveKey) {
      return absl::DataLossError(fmt::format("the data key of {} is damaged", stream_id));
    }
    const std::string_view wrapped = std::string_view(value).substr(1);
    absl::StatusOr<std::string> key =
        events::AesGcmOpen(master, wrapped.substr(0, events::kGcmNonceSize),
                           wrapped.substr(events::kGcmNonceSize), WrapAad(stream_id));
    if (!key.ok()) {
      return absl::DataLossError(
          fmt::format("the data key of {} does not unwrap under this master key: {}", stream_id,
                      std::string(key.status().message())));
    }
    events::AesKey out{};
    std::memcpy(out.data(), key->data(), out.size());
    return out;
  }
};

DataKeyStore::DataKeyStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DataKeyStore::~DataKeyStore() = default;

absl::StatusOr<std::unique_ptr<DataKeyStore>> DataKeyStore::Open(const std::string& dir,
                                                                 DataKeyMode mode) {
  const std::string master_path = dir + "/master.key";
  const std::string store_path = dir + "/store";
  auto impl = std::make_unique<Impl>();
  if (mode == DataKeyMode::kCreate) {
    std::error_code error;
    // The store's directory too: RocksDB logs a missing one as an error
    // before creating it, which every `init` would print.
    std::filesystem::create_directories(store_path, error);
    if (error)
      return absl::InternalError(fmt::format("cannot create {}: {}", dir, error.message()));
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, error);
    impl->master = events::RandomAesKey();
    if (absl::Status written = WriteMasterKey(master_path, impl->master); !written.ok()) {
      return written;
    }
  } else {
    absl::StatusOr<events::AesKey> master = ReadMasterKey(master_path);
    if (!master.ok()) return master.status();
    impl->master = *master;
  }
  rocksdb::Options options;
  // RocksDB's messages go to the operational log, not to a LOG file of its
  // own: on a full disk a failed LOG write would abort the process at close.
  options.info_log = std::make_shared<internal::RocksDbLogger>(store_path);
  options.create_if_missing = mode == DataKeyMode::kCreate;
  options.error_if_exists = mode == DataKeyMode::kCreate;
  options.WAL_ttl_seconds = 0;  // obsolete WAL files go at once (nothing erased lingers)
  options.WAL_size_limit_MB = 0;
  options.keep_log_file_num = 2;
  rocksdb::DB* db = nullptr;
  rocksdb::Status status;
  if (mode == DataKeyMode::kReadOnly) {
    // A secondary instance: it reads the owner's files as they are, and
    // catches up with the keys the owner made since (Find, on a miss).
    std::error_code error;
    if (!std::filesystem::exists(store_path + "/CURRENT", error)) {
      return absl::NotFoundError(fmt::format("no data key store at {}", store_path));
    }
    std::string secondary =
        (std::filesystem::temp_directory_path() / "careledger-data-keys-XXXXXX").string();
    if (::mkdtemp(secondary.data()) == nullptr) {
      return absl::InternalError(fmt::format("cannot make a directory in {}: {}",
                                             std::filesystem::temp_directory_path().string(),
                                             std::strerror(errno)));
    }
    impl->secondary_dir = secondary;
    options.max_open_files = -1;  // required of a secondary instance
    status = rocksdb::DB::OpenAsSecondary(options, store_path, secondary, &db);
  } else {
    status = rocksdb::DB::Open(options, store_path, &db);
  }
  if (!status.ok()) {
    if (mode != DataKeyMode::kCreate && (status.IsNotFound() || status.IsInvalidArgument())) {
      return absl::NotFoundError(
          fmt::format("no data key store at {}: {}", store_path, status.ToString()));
    }
    return FromRocks(status, fmt::format("open {}", store_path));
  }
  impl->db.reset(db);
  impl->read_only = mode == DataKeyMode::kReadOnly;
  return std::unique_ptr<DataKeyStore>(new DataKeyStore(std::move(impl)));
}

absl::StatusOr<std::optional<events::AesKey>> DataKeyStore::Find(std::string_view stream_id) const {
  std::lock_guard lock(impl_->mutex);
  if (auto it = impl_->cache.find(std::string(stream_id)); it != impl_->cache.end())
    return it->second;
  absl::StatusOr<std::optional<std::string>> value = impl_->Get(stream_id);
  if (!value.ok()) return value.status();
  if (!value->has_value() && impl_->read_only) {
    // The owner may have made it since this store last looked: its key is
    // synced before anything sealed under it reaches the log.
    if (absl::Status caught_up =
            FromRocks(impl_->db->TryCatchUpWithPrimary(), "catch up with the owner's store");
        !caught_up.ok()) {
      return caught_up;
    }
    value = impl_->Get(stream_id);
    if (!value.ok()) return value.status();
  }
  if (!value->has_value()) {
    return absl::NotFoundError(fmt::format(
        "the data key store holds no key for {} (neither live nor destroyed): is it the store "
        "this log was written with?",
        stream_id));
  }
  absl::StatusOr<std::optional<events::AesKey>> key = impl_->Unwrap(stream_id, **value);
  if (key.ok() && key->has_value()) impl_->cache.emplace(std::string(stream_id), **key);
  return key;
}

absl::StatusOr<events::AesKey> DataKeyStore::FindOrCreate(std::string_view stream_id) {
  absl::StatusOr<std::optional<events::AesKey>> found = Find(stream_id);
  if (found.ok()) {
    if (found->has_value()) return **found;
    return absl::FailedPreconditionError(fmt::format(
        "{} was erased: its data key was destroyed and is never made again", stream_id));
  }
  if (!absl::IsNotFound(found.status())) return found.status();
  if (impl_->read_only) return absl::FailedPreconditionError("the data key store is read-only");
  std::lock_guard lock(impl_->mutex);
  if (auto it = impl_->cache.find(std::string(stream_id)); it != impl_->cache.end())
    return it->second;
  const events::AesKey key = events::RandomAesKey();
  absl::StatusOr<events::GcmSealed> wrapped = events::AesGcmSeal(
      impl_->master, std::string_view(reinterpret_cast<const char*>(key.data()), key.size()),
      WrapAad(stream_id));
  if (!wrapped.ok()) return wrapped.status();
  std::string value(1, kLiveKey);
  value.append(wrapped->nonce);
  value.append(wrapped->ciphertext_and_tag);
  // In the write-ahead log, not yet synced: SyncNewKeys.
  if (absl::Status put = FromRocks(
          impl_->db->Put(rocksdb::WriteOptions(), DataKeyIndex(stream_id), value), "write a key");
      !put.ok()) {
    return put;
  }
  impl_->cache.emplace(std::string(stream_id), key);
  impl_->unsynced = true;
  return key;
}

absl::Status DataKeyStore::SyncNewKeys() {
  {
    std::lock_guard lock(impl_->mutex);
    if (!impl_->unsynced) return absl::OkStatus();
    // Cleared before the sync: a key made while it runs sets it again and
    // is synced by the next call; one made before is in the log it syncs.
    impl_->unsynced = false;
  }
  absl::Status synced = FromRocks(impl_->db->SyncWAL(), "sync new keys");
  if (!synced.ok()) {
    std::lock_guard lock(impl_->mutex);
    impl_->unsynced = true;
  }
  return synced;
}

absl::Status DataKeyStore::Destroy(std::string_view stream_id, absl::Time now) {
  if (impl_->read_only) return absl::FailedPreconditionError("the data key store is read-only");
  absl::StatusOr<std::optional<events::AesKey>> found = Find(stream_id);
  if (!found.ok()) return found.status();
  if (!found->has_value()) {
    return absl::FailedPreconditionError(
        fmt::format("the data key of {} was already destroyed", stream_id));
  }
  std::lock_guard lock(impl_->mutex);
  impl_->cache.erase(std::string(stream_id));
  rocksdb::WriteOptions sync;
  sync.sync = true;
  std::string marker(1, kDestroyedMarker);
  marker.append(absl::FormatTime(absl::RFC3339_full, now, absl::UTCTimeZone()));
  if (absl::Status put = FromRocks(impl_->db->Put(sync, DataKeyIndex(stream_id), marker),
                                   "write the destroyed marker");
      !put.ok()) {
    return put;
  }
  // Push the old value out of the memtable and WAL, then rewrite every SST
  // file so no copy of the wrapped key survives anywhere in the store.
  rocksdb::FlushOptions flush;
  flush.wait = true;
  if (absl::Status flushed = FromRocks(impl_->db->Flush(flush), "flush"); !flushed.ok()) {
    return flushed;
  }
  rocksdb::CompactRangeOptions compact;
  compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  compact.exclusive_manual_compaction = true;
  if (absl::Status compacted =
          FromRocks(impl_->db->CompactRange(compact, nullptr, nullptr), "compact");
      !compacted.ok()) {
    return compacted;
  }
  return FromRocks(impl_->db->FlushWAL(true), "sync the WAL");
}

absl::Status CopyDataKeyStore(const std::string& from, const std::string& to) {
  absl::StatusOr<events::AesKey> master = ReadMasterKey(from + "/master.key");
  if (!master.ok()) return master.status();
  std::error_code error;
  std::filesystem::create_directories(to + "/store", error);
  if (error) return absl::InternalError(fmt::format("cannot create {}: {}", to, error.message()));
  std::filesystem::permissions(to, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, error);
  if (absl::Status written = WriteMasterKey(to + "/master.key", *master); !written.ok()) {
    return written;
  }
  // As for the store itself: RocksDB's messages to the operational log,
  // never a LOG file (a backup onto a full disk must fail, not abort).
  rocksdb::Options read_options;
  read_options.info_log = std::make_shared<internal::RocksDbLogger>(from + "/store");
  rocksdb::DB* source = nullptr;
  if (absl::Status opened = FromRocks(
          rocksdb::DB::OpenForReadOnly(read_options, from + "/store", &source), "open to copy");
      !opened.ok()) {
    return opened;
  }
  std::unique_ptr<rocksdb::DB> source_db(source);
  rocksdb::Options write_options;
  write_options.info_log = std::make_shared<internal::RocksDbLogger>(to + "/store");
  write_options.create_if_missing = true;
  write_options.error_if_exists = true;
  rocksdb::DB* target = nullptr;
  if (absl::Status opened =
          FromRocks(rocksdb::DB::Open(write_options, to + "/store", &target), "create the copy");
      !opened.ok()) {
    return opened;
  }
  std::unique_ptr<rocksdb::DB> target_db(target);
  rocksdb::WriteBatch batch;
  std::unique_ptr<rocksdb::Iterator> it(source_db->NewIterator(rocksdb::ReadOptions()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) batch.Put(it->key(), it->value());
  if (absl::Status read = FromRocks(it->status(), "read to copy"); !read.ok()) return read;
  rocksdb::WriteOptions sync;
  sync.sync = true;
  if (absl::Status written = FromRocks(target_db->Write(sync, &batch), "write the copy");
      !written.ok()) {
    return written;
  }
  rocksdb::FlushOptions flush;
  flush.wait = true;
  return FromRocks(target_db->Flush(flush), "flush the copy");
}

absl::StatusOr<std::optional<absl::Time>> DataKeyStore::DestroyedAt(
    std::string_view stream_id) const {
  std::lock_guard lock(impl_->mutex);
  absl::StatusOr<std::optional<std::string>> value = impl_->Get(stream_id);
  if (!value.ok()) return value.status();
  if (!value->has_value() || (*value)->empty() || (*value)->front() != kDestroyedMarker) {
    return std::nullopt;
  }
  absl::Time at;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, (*value)->substr(1), &at, &error)) {
    return absl::DataLossError(fmt::format("the destroyed marker of {} is damaged", stream_id));
  }
  return at;
}

}  // namespace careledger::ledger
