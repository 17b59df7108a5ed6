// An in-memory ledger::Log (ledger/log.h) for tests that need many small,
// independent ledgers quickly (the domain tests build a fresh ledger per
// case). Same contract as the real backends:
//
//  - Append is atomic: readers see all of a batch's records or none; offsets
//    are contiguous per partition, starting at 0.
//  - Opening a writer for a writer id fences the earlier writer with that id:
//    its later appends fail with ABORTED "fenced" and write nothing.
//  - Readers follow Kafka's partition-EOF semantics: the end is reported at
//    once (caught_up, possibly with no records); a reader that already
//    reported it waits up to `wait` for new records, then returns an empty
//    batch.
//
// Nothing is durable: the records live as long as the MemoryLog. Thread-safe.
#ifndef CARELEDGER_TESTS_SUPPORT_MEMORY_LOG_H_
#define CARELEDGER_TESTS_SUPPORT_MEMORY_LOG_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "events/record.h"
#include "ledger/log.h"

namespace careledger::testing {

class MemoryLog final : public ledger::Log {
 public:
  explicit MemoryLog(std::int32_t partitions = 4);

  // A new log holding a copy of this one's records (no writer is open on
  // it): build a ledger once, then give each test case its own copy.
  std::unique_ptr<MemoryLog> Clone() const;

  // Every record, partition by partition, each in offset order.
  std::vector<events::LogRecord> Records() const;
  // How many records the log holds, over all partitions.
  std::size_t size() const;
  // How many Append calls wrote records (failed ones excluded).
  int appends() const;

  std::int32_t partition_count() const override;
  std::string Describe() const override { return "memory"; }
  absl::StatusOr<std::unique_ptr<ledger::LogWriter>> OpenWriter(
      std::string_view writer_id) override;
  absl::StatusOr<std::unique_ptr<ledger::LogReader>> OpenReader() override;

  // The records and writer epochs, shared by the log, its writers and its
  // readers (which may outlive it). Defined in memory_log.cc.
  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace careledger::testing

#endif  // CARELEDGER_TESTS_SUPPORT_MEMORY_LOG_H_
