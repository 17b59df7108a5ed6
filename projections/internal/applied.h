// Helpers every projection uses on an AppliedEvent: its position in the log,
// and the FAILED_PRECONDITION that stops its partition.
#ifndef CARELEDGER_PROJECTIONS_INTERNAL_APPLIED_H_
#define CARELEDGER_PROJECTIONS_INTERNAL_APPLIED_H_

#include <string_view>

#include "absl/status/status.h"
#include "careledger/v1/projection.pb.h"
#include "projections/projection.h"

namespace careledger::projections::internal {

// Where `applied` is: partition, offset, stream_seq, value hash, event id,
// recorded_at.
careledger::v1::EventPosition PositionOf(const AppliedEvent& applied);

// FAILED_PRECONDITION "<stream> seq <n>: <what>": the event contradicts the
// projected state.
absl::Status Inconsistent(const AppliedEvent& applied, std::string_view what);

}  // namespace careledger::projections::internal

#endif  // CARELEDGER_PROJECTIONS_INTERNAL_APPLIED_H_
