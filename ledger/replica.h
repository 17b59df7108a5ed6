// A read replica's recorder (docs/replicas.md): it holds no plan writer.
//
// It follows the log into its own copy of the state the writer decides
// from (plan states, directory, stream heads; ledger/internal/ledger_state.h),
// read from the log in offset order with the writer's recovery checks, and
// records reads only: each ViewPlan is decided exactly as the writer decides
// it (ledger/decide.h, DecideCommand) against the state as of the log's end
// when the read arrives, and its access record (granted, denied, no plan) is
// signed with the node's own key (NodeKeyId, ledger/foreign_record.h) and
// appended to the node's own stream `access/<node>` through the replica's
// own LogWriter (Kafka: a transactional, idempotent producer with acks=all).
// Submit answers only once that append is durable.
//
// On open it reads the whole log, so its stream's head is the log's. After
// an append whose outcome is unknown it reads the log again before the next
// one. Commands other than reads are refused without appending anything.
// Every refusal is recorded in full (the writer's refusal limiter is not
// applied), and command ids are not de-duplicated: a retried read is a new
// read, recorded again.
//
// Thread-safe: reads are recorded one at a time.
#ifndef CARELEDGER_LEDGER_REPLICA_H_
#define CARELEDGER_LEDGER_REPLICA_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "careledger/v1/commands.pb.h"
#include "events/ed25519.h"
#include "events/keyring.h"
#include "events/sealed_body.h"
#include "ledger/clock.h"
#include "ledger/log.h"

namespace careledger::ledger {

struct ReplicaOptions {
  std::string node;  // the replica's node id: it appends to access/<node>
  std::optional<events::SigningKey> signing_key;  // the private key of NodeKeyId(node)
  const Clock* clock = nullptr;                   // nullptr = the system clock
  // The public keyring, to check other nodes' records as the writer does.
  std::function<absl::StatusOr<events::Keyring>()> keyring;
  int threads = 1;
  // Opens sealed plan events, so that reads are decided on their content
  // (events/sealed_body.h); not owned. nullptr refuses a log that holds any.
  const events::DataKeys* data_keys = nullptr;
};

class Replica {
 public:
  // Opens the replica's LogWriter ("replica-<node>": fences an earlier
  // process of the same node) and reads the log. INVALID_ARGUMENT for a bad
  // node id; DATA_LOSS when the log does not verify; the log's errors.
  static absl::StatusOr<std::unique_ptr<Replica>> Open(Log* log, ReplicaOptions options);
  ~Replica();
  Replica(const Replica&) = delete;
  Replica& operator=(const Replica&) = delete;

  // Decides and durably records one read (a ViewPlan command). Returns the
  // answer the writer would give: APPLIED with the grant, or REJECTED with
  // the reason, at the position of its access record. FAILED_PRECONDITION
  // for any other command (nothing appended); UNAVAILABLE when the record
  // may not be durable (nothing may be shown); ABORTED when another process
  // of this node took over.
  absl::StatusOr<careledger::v1::CommandResult> Submit(const careledger::v1::Command& command);

  // Reads the log from where the state stands to its end.
  absl::Status CatchUp();

  // Where the state stands: per partition, the offset after the last
  // record read.
  std::vector<std::int64_t> next_offsets() const;
  const std::string& access_stream() const;

 private:
  class Impl;
  explicit Replica(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace careledger::ledger

#endif  // CARELEDGER_LEDGER_REPLICA_H_
