#include "access/shown_content.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "absl/strings/escaping.h"
#include "events/envelope.h"
#include "events/format.h"
#include "events/plan_fold.h"
#include "projections/plan_queries.h"

namespace careledger::access {

using careledger::v1::AuditEntry;

absl::StatusOr<events::OpenedRecord> ReadVerified(LogLookup& lookup,
                                                  const careledger::v1::EventPosition& position,
                                                  const events::Keyring& keyring) {
  absl::StatusOr<events::LogRecord> record = lookup.Read(position.partition(), position.offset());
  if (!record.ok()) return record.status();
  absl::StatusOr<events::OpenedRecord> opened = events::OpenRecord(record->key, record->value);
  if (!opened.ok()) {
    return absl::DataLossError(fmt::format("partition {} offset {}: {}", position.partition(),
                                           position.offset(), opened.status().message()));
  }
  if (!position.value_hash().empty() &&
      events::HashBytes(opened->value_hash) != position.value_hash()) {
    return absl::DataLossError(fmt::format(
        "partition {} offset {}: the log's record is not the one the projection holds; rebuild "
        "the projection (careledger project --rebuild) and run careledger verify",
        position.partition(), position.offset()));
  }
  if (absl::Status signature = events::VerifySignature(*opened, keyring); !signature.ok()) {
    return absl::DataLossError(fmt::format("partition {} offset {}: {}", position.partition(),
                                           position.offset(), signature.message()));
  }
  if (absl::StatusOr<events::SealedContent> content =
          events::OpenSealedContent(lookup.data_keys(), &opened->event);
      !content.ok()) {
    return absl::DataLossError(fmt::format("partition {} offset {}: {}", position.partition(),
                                           position.offset(), content.status().message()));
  }
  return opened;
}

namespace {

// A plan stream's records through a caller's lookup, verified.
class LookupRecords : public access::StreamRecords {
 public:
  LookupRecords(LogLookup& lookup, const events::Keyring& keyring)
      : lookup_(lookup), keyring_(keyring) {}
  absl::StatusOr<events::OpenedRecord> ReadVerified(
      const careledger::v1::EventPosition& position) override {
    return access::ReadVerified(lookup_, position, keyring_);
  }

 private:
  LogLookup& lookup_;
  const events::Keyring& keyring_;
};

}  // namespace

absl::StatusOr<events::OpenedRecord> LogStreamRecords::ReadVerified(
    const careledger::v1::EventPosition& position) {
  if (!lookup_.has_value()) {
    absl::StatusOr<std::vector<std::int64_t>> ends = projections::PlanQueries(store_).Offsets();
    if (!ends.ok()) return ends.status();
    absl::StatusOr<LogLookup> lookup = LogLookup::Open(log_, *std::move(ends));
    if (!lookup.ok()) return lookup.status();
    lookup_.emplace(*std::move(lookup));
    lookup_->set_data_keys(data_keys_);
  }
  return access::ReadVerified(*lookup_, position, *keyring_);
}

absl::StatusOr<std::optional<Rebuilt>> RebuildContent(const AuditEntry& entry,
                                                      const projections::ProjectionStore& store,
                                                      LogLookup& lookup,
                                                      const events::Keyring& keyring) {
  const bool read = entry.kind() == careledger::v1::AUDIT_KIND_READ &&
                    entry.view() != careledger::v1::PLAN_VIEW_UNSPECIFIED &&
                    !entry.content_hash().empty();
  const std::string stream = fmt::format("{}{}", events::kPatientStreamPrefix, entry.nhs_number());
  const bool change =
      entry.kind() == careledger::v1::AUDIT_KIND_CHANGE && entry.subject() == stream;
  if (entry.nhs_number().empty() || entry.stream_seq() == 0 || (!read && !change)) {
    return std::optional<Rebuilt>();
  }
  absl::StatusOr<std::vector<careledger::v1::HistoryEntry>> history =
      projections::PlanQueries(&store).ListHistory(entry.nhs_number());
  if (!history.ok()) return history.status();
  // The stream up to the entry's position, each record read and verified:
  // the same fold as a point-in-time read, to no instant but a position.
  LookupRecords records(lookup, keyring);
  absl::StatusOr<access::PlanAsOf> folded = access::FoldPlanAsOf(
      *history, entry.nhs_number(), entry.stream_seq(), absl::InfiniteFuture(), records);
  if (!folded.ok()) return folded.status();
  Rebuilt rebuilt;
  rebuilt.records = folded->folded;
  const careledger::v1::PlanState& state = folded->state;
  const std::map<std::uint64_t, careledger::v1::CarePlan>& versions = folded->versions;
  if (state.content_erased()) {
    rebuilt.erased = true;
    rebuilt.what = fmt::format(
        "erased: the content of {} up to seq {} was destroyed with the patient's data key "
        "(crypto-shredding); who read it, when and where still stands",
        stream, entry.stream_seq());
    return std::optional<Rebuilt>(std::move(rebuilt));
  }

  std::uint64_t version = entry.version();
  if (read && entry.view() == careledger::v1::PLAN_VIEW_DRAFT) version = 0;
  if (version > 0) {
    auto it = versions.find(version);
    if (it == versions.end()) {
      return absl::DataLossError(fmt::format("the log has no version {} of {} by seq {}", version,
                                             stream, entry.stream_seq()));
    }
    rebuilt.plan = it->second;
    rebuilt.what = fmt::format("published version {}", version);
  } else {
    rebuilt.plan = state.draft();
    rebuilt.what = fmt::format("the working draft at plan seq {}", entry.stream_seq());
  }
  if (change && version == 0) {
    rebuilt.what = fmt::format("the plan after this change (draft at seq {})", entry.stream_seq());
  }
  rebuilt.hash = events::PlanContentHash(rebuilt.plan);
  if (!entry.content_hash().empty()) {
    if (events::HashBytes(rebuilt.hash) != entry.content_hash()) {
      return absl::DataLossError(fmt::format(
          "the content rebuilt from the log (hash {}) is not what the record says was shown "
          "(hash {})",
          events::HashHex(rebuilt.hash), absl::BytesToHexString(entry.content_hash())));
    }
    rebuilt.checked = true;
  }
  return std::optional<Rebuilt>(std::move(rebuilt));
}

}  // namespace careledger::access
