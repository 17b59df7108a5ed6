// Reading stored records for the queries: one record by key, or every record
// under a key prefix (in key order, from one snapshot). An unreadable value
// is DATA_LOSS; other errors come from the store.
#ifndef CARELEDGER_PROJECTIONS_INTERNAL_READ_H_
#define CARELEDGER_PROJECTIONS_INTERNAL_READ_H_

#include <fmt/format.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "projections/projection_store.h"

namespace careledger::projections::internal {

// The record at `key`, or nullopt. `what` names it in errors.
template <typename Record>
absl::StatusOr<std::optional<Record>> ReadRecord(const ProjectionStore& store, StoreFamily family,
                                                 std::string_view key, std::string_view what) {
  absl::StatusOr<std::optional<std::string>> bytes = store.Get(family, key);
  if (!bytes.ok()) return bytes.status();
  if (!bytes->has_value()) return std::optional<Record>();
  Record record;
  if (!record.ParseFromString(**bytes)) {
    return absl::DataLossError(fmt::format("projection store: unreadable {}", what));
  }
  return std::optional<Record>(std::move(record));
}

// Every record under `prefix`, in key order.
template <typename Record>
absl::StatusOr<std::vector<Record>> ScanRecords(const ProjectionStore& store, StoreFamily family,
                                                std::string_view prefix, std::string_view what) {
  std::vector<Record> records;
  bool readable = true;
  absl::Status scanned = store.Scan(family, prefix, [&](std::string_view, std::string_view value) {
    readable = records.emplace_back().ParseFromArray(value.data(), static_cast<int>(value.size()));
    return readable;
  });
  if (!scanned.ok()) return scanned;
  if (!readable) return absl::DataLossError(fmt::format("projection store: unreadable {}", what));
  return records;
}

}  // namespace careledger::projections::internal

#endif  // CARELEDGER_PROJECTIONS_INTERNAL_READ_H_
