#include "projections/erasure_purge.h"

#include <fmt/format.h>

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "careledger/v1/audit.pb.h"
#include "careledger/v1/projection.pb.h"
#include "events/envelope.h"
#include "events/plan_fold.h"
#include "events/sealed_body.h"
#include "projections/audit_projection.h"
#include "projections/internal/keys.h"

namespace careledger::projections {
namespace {

constexpr std::string_view kErasingPrefix = "erasing/";

// The smallest key after every key that starts with `prefix`.
std::string PrefixEnd(std::string prefix) {
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xff) prefix.pop_back();
  if (!prefix.empty()) prefix.back() = static_cast<char>(prefix.back() + 1);
  return prefix;
}

// What one patient's purge rewrites, and the key ranges it must compact.
struct Purge {
  StoreBatch batch;
  std::set<std::pair<std::int32_t, std::int64_t>> sealed_positions;  // (partition, offset)
  std::string first_audit_key;
  std::string last_audit_key;
};

absl::Status PurgeHistoryAndAudit(const ProjectionStore& store, std::string_view nhs_number,
                                  Purge* purge) {
  const std::string own_stream = fmt::format("{}{}", events::kPatientStreamPrefix, nhs_number);
  absl::Status failed;
  absl::Status scanned = store.Scan(
      StoreFamily::kHistory, internal::HistoryPrefix(nhs_number),
      [&](std::string_view key, std::string_view value) {
        careledger::v1::HistoryEntry entry;
        if (!entry.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          failed = absl::DataLossError(
              fmt::format("projection store: a history entry of {} does not parse", nhs_number));
          return false;
        }
        if (!entry.sealed() || entry.stream_id() != own_stream) return true;
        const careledger::v1::EventPosition& position = entry.position();
        purge->sealed_positions.emplace(position.partition(), position.offset());
        events::EraseSealedContent(entry.mutable_event());
        purge->batch.Put(StoreFamily::kHistory, key, events::SerializeDeterministic(entry));

        std::optional<careledger::v1::AuditEntry> audit = AuditEntryOf(entry.event(), position);
        if (!audit) return true;
        const std::string audit_key = internal::AuditKey(entry.event().recorded_at(),
                                                         position.partition(), position.offset());
        const std::string audit_value = events::SerializeDeterministic(*audit);
        purge->batch.Put(StoreFamily::kAudit, audit_key, audit_value);
        purge->batch.Put(StoreFamily::kAuditByPatient,
                         internal::AuditIndexKey(nhs_number, audit_key), audit_value);
        if (purge->first_audit_key.empty() || audit_key < purge->first_audit_key) {
          purge->first_audit_key = audit_key;
        }
        if (audit_key > purge->last_audit_key) purge->last_audit_key = audit_key;
        return true;
      });
  return scanned.ok() ? failed : scanned;
}

absl::Status PurgeVersions(const ProjectionStore& store, std::string_view nhs_number,
                           Purge* purge) {
  absl::Status failed;
  absl::Status scanned = store.Scan(
      StoreFamily::kVersions, internal::VersionPrefix(nhs_number),
      [&](std::string_view key, std::string_view value) {
        careledger::v1::PublishedVersion version;
        if (!version.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          failed = absl::DataLossError(fmt::format(
              "projection store: a published version of {} does not parse", nhs_number));
          return false;
        }
        const careledger::v1::EventPosition& approval = version.approval();
        if (!purge->sealed_positions.contains({approval.partition(), approval.offset()})) {
          return true;
        }
        version.mutable_plan()->Clear();
        purge->batch.Put(StoreFamily::kVersions, key, events::SerializeDeterministic(version));
        return true;
      });
  return scanned.ok() ? failed : scanned;
}

absl::Status PurgePatient(ProjectionStore* store, std::string_view nhs_number,
                          std::string_view marker) {
  Purge purge;
  if (absl::Status status = PurgeHistoryAndAudit(*store, nhs_number, &purge); !status.ok()) {
    return status;
  }
  if (absl::Status status = PurgeVersions(*store, nhs_number, &purge); !status.ok()) {
    return status;
  }
  if (!purge.batch.empty()) {
    if (absl::Status committed = store->Commit(purge.batch); !committed.ok()) return committed;
  }
  // The old values are still in the memtables, the WAL and SST files until
  // they are compacted away.
  const std::string history = internal::HistoryPrefix(nhs_number);
  const std::string versions = internal::VersionPrefix(nhs_number);
  const std::string by_patient = internal::AuditIndexPrefix(nhs_number);
  const std::string plan = internal::PlanKey(nhs_number);
  std::vector<KeyRange> ranges = {
      // Overwritten with the PatientErased: the plan folded whole, and the
      // Action Needed items it opened (their details quote notes and
      // requests), spread over their owners' lists.
      {StoreFamily::kPlans, plan, plan + std::string(1, '\0')},
      {StoreFamily::kWorklist, "", ""},
      {StoreFamily::kHistory, history, PrefixEnd(history)},
      {StoreFamily::kVersions, versions, PrefixEnd(versions)},
      {StoreFamily::kAuditByPatient, by_patient, PrefixEnd(by_patient)},
  };
  if (!purge.first_audit_key.empty()) {
    ranges.push_back(
        {StoreFamily::kAudit, purge.first_audit_key, purge.last_audit_key + std::string(1, '\0')});
  }
  if (absl::Status compacted = store->CompactAway(ranges); !compacted.ok()) return compacted;
  StoreBatch done;
  done.Delete(StoreFamily::kMeta, marker);
  return store->Commit(done);
}

}  // namespace

void MarkErasure(std::string_view nhs_number, StoreBatch* batch) {
  batch->Put(StoreFamily::kMeta, fmt::format("{}{}", kErasingPrefix, nhs_number), "");
}

absl::Status PurgeErasedContent(ProjectionStore* store) {
  std::vector<std::string> markers;
  absl::Status scanned =
      store->Scan(StoreFamily::kMeta, kErasingPrefix, [&](std::string_view key, std::string_view) {
        markers.emplace_back(key);
        return true;
      });
  if (!scanned.ok()) return scanned;
  for (const std::string& marker : markers) {
    const std::string_view nhs_number = std::string_view(marker).substr(kErasingPrefix.size());
    if (absl::Status purged = PurgePatient(store, nhs_number, marker); !purged.ok()) {
      return absl::Status(purged.code(), fmt::format("purging the erased content of {}: {}",
                                                     nhs_number, std::string(purged.message())));
    }
  }
  return absl::OkStatus();
}

}  // namespace careledger::projections
