#include "tests/support/event_factory.h"

#include <cstdlib>

#include "events/envelope.h"
#include "events/time_util.h"

namespace careledger::testing {

careledger::v1::Event EventFactory::NextEvent(const std::string& stream, absl::Time at) {
  const events::StreamHead& head = heads_[stream];
  careledger::v1::Event event;
  event.set_event_id("event-" + std::to_string(++counter_));
  event.set_stream_id(stream);
  event.set_stream_seq(head.seq + 1);
  event.set_prev_hash(events::HashBytes(head.hash));
  *event.mutable_recorded_at() = events::ToTimestamp(at);
  event.mutable_actor()->set_user_id("test-user");
  event.mutable_actor()->set_role(careledger::v1::ROLE_CLINICIAN);
  event.set_command_id("command-" + std::to_string(counter_));
  event.mutable_plan_started()->set_nhs_number("9990000018");
  return event;
}

std::string EventFactory::Seal(const careledger::v1::Event& event) {
  absl::StatusOr<std::string> value = events::SealEvent(event, key_id_, key_);
  if (!value.ok()) std::abort();
  heads_[event.stream_id()] = events::StreamHead{event.stream_seq(), events::Sha256(*value)};
  return *value;
}

events::LogRecord EventFactory::NextRecord(const std::string& stream, std::int32_t partition,
                                           std::int64_t offset, absl::Time at) {
  return events::LogRecord{partition, offset, stream, Seal(NextEvent(stream, at))};
}

}  // namespace careledger::testing
