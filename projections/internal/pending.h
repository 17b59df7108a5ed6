// PendingRecords: the in-memory overlay through which a projection reads and
// changes one family's records during a read batch (projection.h: Apply must
// see the changes of earlier records of the same batch before Flush writes
// them).
//
// Find() returns the pending record, else the stored one (copied into the
// overlay), else nullptr. Every record in the overlay is written by Flush,
// changed or not (rewriting equal bytes changes nothing), so the store's
// content never depends on how the log was cut into batches.
#ifndef CARELEDGER_PROJECTIONS_INTERNAL_PENDING_H_
#define CARELEDGER_PROJECTIONS_INTERNAL_PENDING_H_

#include <fmt/format.h>

#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "absl/status/statusor.h"
#include "events/envelope.h"
#include "projections/projection_store.h"

namespace careledger::projections::internal {

template <typename Record>
class PendingRecords {
 public:
  // `store` must outlive this. `what` names the record in errors ("plan").
  PendingRecords(const ProjectionStore* store, StoreFamily family, std::string_view what)
      : store_(store), family_(family), what_(what) {}

  // The record at `key` as of the events applied so far, or nullptr. The
  // pointer stays valid until Flush or Discard. DATA_LOSS for
  // an unreadable stored record; other errors come from the store.
  absl::StatusOr<Record*> Find(const std::string& key) {
    if (auto it = pending_.find(key); it != pending_.end()) return &it->second;
    absl::StatusOr<std::optional<std::string>> stored = store_->Get(family_, key);
    if (!stored.ok()) return stored.status();
    if (!stored->has_value()) return nullptr;
    Record record;
    if (!record.ParseFromString(**stored)) {
      return absl::DataLossError(
          fmt::format("projection store: unreadable {} record at key '{}'", what_, key));
    }
    return &(pending_[key] = std::move(record));
  }

  // Adds (or replaces) the record at `key`; returns it.
  Record* Insert(const std::string& key, Record record) {
    return &(pending_[key] = std::move(record));
  }

  // Calls visit(key, record) for every pending record, in no particular order.
  template <typename Visit>
  void ForEach(Visit visit) const {
    for (const auto& [key, record] : pending_) visit(key, record);
  }

  // Writes every pending record to `batch` and forgets them.
  void Flush(StoreBatch* batch) {
    for (const auto& [key, record] : pending_) {
      batch->Put(family_, key, events::SerializeDeterministic(record));
    }
    pending_.clear();
  }

  void Discard() { pending_.clear(); }

 private:
  const ProjectionStore* store_;
  StoreFamily family_;
  std::string what_;
  // Node-based: the pointers Find and Insert return survive later inserts.
  std::unordered_map<std::string, Record> pending_;
};

}  // namespace careledger::projections::internal

#endif  // CARELEDGER_PROJECTIONS_INTERNAL_PENDING_H_
