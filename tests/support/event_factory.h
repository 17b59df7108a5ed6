// Builds correctly chained, signed events for tests, and lets a test tamper
// with them afterwards.
#ifndef CARELEDGER_TESTS_SUPPORT_EVENT_FACTORY_H_
#define CARELEDGER_TESTS_SUPPORT_EVENT_FACTORY_H_

#include <map>
#include <string>

#include "absl/time/time.h"
#include "careledger/v1/envelope.pb.h"
#include "events/chain.h"
#include "events/ed25519.h"
#include "events/record.h"

namespace careledger::testing {

class EventFactory {
 public:
  EventFactory(std::string key_id, events::SigningKey key)
      : key_id_(std::move(key_id)), key_(std::move(key)) {}

  // The next event of `stream` (seq and prev_hash filled in) with a
  // PlanStarted body, recorded at `at`. Not yet sealed.
  careledger::v1::Event NextEvent(const std::string& stream, absl::Time at = absl::Now());

  // Seals `event` and advances the stream's head to it.
  std::string Seal(const careledger::v1::Event& event);

  // NextEvent + Seal, as a record of `partition` at `offset`.
  events::LogRecord NextRecord(const std::string& stream, std::int32_t partition,
                               std::int64_t offset, absl::Time at = absl::Now());

 private:
  std::string key_id_;
  events::SigningKey key_;
  std::map<std::string, events::StreamHead> heads_;
  int counter_ = 0;
};

}  // namespace careledger::testing

#endif  // CARELEDGER_TESTS_SUPPORT_EVENT_FACTORY_H_
