#include "projections/history_projection.h"

#include <optional>

#include "careledger/v1/projection.pb.h"
#include "events/envelope.h"
#include "events/sealed_body.h"
#include "projections/internal/applied.h"
#include "projections/internal/keys.h"
#include "projections/plan_projection.h"

namespace careledger::projections {

absl::Status HistoryProjection::Apply(const AppliedEvent& event) {
  const careledger::v1::Event& body = event.record->event;
  std::optional<std::string_view> patient = NhsNumberOfStream(body.stream_id());
  if (patient) Add(event, std::string(*patient));
  if (body.has_access_recorded() && !body.access_recorded().nhs_number().empty() &&
      body.access_recorded().nhs_number() != patient) {
    Add(event, body.access_recorded().nhs_number());
  }
  return absl::OkStatus();
}

void HistoryProjection::Add(const AppliedEvent& event, const std::string& nhs_number) {
  const careledger::v1::Event& body = event.record->event;
  careledger::v1::HistoryEntry entry;
  entry.set_nhs_number(nhs_number);
  *entry.mutable_position() = internal::PositionOf(event);
  entry.set_stream_id(body.stream_id());
  *entry.mutable_event() = body;
  entry.set_sealed(event.sealed);
  // Content whose key was destroyed is kept in its erased form: the
  // ciphertext can never be opened again (the log keeps it, signed).
  if (body.has_sealed_body()) events::EraseSealedContent(entry.mutable_event());
  pending_[internal::HistoryKey(nhs_number, body.recorded_at(), event.partition, event.offset)] =
      events::SerializeDeterministic(entry);
}

void HistoryProjection::Flush(StoreBatch* batch) {
  for (const auto& [key, value] : pending_) batch->Put(StoreFamily::kHistory, key, value);
  pending_.clear();
}

}  // namespace careledger::projections
