// Fuzzes the plan fold (events/plan_fold.h) on arbitrary sequences of events:
// the meaning the ledger and the projections both give a patient's stream.
//
// Proves, for any sequence of Event bytes: FoldPlanEvent never crashes; a
// refused event leaves the PlanState exactly as it was; and after every
// event the state keeps its invariants: one version hash per published
// version, the last of them the content hash of the published plan unless
// the content was erased, and
// FindOpenRequest finds only requests that are open.
//
// Input: pieces (tests/fuzz/fuzz_input.h), each a serialized
// careledger.v1.Event (not the envelope: the fold reads decoded events).
#include <cstdint>

#include "careledger/v1/plan_state.pb.h"
#include "events/envelope.h"
#include "events/plan_fold.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/fuzz/quiet_protobuf.h"

namespace careledger::fuzz {
namespace {

void CheckInvariants(const careledger::v1::PlanState& state) {
  CARELEDGER_FUZZ_CHECK(static_cast<std::uint64_t>(state.version_hashes_size()) ==
                        state.published_version());
  // Erased content (a sealed event whose key was destroyed, or the patient's
  // erasure) cannot be hashed again: the fold takes an approval's hash as
  // signed then (events/plan_fold.cc, ApplyApproved), so only a plan whose
  // content is whole has its last version hash recomputable.
  if (state.published_version() > 0 && !state.content_erased()) {
    CARELEDGER_FUZZ_CHECK(state.version_hashes(state.version_hashes_size() - 1) ==
                          events::HashBytes(events::PlanContentHash(state.published())));
  }
  for (const careledger::v1::PatientRequest& request : state.requests()) {
    const careledger::v1::PatientRequest* open =
        events::FindOpenRequest(state, request.request_id());
    if (open != nullptr) CARELEDGER_FUZZ_CHECK(open->request_id() == request.request_id());
  }
  (void)events::IsOpen(state);
}

}  // namespace
}  // namespace careledger::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  careledger::fuzz::QuietProtobufLogs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using careledger::events::SerializeDeterministic;
  careledger::fuzz::FuzzInput input(data, size);
  careledger::v1::PlanState state;
  while (!input.empty()) {
    careledger::v1::Event event;
    const std::string_view bytes = input.Piece();
    if (!event.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) continue;
    const std::string before = SerializeDeterministic(state);
    if (!careledger::events::FoldPlanEvent(event, &state).ok()) {
      CARELEDGER_FUZZ_CHECK(SerializeDeterministic(state) == before);
    }
    careledger::fuzz::CheckInvariants(state);
  }
  return 0;
}
