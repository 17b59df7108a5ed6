#include "access/audit_record.h"

#include <fmt/format.h>

#include "access/audit_read.h"
#include "events/sha256.h"
#include "projections/audit_queries.h"

namespace careledger::access {

absl::StatusOr<AuditRecordRead> ReadAuditRecord(ledger::Writer& writer,
                                                careledger::v1::Command command,
                                                const careledger::v1::EventPosition& position,
                                                ProjectionFeed& feed, LogLookup& lookup,
                                                const events::Keyring& keyring,
                                                absl::Time deadline) {
  if (position.partition() < 0 || position.offset() < 0) {
    return absl::InvalidArgumentError("a partition and an offset (0, 1, ...) name the record");
  }
  absl::StatusOr<events::OpenedRecord> record = ReadVerified(lookup, position, keyring);
  if (!record.ok()) return record.status();
  projections::AuditQueries queries(&feed.store());
  absl::StatusOr<careledger::v1::AuditEntry> entry =
      queries.GetEntry(record->event.recorded_at(), position.partition(), position.offset());
  if (absl::IsNotFound(entry.status())) {
    return absl::NotFoundError(fmt::format(
        "partition {} offset {} ({} seq {}) is no access record, plan or directory event in the "
        "projection",
        position.partition(), position.offset(), record->event.stream_id(),
        record->event.stream_seq()));
  }
  if (!entry.ok()) return entry.status();
  if (entry->position().value_hash() != events::HashBytes(record->value_hash)) {
    return absl::DataLossError(
        "the projection's entry cites another record value than the log holds; rebuild the "
        "projection");
  }

  careledger::v1::AuditQuery* query = command.mutable_audit_query();
  query->set_scope(careledger::v1::AUDIT_SCOPE_ACCESS);
  query->set_subject(fmt::format("{}/{}", position.partition(), position.offset()));
  query->set_nhs_number(entry->nhs_number());
  absl::StatusOr<careledger::v1::CommandResult> recorded =
      RecordAuditQuery(writer, command, feed, deadline);
  if (!recorded.ok()) return recorded.status();
  AuditRecordRead read;
  read.recorded = *std::move(recorded);
  if (read.recorded.outcome() == careledger::v1::OUTCOME_REJECTED) return read;

  absl::StatusOr<std::optional<Rebuilt>> rebuilt =
      RebuildContent(*entry, feed.store(), lookup, keyring);
  if (!rebuilt.ok()) return rebuilt.status();
  read.granted = true;
  read.entry = *std::move(entry);
  read.record = *std::move(record);
  read.content = *std::move(rebuilt);
  return read;
}

}  // namespace careledger::access
