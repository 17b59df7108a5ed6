// Projection: one read model the projector keeps up to date (plans, versions
// and worklists; directory; per-patient history; the audit trail). The
// projector owns the mechanics (reading, verifying, offsets, atomic
// commits); a projection only turns verified events into changes.
//
// Per read batch the projector calls Apply for each verified event in log
// order (within a partition), then Flush once to add the changes to the
// batch it commits. Until Flush, changes live in the projection's own
// pending state, and Apply must read through it: a plan started and updated
// in the same batch is not in the store yet.
//
// Not thread-safe: one projector thread drives it.
#ifndef CARELEDGER_PROJECTIONS_PROJECTION_H_
#define CARELEDGER_PROJECTIONS_PROJECTION_H_

#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "events/envelope.h"
#include "projections/projection_store.h"

namespace careledger::projections {

// A record that passed verification, at its place in the log.
struct AppliedEvent {
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  const events::OpenedRecord* record = nullptr;  // valid during Apply only
  // The event was written sealed (events/sealed_body.h): record->event is
  // its opened whole, or, still carrying sealed_body, its erased content.
  bool sealed = false;
};

class Projection {
 public:
  virtual ~Projection() = default;

  // A short name for logs ("plans").
  virtual std::string_view name() const = 0;

  // Applies one verified event. Events this projection does not use are OK.
  // FAILED_PRECONDITION: the event contradicts the projected state (the
  // ledger should never have written it); the projector then discards all
  // pending changes, stops the partition at this record and re-applies the
  // batch without it. Any other error (a store read failed) ends the run.
  virtual absl::Status Apply(const AppliedEvent& event) = 0;

  // Adds every pending change to `batch` and forgets it.
  virtual void Flush(StoreBatch* batch) = 0;

  // Forgets every pending change.
  virtual void Discard() = 0;
};

}  // namespace careledger::projections

#endif  // CARELEDGER_PROJECTIONS_PROJECTION_H_
