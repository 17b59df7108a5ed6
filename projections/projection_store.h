// ProjectionStore: the RocksDB database that holds the projections, and the
// one place that knows its column families.
//
//   plans      each patient's plan: the fold of their plan stream
//   versions   every published version of every plan
//   directory  organisations, users (with their last activity) and devices
//   worklist   the open Action Needed items of each user, organisation and
//              patient
//   review_due the review date of every open published plan, by reviewing
//              clinician and by patient (projections/review_due.h)
//   history    per patient, every event about them: their plan stream and
//              the access records naming them
//   audit      every access record and every plan and directory event, as an
//              AuditEntry, in recorded order (projections/audit_projection.h)
//   audit_by_patient, audit_by_user, audit_by_org
//              indexes of `audit` by NHS number, by acting user and by their
//              organisation (empty values)
//   audit_sites  every organisation's names over time, to name an actor's site
//   alert_reviews  every auditor's review of an investigation alert, by alert id
//              (projections/investigation.h)
//   cases      every signed event of every investigation case, by case id
//              (projections/investigation_cases.h)
//   stats      what the CMC figures are counted from: a row per started plan
//              and urgent-care view counts (projections/stats_projection.h)
//   meta       the schema version, the log's partition count, per-partition
//              progress (next offset, digest, stop) and per-stream heads
//
// Keys and values are documented in projections/README.md; values are
// deterministic protobuf (careledger/v1/projection.proto), so equal states are
// equal bytes and Fingerprint() can prove a resumed projection equals a clean
// rebuild.
//
// Durability: Commit writes with sync=false. Crash safety comes from
// atomicity instead: each Commit is one RocksDB WriteBatch carrying the
// projection changes together with the log offsets they consumed, and the WAL
// is recovered in point-in-time mode. A process crash loses nothing (the WAL is
// in the OS); a machine crash may lose the last commits, but the store always
// equals the state after some earlier Commit, i.e. a prefix of the log, and the
// projector resumes from the offsets stored in that state.
//
// Thread safety: every method may be called from any thread, concurrently.
// A StoreBatch is used by one thread.
#ifndef CARELEDGER_PROJECTIONS_PROJECTION_STORE_H_
#define CARELEDGER_PROJECTIONS_PROJECTION_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "events/sha256.h"

namespace careledger::projections {

// Bump on any change to a stored key encoding or value type. A store written
// with another version is refused; delete it and rebuild from the log.
// 2: plans hold the shared PlanState fold; directory, worklist and history.
// 3: the audit families.
// 4: alert_reviews, and alert reviews in `audit`.
// 5: audit_by_patient holds its entries (a covering index).
// 6: review_due.
// 7: stats.
// 8: history entries say whether their event was sealed, and hold erased
//    content in its erased form; "erasing/" markers in meta.
// 9: cases (investigation cases), and case events in `audit`.
inline constexpr std::uint32_t kProjectionSchemaVersion = 9;

enum class StoreFamily {
  kPlans,
  kVersions,
  kDirectory,
  kWorklist,
  kReviewDue,
  kHistory,
  kAudit,
  kAuditByPatient,
  kAuditByUser,
  kAuditByOrg,
  kAuditSites,
  kAlertReviews,
  kCases,
  kStats,
  kMeta,
};

// Changes to apply together. Cheap to build; nothing is written until
// ProjectionStore::Commit.
class StoreBatch {
 public:
  void Put(StoreFamily family, std::string_view key, std::string_view value);
  void Delete(StoreFamily family, std::string_view key);
  bool empty() const { return changes_.empty(); }

 private:
  friend class ProjectionStore;
  struct Change {
    StoreFamily family;
    std::string key;
    std::optional<std::string> value;  // nullopt: delete
  };
  std::vector<Change> changes_;
};

// Keys [begin, end) of one family ("" end: no upper bound).
struct KeyRange {
  StoreFamily family;
  std::string begin;
  std::string end;
};

class ProjectionStore {
 public:
  // Opens the store in directory `path`, creating it if missing.
  // FAILED_PRECONDITION when the store was written with another schema version
  // or another process has it open; other errors come from RocksDB.
  static absl::StatusOr<std::unique_ptr<ProjectionStore>> Open(const std::string& path);

  // Opens an existing store read-only, beside the process that projects into
  // it (a RocksDB secondary instance): for queries while `project --follow`
  // runs. Commit fails with FAILED_PRECONDITION; Refresh() catches up with the
  // projector's commits. NOT_FOUND when no store exists at `path`.
  static absl::StatusOr<std::unique_ptr<ProjectionStore>> OpenFollower(const std::string& path);

  // For a follower: read the projector's latest commits. No-op otherwise.
  absl::Status Refresh();

  ~ProjectionStore();
  ProjectionStore(const ProjectionStore&) = delete;
  ProjectionStore& operator=(const ProjectionStore&) = delete;

  // The value at `key`, or nullopt when there is none. Errors: DATA_LOSS when
  // RocksDB reports corruption, INTERNAL otherwise.
  absl::StatusOr<std::optional<std::string>> Get(StoreFamily family, std::string_view key) const;

  // Calls visit(key, value) for every key that starts with `prefix`, in key
  // order, from one consistent snapshot, until visit returns false. The views
  // are valid only during the call.
  absl::Status Scan(
      StoreFamily family, std::string_view prefix,
      const std::function<bool(std::string_view key, std::string_view value)>& visit) const;

  // Calls visit(key, value) for every key in [lower, upper) ("" upper: no
  // upper bound), in key order, or in reverse key order when `reverse`, from
  // one consistent snapshot, until visit returns false. Seeks straight to
  // the first key, so the cost is that of the keys visited, not of the
  // family. The views are valid only during the call.
  absl::Status ScanRange(
      StoreFamily family, std::string_view lower, std::string_view upper, bool reverse,
      const std::function<bool(std::string_view key, std::string_view value)>& visit) const;

  // The values at `keys` (nullopt where there is none), in the same order,
  // from one consistent snapshot.
  absl::StatusOr<std::vector<std::optional<std::string>>> MultiGet(
      StoreFamily family, const std::vector<std::string>& keys) const;

  // Applies every change in `batch` atomically: after a crash, all or none.
  absl::Status Commit(const StoreBatch& batch);

  // Pushes every overwritten or deleted value in `ranges` out of the store's
  // files: the memtables are flushed (the WAL holding them is then dropped)
  // and each range compacted down to the last level, so no file keeps an
  // old value (an erased patient's content, projections/erasure_purge.h).
  // Waits for the scans in progress to end, then blocks while it compacts,
  // and so do Scan, ScanRange, MultiGet and Fingerprint: a snapshot, or an
  // iterator (which pins the files it was opened on), would keep the old
  // values on disk past the compaction. FAILED_PRECONDITION for a follower.
  absl::Status CompactAway(const std::vector<KeyRange>& ranges);

  // SHA-256 over every key and value of every column family (default, plans,
  // versions, directory, worklist, review_due, history, audit, audit_by_patient,
  // audit_by_user, audit_by_org, audit_sites, alert_reviews, cases, stats, meta, in that order,
  // each in key order), from one snapshot. Each family contributes its name, then each entry as
  // len(key) || key || len(value) || value with 8-byte big-endian lengths.
  // Equal fingerprints mean byte-identical stores.
  absl::StatusOr<events::Hash> Fingerprint() const;

  const std::string& path() const;

 private:
  struct Database;
  explicit ProjectionStore(std::unique_ptr<Database> database);
  std::unique_ptr<Database> database_;
};

}  // namespace careledger::projections

#endif  // CARELEDGER_PROJECTIONS_PROJECTION_STORE_H_
