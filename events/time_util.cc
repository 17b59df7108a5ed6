#include "events/time_util.h"

namespace careledger::events {

google::protobuf::Timestamp ToTimestamp(absl::Time time) {
  const int64_t nanos = absl::ToUnixNanos(time);
  google::protobuf::Timestamp timestamp;
  int64_t seconds = nanos / 1'000'000'000;
  int64_t remainder = nanos % 1'000'000'000;
  if (remainder < 0) {  // Timestamp's nanos are always non-negative
    remainder += 1'000'000'000;
    --seconds;
  }
  timestamp.set_seconds(seconds);
  timestamp.set_nanos(static_cast<int32_t>(remainder));
  return timestamp;
}

absl::Time FromTimestamp(const google::protobuf::Timestamp& timestamp) {
  return absl::FromUnixSeconds(timestamp.seconds()) + absl::Nanoseconds(timestamp.nanos());
}

}  // namespace careledger::events
