// A LogWriter that alternates its appends between two writers of one log:
// on Kafka, two transactional producers of the same writer (KafkaLog's
// OpenWriter), so a transaction never starts on a transactional.id whose
// previous transaction the coordinator is still completing.
//
// Why: after a commit returns, the broker's coordinator still writes the
// transaction's markers. A producer that starts its next transaction before
// that is done gets CONCURRENT_TRANSACTIONS for its AddPartitionsToTxn, and
// librdkafka 2.0.2 retries it after a fixed 20 ms (rdkafka_txnmgr.c), which
// stalled every request of the moment: about 10 times in 25 s at 1,000 reads/s
// (librdkafka's debug=eos). Alternating gives each producer's coordinator
// state the other producer's whole transaction to settle in.
//
// Contract (ledger/log.h's LogWriter, unchanged for the caller): one Append
// is one transaction on one of the two. The next Append goes to the other
// after a commit; after UNAVAILABLE or INVALID_ARGUMENT (aborted, or refused
// before anything was produced) the same writer appends next, so it finishes
// an abort left pending before anything else is appended; and
// after any status that may leave a transaction's outcome open or the
// writer unusable (DEADLINE_EXCEEDED, ABORTED, FAILED_PRECONDITION, or any
// other) every later Append goes to that writer, which refuses it: nothing
// is appended through the other while one's commit may still land. Appends
// are not concurrent (the ledger's writer makes one at a time).
#ifndef CARELEDGER_LEDGER_INTERNAL_ALTERNATING_WRITER_H_
#define CARELEDGER_LEDGER_INTERNAL_ALTERNATING_WRITER_H_

#include <array>
#include <memory>

#include "ledger/log.h"

namespace careledger::ledger::internal {

class AlternatingWriter final : public LogWriter {
 public:
  // Both must write the same log (the same partition count).
  AlternatingWriter(std::unique_ptr<LogWriter> first, std::unique_ptr<LogWriter> second);

  std::int32_t partition_count() const override { return writers_[0]->partition_count(); }
  absl::StatusOr<std::vector<LogPosition>> Append(std::span<const AppendRecord> records) override;

 private:
  std::array<std::unique_ptr<LogWriter>, 2> writers_;
  std::size_t next_ = 0;
  bool pinned_ = false;  // every later Append goes to writers_[next_]
};

}  // namespace careledger::ledger::internal

#endif  // CARELEDGER_LEDGER_INTERNAL_ALTERNATING_WRITER_H_
