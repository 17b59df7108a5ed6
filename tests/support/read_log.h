// Reading a whole Log in tests: every committed record from `from` (default:
// the start of every partition) until the reader reports it caught up, in
// small batches so the batching paths are exercised too.
#ifndef CARELEDGER_TESTS_SUPPORT_READ_LOG_H_
#define CARELEDGER_TESTS_SUPPORT_READ_LOG_H_

#include <gmock/gmock.h>

#include <chrono>
#include <cstdint>
#include <vector>

#include "events/record.h"
#include "ledger/log.h"
#include "tests/support/test_support.h"

namespace careledger::testing {

inline std::vector<events::LogRecord> ReadAll(ledger::Log& log,
                                              std::vector<std::int64_t> from = {}) {
  auto reader = log.OpenReader();
  EXPECT_THAT(reader, IsOk());
  if (!reader.ok()) return {};
  if (from.empty()) from.assign(log.partition_count(), 0);
  EXPECT_THAT((*reader)->Seek(from), IsOk());
  std::vector<events::LogRecord> records;
  for (;;) {
    auto batch = (*reader)->Read(3, std::chrono::milliseconds(10));
    EXPECT_THAT(batch, IsOk());
    if (!batch.ok()) break;
    for (auto& record : batch->records) records.push_back(std::move(record));
    if (batch->caught_up) break;
  }
  return records;
}

}  // namespace careledger::testing

#endif  // CARELEDGER_TESTS_SUPPORT_READ_LOG_H_
