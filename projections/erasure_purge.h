// Dropping an erased patient's content from a live projection
// (docs/governance.md, "Erasure").
//
// A projection built after a patient's data key was destroyed never holds
// their content: the sealed events cannot be opened and are applied as
// erased. A live projection applied them opened, before the erasure, so when
// the projector applies a PatientErased it also commits a marker
// ("erasing/<NHS number>" in `meta`) in the same batch, and then
// PurgeErasedContent rewrites what still holds the content:
//
//   history            each entry of the patient whose event was written
//                      sealed (HistoryEntry.sealed): its erased form
//                      (events::EraseSealedContent)
//   audit, audit_by_patient
//                      the audit entries of those events, made again from
//                      the erased form (AuditEntryOf)
//   versions           each published version whose approval was written
//                      sealed: its plan cleared (the hash and who approved stay)
//
// `plans` needs nothing: the fold of PatientErased drops the content
// (events/plan_fold.h), and the worklist, review dates and statistics derive
// from the fold. Clear events (envelope version 1) are left as they are: a
// rebuild shows them too. The rewritten store equals, byte for byte, a
// rebuild from the log once the key is destroyed (projector_erasure_test).
//
// Then the old values are pushed out of every file: the memtables flushed and
// the rewritten key ranges compacted down to the last level, so no SST or
// WAL file of the store keeps a copy (the same as the data key store does
// for a destroyed key). Only then is the marker deleted, so a crash at any
// point leaves the marker and the next start of the projector purges again
// (idempotent).
#ifndef CARELEDGER_PROJECTIONS_ERASURE_PURGE_H_
#define CARELEDGER_PROJECTIONS_ERASURE_PURGE_H_

#include <string_view>

#include "absl/status/status.h"
#include "projections/projection_store.h"

namespace careledger::projections {

// Adds the marker for `nhs_number` to `batch` (with the PatientErased).
void MarkErasure(std::string_view nhs_number, StoreBatch* batch);

// Purges every marked patient, then deletes their markers. Errors come from
// the store (nothing is lost: the markers stay and the purge runs again).
absl::Status PurgeErasedContent(ProjectionStore* store);

}  // namespace careledger::projections

#endif  // CARELEDGER_PROJECTIONS_ERASURE_PURGE_H_
