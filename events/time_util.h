// Conversions between absl::Time and google.protobuf.Timestamp.
#ifndef CARELEDGER_EVENTS_TIME_UTIL_H_
#define CARELEDGER_EVENTS_TIME_UTIL_H_

#include <google/protobuf/timestamp.pb.h>

#include "absl/time/time.h"

namespace careledger::events {

google::protobuf::Timestamp ToTimestamp(absl::Time time);
absl::Time FromTimestamp(const google::protobuf::Timestamp& timestamp);

}  // namespace careledger::events

#endif  // CARELEDGER_EVENTS_TIME_UTIL_H_
