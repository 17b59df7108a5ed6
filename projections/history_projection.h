// HistoryProjection: per patient, every event about them (family `history`):
// each event of their plan stream "patient/<NHS number>", whatever its body,
// and each AccessRecorded, on any stream, whose nhs_number names them.
//
// An entry holds the whole event (who, from where, why, when; for an access
// record, the outcome and the version, stream_seq and content hash shown)
// and its position in the log. Entries are keyed by (NHS number,
// recorded_at, partition, offset), all fixed by the record itself, so a
// patient's history reads in recorded order, ties broken by log position,
// and a rebuild writes the same keys whatever order the partitions are
// applied in. An event about one patient on their own stream that also names
// them as an access record is one entry.
//
// Never refuses an event.
#ifndef CARELEDGER_PROJECTIONS_HISTORY_PROJECTION_H_
#define CARELEDGER_PROJECTIONS_HISTORY_PROJECTION_H_

#include <map>
#include <string>
#include <string_view>

#include "projections/projection.h"
#include "projections/projection_store.h"

namespace careledger::projections {

class HistoryProjection final : public Projection {
 public:
  std::string_view name() const override { return "history"; }
  absl::Status Apply(const AppliedEvent& event) override;
  void Flush(StoreBatch* batch) override;
  void Discard() override { pending_.clear(); }

 private:
  void Add(const AppliedEvent& event, const std::string& nhs_number);

  std::map<std::string, std::string> pending_;  // key -> HistoryEntry bytes
};

}  // namespace careledger::projections

#endif  // CARELEDGER_PROJECTIONS_HISTORY_PROJECTION_H_
