// One record under audit (`careledger audit access`, the service's GET
// /v1/audit/records/{partition}/{offset}): the audit entry of the record at
// a position, the record itself read from the log and its signature
// verified, and the exact plan content that person was shown (or a change
// left), rebuilt from the signed log and checked against the recorded hash
// (shown_content.h).
//
// The record and its entry are found first, to name the entry's patient in
// the auditor's AuditQuery (scope ACCESS), so that the query is in that
// patient's trail too; nothing of them is shown unless the ledger grants the
// query, whose record is durable before anything is returned
// (RecordAuditQuery, audit_read.h).
#ifndef CARELEDGER_ACCESS_AUDIT_RECORD_H_
#define CARELEDGER_ACCESS_AUDIT_RECORD_H_

#include <optional>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "access/log_lookup.h"
#include "access/plan_read.h"
#include "access/shown_content.h"
#include "careledger/v1/audit.pb.h"
#include "careledger/v1/commands.pb.h"
#include "events/envelope.h"
#include "events/keyring.h"
#include "ledger/writer.h"

namespace careledger::access {

struct AuditRecordRead {
  careledger::v1::CommandResult recorded;  // the query's record, or the refusal
  bool granted = false;
  // When granted: the entry, the verified record, and what it showed
  // (nullopt when it showed no plan content: a refusal, an audit query, a
  // directory change).
  careledger::v1::AuditEntry entry;
  events::OpenedRecord record;
  std::optional<Rebuilt> content;
};

// `command` carries the actor and the command id; its audit_query is set
// here. `lookup` reads the log (one thread at a time); `feed`'s store must
// already hold the record's entry (the caller brings it forward first).
// Errors, all before anything is submitted: INVALID_ARGUMENT for a negative
// position; NOT_FOUND when the log has no record there or the projection no
// entry for it; DATA_LOSS when the record does not verify or the entry cites
// another value. Then RecordAuditQuery's, and RebuildContent's DATA_LOSS.
absl::StatusOr<AuditRecordRead> ReadAuditRecord(ledger::Writer& writer,
                                                careledger::v1::Command command,
                                                const careledger::v1::EventPosition& position,
                                                ProjectionFeed& feed, LogLookup& lookup,
                                                const events::Keyring& keyring,
                                                absl::Time deadline);

}  // namespace careledger::access

#endif  // CARELEDGER_ACCESS_AUDIT_RECORD_H_
