// The writer: decides commands against the ledger's own state, turns accepted
// ones into signed, chained events and appends them to the Log, group-committed.
//
// Start-up: Open() reads every partition of the log to its end, checking each
// record's envelope, chain, genesis and checkpoints (signatures are the
// projector's and `careledger verify`'s job), to recover stream heads, plan
// state, partition digests and the ids of recent commands. A log that does not
// verify, or that contradicts a witness (WriterOptions::witnesses), refuses to
// open, naming the first bad record or the witness.
//
// With WriterOptions::snapshot_dir and open_from_snapshot, Open() first tries
// the newest writer snapshot there (docs/snapshots.md): the state as of a
// signed checkpoint on every partition, checked against the checkpoint
// records the log holds, and then reads only the log after them, with the
// same checks. A snapshot that is missing, corrupt, of another log or does
// not match the log is logged (a warning naming the file and why) and the
// whole log is read instead; a log that ends before a snapshot's checkpoint
// is refused (DATA_LOSS). The log before the snapshot is not re-read: damage
// there is `careledger verify`'s to find.
//
// Idempotency: a command whose id was already applied is answered with the
// original outcome (OUTCOME_DUPLICATE, same stream position) and appends
// nothing, across restarts.
//
// Thread safety: Submit, SubmitAll and Checkpoint may be called from any
// number of threads; concurrent commands are decided in arrival order and
// committed together in one Append (one Kafka transaction / one fsync).
#ifndef CARELEDGER_LEDGER_WRITER_H_
#define CARELEDGER_LEDGER_WRITER_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "careledger/v1/commands.pb.h"
#include "events/ed25519.h"
#include "events/keyring.h"
#include "events/own_signatures.h"
#include "events/partition_digest.h"
#include "ledger/clock.h"
#include "ledger/data_keys.h"
#include "ledger/key_store.h"
#include "ledger/log.h"
#include "ledger/witness.h"

