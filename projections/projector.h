// Projector: consumes every partition of the log, verifies each record and
// applies it to the projections (DESIGN §5).
//
// A run (one CatchUp or Follow call) seeks the reader to the next offsets in
// the store, then repeatedly reads a batch and, per partition:
//   1. verifies it with that partition's events::PartitionVerifier, resumed
//      from the stored digest and reading unseen stream heads from the store
//      (signatures checked in parallel; chain, gap, duplicate and checkpoint
//      checks in order);
//   2. applies the verified records in offset order to every projection;
// and commits the projection changes, each partition's new next offset,
// digest and stop, and the new head of every touched stream, in ONE store
// batch. A crash therefore leaves the store at a prefix of the log and the
// next run resumes exactly where the last commit ended.
//
// A record that fails verification, or verifies but contradicts the projected
// state, stops its partition: everything before it is applied, the stop is
// stored with the progress and logged as an alarm (spdlog error naming
// partition, offset, stream and reason), and nothing at or after it in that
// partition is applied or skipped. Other partitions go on. Every run starts
// again from the stored offsets, so a rerun stops at the same record until the
// cause is fixed (e.g. a missing key added to the keyring), and then goes on.
//
// The reader may keep returning records of a stopped partition; they are
// dropped, never counted as read.
//
// Not thread-safe: one thread calls CatchUp or Follow at a time. The store's
// queries may run on other threads meanwhile.
#ifndef CARELEDGER_PROJECTIONS_PROJECTOR_H_
#define CARELEDGER_PROJECTIONS_PROJECTOR_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stop_token>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "events/keyring.h"
#include "events/own_signatures.h"
#include "events/parallel.h"
#include "events/sealed_body.h"
#include "ledger/log.h"
#include "projections/progress.h"
#include "projections/projection.h"
#include "projections/projection_store.h"

namespace careledger::projections {

struct ProjectorOptions {
  // Threads that check signatures (per partition batch).
  int verify_threads = events::HardwareThreads();
  // Records read, verified and committed together.
  std::size_t batch_records = 2000;
  // How long CatchUp waits for records in one read.
  std::chrono::milliseconds read_wait{50};
  // Where a replay of the log as it was ends (`careledger project --until`,
  // docs/governance.md "Replay"). Per partition, the first offset NOT to
  // apply (empty: no end). And an instant: each partition ends before its
  // first verified record recorded after `until`, so a partition applies
  // the longest prefix of itself recorded at or before it, whatever the
  // other partitions hold. A partition that has ended is not stopped: no
  // stop is stored, and CatchUp returns once every partition has ended or
  // stopped, or the reader has caught up. Records of an ended partition
  // are dropped, never verified (those past an end offset) or applied.
  std::vector<std::int64_t> end_offsets;
  absl::Time until = absl::InfiniteFuture();
  // Opens sealed plan events (events/sealed_body.h) before they are applied;
  // not owned. One whose key was destroyed is applied as erased (its clear
  // facts, no content) and counted in records_erased. A sealed event that
  // cannot be opened otherwise (no store given, a key the store never held,
  // a body that does not open) stops its partition like a bad record.
  const events::DataKeys* data_keys = nullptr;
  // The records this process signed (not owned; may be nullptr): their
  // signatures are not checked again (events/own_signatures.h), everything
  // else about them is.
  const events::OwnSignatures* own_signatures = nullptr;
};

struct ProjectionReport {
  std::uint64_t records_applied = 0;
  // Of those, sealed events whose data key was destroyed (erased patients):
  // applied as erased, never skipped.
  std::uint64_t records_erased = 0;
  // Partitions that stopped in this run, in the order they stopped.
  std::vector<PartitionStop> stops;
  // The next offset of every partition at the end of the run.
  std::vector<std::int64_t> next_offsets;
  absl::Duration elapsed;
};

class Projector {
 public:
  // None of the pointers is owned; all must outlive the projector. The
  // reader must not be used by anyone else.
  Projector(ledger::LogReader* reader, ProjectionStore* store, const events::Keyring* keyring,
            ProjectorOptions options = {});
  ~Projector();
  Projector(const Projector&) = delete;
  Projector& operator=(const Projector&) = delete;

  // Applies records until the reader reports it has caught up with the log
  // (as of the last read) or every partition has stopped. Stops are not
  // errors: they are in the report (and in the store, progress.h). Errors:
  // FAILED_PRECONDITION when the store was built from a log with another
  // partition count; any error of the reader or the store, as returned by it
  // (UNAVAILABLE may succeed on retry). After an error the store holds every
  // batch committed before it; a new call resumes from there.
  absl::StatusOr<ProjectionReport> CatchUp();

  // What Follow reports after every read (a committed batch, or up to
  // `poll` of waiting): every partition's next offset, whether the reader
  // had caught up with the log, and the run's report so far.
  using FollowObserver = std::function<void(std::span<const std::int64_t> next_offsets,
                                            bool caught_up, const ProjectionReport& so_far)>;

  // Applies records as they arrive, waiting up to `poll` per read, until
  // `stop` is requested (then OK, after finishing the current batch). Seeks
  // once, at the start: a follower costs nothing while the log is quiet.
  // Errors as for CatchUp; they end the call.
  absl::Status Follow(std::stop_token stop, std::chrono::milliseconds poll,
                      const FollowObserver& observer = {});

 private:
  struct Run;

  // Prepares a run: checks the partition count, loads progress, builds the
  // verifiers and seeks the reader.
  absl::Status Start();
  // Reads, verifies, applies and commits one batch. Returns the reader's
  // caught_up flag.
  absl::StatusOr<bool> Step(std::chrono::milliseconds wait, ProjectionReport* report);
  bool AllStopped() const;

  ledger::LogReader* reader_;
  ProjectionStore* store_;
  const events::Keyring* keyring_;
  ProjectorOptions options_;
  std::vector<std::unique_ptr<Projection>> projections_;
  std::unique_ptr<Run> run_;
};

}  // namespace careledger::projections

#endif  // CARELEDGER_PROJECTIONS_PROJECTOR_H_
