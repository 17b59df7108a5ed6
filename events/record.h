// A log record as every backend stores it (DESIGN §3): a key (the stream id)
// and a value (a serialized SignedEvent) at a position (partition, offset).
#ifndef CARELEDGER_EVENTS_RECORD_H_
#define CARELEDGER_EVENTS_RECORD_H_

#include <cstdint>
#include <string>

namespace careledger::events {

struct LogRecord {
  std::int32_t partition = 0;
  std::int64_t offset = 0;  // increasing within a partition; not always contiguous on Kafka
  std::string key;
  std::string value;
};

}  // namespace careledger::events

#endif  // CARELEDGER_EVENTS_RECORD_H_