namespace careledger::ledger {

struct WriterOptions {
  // Stable across restarts: names the Kafka transactional.id's shard.
  std::string writer_id = "0";
  // The key that signs, fixed (key_id and signing_key), or looked up for each
  // batch at the batch's recorded time (key_at; e.g. KeyDirectory::KeyAt),
  // which lets keys rotate under a running writer. One of the two is required;
  // key_at wins when both are set. When key_at fails, the batch is answered
  // with its error and nothing is appended.
  std::string key_id;
  std::optional<events::SigningKey> signing_key;
  std::function<absl::StatusOr<ActiveKey>(absl::Time at)> key_at;
  const Clock* clock = nullptr;  // nullptr = the system clock
  int sign_threads = 0;          // 0 = all hardware threads
  std::size_t max_batch = 1024;  // commands per Append
  // A signed checkpoint is appended to a partition after this many records
  // since its last one; 0 = only when Checkpoint() is called.
  std::uint64_t checkpoint_every = 10'000;
  // ...and once this much time (real, not the event clock) has passed since
  // its last one while records wait unwitnessed, busy or idle, so the tail
  // no checkpoint covers stays small; 0 = count only.
  std::chrono::milliseconds checkpoint_interval{5'000};
  // What other places know of the log (ledger/witness.h): the projection's
  // progress, the writer's head file, kept checkpoints. Recovery refuses a log
  // that ends before any of them or hashes differently up to one: a writer
  // never extends a log that lost acknowledged records.
  std::vector<Witness> witnesses;
  // Called on the commit thread after every durable append (commands and
  // checkpoints; after the append's commands were answered) with every
  // partition's digest, so the caller can keep a head witness outside the
  // log (ledger/head_witness.h). Must be quick.
  std::function<void(std::span<const events::PartitionDigest>)> on_durable;
  // The public keyring, to check records other appenders put on the log
  // (read replicas' access records, docs/replicas.md; ledger/foreign_record.h),
  // read again each time the writer meets such records. Unset: any record
  // the writer did not append stops it (DATA_LOSS).
  std::function<absl::StatusOr<events::Keyring>()> keyring;
  // How many command ids are remembered for de-duplication (oldest forgotten).
  std::size_t remembered_commands = 1'000'000;
  // Where writer snapshots of this log live, outside the log's own directory
  // (docs/snapshots.md); "" = none: Open reads the whole log and Snapshot()
  // is refused. Files are "<snapshot_dir>/<snapshot_name>-<records>.pb".
  std::string snapshot_dir;
  std::string snapshot_name = "writer";
  // Whether Open starts from a snapshot in snapshot_dir. A snapshot start-up
  // does not re-read the log before the snapshot's checkpoints, so damage
  // there is found by `careledger verify`, not by Open; false reads and
  // checks the whole log (and Snapshot() still writes).
  bool open_from_snapshot = true;
  // Patients' data keys (ledger/data_keys.h), shared with the readers of the
  // same process (the service's projector). Given: plan events on patient streams are written
  // sealed (envelope version 2, events/sealed_body.h) and recovery opens them; nullptr: everything
  // is written in clear (version 1), and recovery refuses a log that holds sealed events.
  std::shared_ptr<DataKeyStore> data_keys;
  // Where the writer notes every record it signs (events/own_signatures.h),
  // shared with the readers of the same process (the service's projector),
  // which then need not verify those signatures again; nullptr: not noted.
  std::shared_ptr<events::OwnSignatures> own_signatures;
};

// What start-up recovery found.
struct RecoveryReport {
  std::uint64_t records = 0;  // records in the recovered state: the whole log
  std::uint64_t streams = 0;
  double seconds = 0;
  // Whether the state came from a snapshot (then only records_read records,
  // those after its checkpoints, were read from the log).
  bool from_snapshot = false;
  std::string snapshot_path;      // the snapshot used, or else the newest one found
  std::string snapshot_rejected;  // why no snapshot was used ("" when one was, or none exists)
  std::uint64_t records_read = 0;
};

// What the writer made durable since Open, for monitoring (the service's
// /metrics); a copy, read with Writer::commit_stats() from any thread.
struct CommitStats {
  // Upper bounds of the buckets of commands per append.
  static constexpr std::array<std::uint64_t, 11> kBounds = {1,  2,   4,   8,   16,  32,
                                                            64, 128, 256, 512, 1024};
  // Group commits: appends that carried commands' records (checkpoint-only
  // appends are not counted), and how many of them carried at most
  // kBounds[i] commands (cumulative).
  std::uint64_t appends = 0;
  std::array<std::uint64_t, kBounds.size()> appends_at_most{};
  std::uint64_t commands = 0;  // commands whose records those appends carried
  std::uint64_t records = 0;   // records in those appends
  // Each partition's offset after the writer's last durable record (its
  // checkpoints too): where the log ends, as far as this writer knows.
  std::vector<std::int64_t> next_offsets;
};

// What Writer::Snapshot() wrote.
struct SnapshotTaken {
  std::string path;  // the snapshot file
  // Each partition's digest up to and including its new checkpoint (what
  // `careledger checkpoint` tells its caller to keep).
  std::vector<events::PartitionDigest> digests;
};

class Writer {
 public:
  // Opens the log's writer for options.writer_id (fencing any earlier one) and
  // recovers state. DATA_LOSS naming partition, offset and stream when the log
  // does not verify; the log's own errors otherwise.
  static absl::StatusOr<std::unique_ptr<Writer>> Open(Log* log, WriterOptions options);
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Decides and, if accepted, durably appends the command's events. Returns
  // its outcome: APPLIED, DUPLICATE or REJECTED (with the reason; nothing was
  // appended). A non-OK status means the ledger could not append: UNAVAILABLE
  // (retry the same command id: it will not be applied twice) or ABORTED
  // when this writer was fenced by another writer with its id (permanent).
  absl::StatusOr<careledger::v1::CommandResult> Submit(const careledger::v1::Command& command);

  // Submits many commands, in order, and waits for all of them.
  std::vector<absl::StatusOr<careledger::v1::CommandResult>> SubmitAll(
      std::span<const careledger::v1::Command> commands);

  // Appends a signed checkpoint to every partition, covering everything
  // appended so far.
  absl::Status Checkpoint();

  // Appends a signed checkpoint to every partition, as Checkpoint(), and
  // writes the writer's state as of those checkpoints to a new snapshot file
  // in options.snapshot_dir (fsynced, renamed into place; the newest two are
  // kept). Returns the file's path and the digests. FAILED_PRECONDITION without a
  // snapshot_dir; the checkpoint's errors; INTERNAL when the file cannot be
  // written (the checkpoint stands: it is an ordinary checkpoint).
  absl::StatusOr<SnapshotTaken> Snapshot();

  const RecoveryReport& recovery() const;

  // Counters of what was made durable since Open (see CommitStats).
  CommitStats commit_stats() const;

 private:
  class Impl;
  explicit Writer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace careledger::ledger

#endif  // CARELEDGER_LEDGER_WRITER_H_
