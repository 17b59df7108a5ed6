// Reading single records of a log by position, for the audit: the record
// that proves an audit entry, and the plan stream records a reader's content
// is rebuilt from. The Log has no point read, so each lookup seeks the
// record's partition to its offset (and every other partition to where the
// caller says it ends) and reads until the record comes.
#ifndef CARELEDGER_ACCESS_LOG_LOOKUP_H_
#define CARELEDGER_ACCESS_LOG_LOOKUP_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "events/record.h"
#include "events/sealed_body.h"
#include "ledger/log.h"

namespace careledger::access {

class LogLookup {
 public:
  // `ends`: per partition, an offset at or near its end (the projection's
  // next offsets), where the other partitions are parked during a lookup so
  // that little else is read. Empty: the start of every partition.
  static absl::StatusOr<LogLookup> Open(ledger::Log* log, std::vector<std::int64_t> ends);

  // The record at (partition, offset). NOT_FOUND when the log has none there.
  absl::StatusOr<events::LogRecord> Read(std::int32_t partition, std::int64_t offset);

  // Moves where the other partitions are parked (as `ends` in Open), for a
  // long-lived lookup on a growing log (the service's receipts).
  void Park(std::vector<std::int64_t> ends) {
    ends.resize(ends_.size(), 0);
    ends_ = std::move(ends);
  }

  // The data keys ReadVerified opens sealed plan events with
  // (events/sealed_body.h); not owned. nullptr: a sealed event is an error.
  void set_data_keys(const events::DataKeys* keys) { data_keys_ = keys; }
  const events::DataKeys* data_keys() const { return data_keys_; }

 private:
  LogLookup(std::unique_ptr<ledger::LogReader> reader, std::vector<std::int64_t> ends)
      : reader_(std::move(reader)), ends_(std::move(ends)) {}

  std::unique_ptr<ledger::LogReader> reader_;
  std::vector<std::int64_t> ends_;
  const events::DataKeys* data_keys_ = nullptr;
};

}  // namespace careledger::access

#endif  // CARELEDGER_ACCESS_LOG_LOOKUP_H_
