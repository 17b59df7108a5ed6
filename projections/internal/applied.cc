#include "projections/internal/applied.h"

#include <fmt/format.h>

#include "events/sha256.h"

namespace careledger::projections::internal {

careledger::v1::EventPosition PositionOf(const AppliedEvent& applied) {
  const careledger::v1::Event& event = applied.record->event;
  careledger::v1::EventPosition position;
  position.set_partition(applied.partition);
  position.set_offset(applied.offset);
  position.set_stream_seq(event.stream_seq());
  position.set_value_hash(events::HashBytes(applied.record->value_hash));
  position.set_event_id(event.event_id());
  *position.mutable_recorded_at() = event.recorded_at();
  return position;
}

absl::Status Inconsistent(const AppliedEvent& applied, std::string_view what) {
  return absl::FailedPreconditionError(fmt::format("{} seq {}: {}",
                                                   applied.record->event.stream_id(),
                                                   applied.record->event.stream_seq(), what));
}

}  // namespace careledger::projections::internal
