#include "ledger/writer.h"

#include <fmt/format.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "events/envelope.h"
#include "events/format.h"
#include "events/ids.h"
#include "events/parallel.h"
#include "events/sealed_body.h"
#include "events/time_util.h"
#include "ledger/decide.h"
#include "ledger/foreign_record.h"
#include "ledger/internal/append_thread.h"
#include "ledger/internal/ledger_state.h"
#include "ledger/internal/recovery.h"
#include "ledger/internal/snapshot_files.h"
#include "ledger/internal/state_decision.h"
#include "ledger/internal/tail_follower.h"
#include "ledger/partitioner.h"
#include "ledger/refusal_limiter.h"

namespace careledger::ledger {

using careledger::v1::Command;
using careledger::v1::CommandResult;
using careledger::v1::Event;
using internal::LedgerState;
using internal::StreamState;

namespace {

// Where the answers of one Submit/SubmitAll/Checkpoint call go: one slot per
// request, and one wake-up for the caller when the last slot is filled.
class Answers {
 public:
  explicit Answers(std::size_t count)
      : results_(count, absl::UnknownError("not answered")), remaining_(count) {}

  // Fills slot `index`. Every slot is filled exactly once.
  void Set(std::size_t index, absl::StatusOr<CommandResult> result) {
    results_[index] = std::move(result);
    std::lock_guard<std::mutex> lock(mutex_);
    if (--remaining_ == 0) done_.notify_all();
  }

  // Blocks until every slot is filled, then hands them over.
  std::vector<absl::StatusOr<CommandResult>> Wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return remaining_ == 0; });
    return std::move(results_);
  }

 private:
  std::vector<absl::StatusOr<CommandResult>> results_;  // slot i written once, then read by Wait
  std::mutex mutex_;
  std::condition_variable done_;
  std::size_t remaining_;  // guarded by mutex_
};

// A command waiting for the commit thread, or a checkpoint request.
struct Pending {
  const Command* command = nullptr;  // nullptr: a checkpoint request
  Answers* answers = nullptr;        // owned by the waiting caller
  std::size_t slot = 0;
  // For a checkpoint request that also wants the state as of it (Snapshot):
  // filled on the commit thread before the reply; owned by the caller.
  absl::StatusOr<careledger::v1::WriterSnapshot>* snapshot = nullptr;

  void Reply(absl::StatusOr<CommandResult> result) { answers->Set(slot, std::move(result)); }
};

// One event of the batch being built, before and after sealing.
struct PlannedEvent {
  Event event;
  std::int32_t partition = 0;
  std::size_t pending_index = 0;  // which command caused it
  std::string value;              // the sealed record value
  events::Hash value_hash{};
  std::int64_t offset = -1;  // where it was appended
};

const SystemClock kSystemClock;

// One of the writer's own records, appended and not yet folded.
struct OwnRecord {
  std::int64_t offset = 0;
  events::Hash hash{};
};

// Own records pending in a partition past which the tail is folded even
// when no checkpoint is due, so the writer's memory stays bounded.
constexpr std::size_t kMaxPendingOwn = 4096;

// How long a refusal counted (not recorded) waits for its summary record, and
// how many may wait, before the summaries are appended and they are answered.
constexpr auto kHeldRefusalWait = std::chrono::seconds(1);
constexpr std::size_t kMaxHeldRefusals = 1000;

}  // namespace

class Writer::Impl {
 public:
  Impl(Log* log, WriterOptions options, std::unique_ptr<LogWriter> log_writer)
      : log_(log),
        options_(std::move(options)),
        log_writer_(std::move(log_writer)),
        partitions_(log_writer_->partition_count()),
        access_stream_(AccessStream(options_.writer_id)) {
    if (options_.clock == nullptr) options_.clock = &kSystemClock;
    if (options_.sign_threads <= 0) options_.sign_threads = events::HardwareThreads();
    if (options_.max_batch == 0) options_.max_batch = 1;
  }

  ~Impl() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (committer_.joinable()) committer_.join();
  }

  // Rebuilds state from the newest usable snapshot and the log after it, or
  // from the whole log. Called before the commit thread runs and, on that
  // thread, after an append whose outcome is unknown.
  absl::Status Recover() {
    const auto started = std::chrono::steady_clock::now();
    internal::RecoveryOptions recovery_options;
    recovery_options.remembered_commands = options_.remembered_commands;
    recovery_options.threads = options_.sign_threads;
    recovery_options.witnesses = options_.witnesses;
    recovery_options.data_keys = options_.data_keys.get();
    recovery_options.writer_access_stream = access_stream_;
    std::optional<events::Keyring> keyring;
    if (options_.keyring) {
      absl::StatusOr<events::Keyring> loaded = options_.keyring();
      if (!loaded.ok()) return loaded.status();
      keyring = *std::move(loaded);
      recovery_options.keyring = &*keyring;
    }
    RecoveryReport report;
    std::optional<internal::Recovered> recovered;
    if (!options_.snapshot_dir.empty() && options_.open_from_snapshot) {
      std::vector<std::string> rejected;
      for (const std::string& path :
           internal::ListSnapshotFiles(options_.snapshot_dir, options_.snapshot_name)) {
        if (report.snapshot_path.empty()) report.snapshot_path = path;
        absl::StatusOr<internal::SnapshotRecovery> attempt =
            internal::RecoverFromSnapshot(*log_, path, recovery_options);
        if (!attempt.ok()) return attempt.status();
        if (attempt->recovered) {
          recovered = std::move(attempt->recovered);
          report.from_snapshot = true;
          report.snapshot_path = path;
          break;
        }
        spdlog::warn("writer {}: snapshot {} not used, {}", options_.writer_id, path,
                     attempt->unusable);
        rejected.push_back(fmt::format("{}: {}", path, attempt->unusable));
      }
      if (!recovered && !rejected.empty()) {
        spdlog::warn("writer {}: no usable snapshot, reading the whole log", options_.writer_id);
      }
      for (const std::string& reason : rejected) {
        if (!report.snapshot_rejected.empty()) report.snapshot_rejected += "; ";
        report.snapshot_rejected += reason;
      }
    }
    if (!recovered) {
      absl::StatusOr<internal::Recovered> full = internal::RecoverFromLog(*log_, recovery_options);
      if (!full.ok()) return full.status();
      recovered = *std::move(full);
    }
    last_checkpoint_.assign(partitions_, std::chrono::steady_clock::now());
    pending_own_.assign(partitions_, {});  // recovery folded the whole log
    RetireFollower();                      // it followed from the old digests
    state_ = std::move(recovered->state);
    log_id_ = recovered->log_id;
    report.records = state_->record_count();
    report.streams = state_->stream_count();
    report.records_read = recovered->records_read;
    report.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    recovery_ = std::move(report);
    NoteDurableOffsets();
#ifdef __GLIBC__
    // Reading the log or a snapshot freed much more than the state keeps:
    // give it back to the system rather than hold it for the writer's life.
    malloc_trim(0);
#endif
    return absl::OkStatus();
  }

  void Start() {
    committer_ = std::thread([this] { CommitLoop(); });
  }

  // Queues `commands` (nullptr entries are checkpoint requests) and waits for
  // all their answers. With `snapshot`, the one checkpoint request also
  // fills it with the state as of its checkpoints.
  std::vector<absl::StatusOr<CommandResult>> SubmitAndWait(
      std::span<const Command* const> commands,
      absl::StatusOr<careledger::v1::WriterSnapshot>* snapshot = nullptr) {
    Answers answers(commands.size());
    if (commands.empty()) return answers.Wait();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (std::size_t i = 0; i < commands.size(); ++i) {
        queue_.push_back(Pending{commands[i], &answers, i, commands[i] ? nullptr : snapshot});
      }
    }
    wake_.notify_one();
    return answers.Wait();
  }

  const RecoveryReport& recovery() const { return recovery_; }
  const WriterOptions& options() const { return options_; }

  CommitStats commit_stats() const {
    std::lock_guard<std::mutex> lock(stats_mutex_);
    return stats_;
  }

 private:
  // A batch decided and sealed: its records wait for (or are in) their append.
  struct SealedBatch {
    std::vector<Pending> pending;
    // Answers known before the append (refusals, duplicates of confirmed
    // commands); the rest are answered when the append is confirmed.
    std::vector<std::optional<CommandResult>> answered;
    std::vector<PlannedEvent> planned;
    absl::flat_hash_map<std::string, std::size_t> first_in_batch;  // command id -> pending index
    // Pending indexes that repeat a command of the batch appended before this
    // one, whose outcome was not yet confirmed when this batch was decided.
    std::vector<std::size_t> repeats_of_previous;
    bool checkpoint_requested = false;
    std::vector<AppendRecord> records;
    // Pending indexes of refusals counted, not recorded: answered later, by
    // FlushHeldRefusals, never by Complete.
    std::vector<std::size_t> held;
  };

  // A refusal counted into the limiter, waiting for its count to be durable.
  struct HeldRefusal {
    Pending pending;
    CommandResult result;
  };

  struct InFlight {
    SealedBatch batch;
    std::future<absl::StatusOr<std::vector<LogPosition>>> positions;
  };

  // The commit pipeline: while batch N is being appended (fsync, Kafka commit)
  // batch N+1 is decided and sealed on top of N's sealed heads. N+1 is
  // appended only after N is confirmed; if N fails, the state is rebuilt from
  // the log and N+1's commands are decided again.
  void CommitLoop() {
    std::optional<InFlight> in_flight;
    for (;;) {
      std::vector<Pending> taken =
          Take(in_flight ? TakeWait::kForFullBatchOrAppend : TakeWait::kForRequest);
      if (taken.empty() && !in_flight) {
        if (Stopping()) {  // and nothing is left
          FlushHeldRefusals(/*all=*/true);
          return;
        }
        // Idle past the checkpoint interval: witness the tail now.
        if (failure_.ok()) (void)MaybeCheckpoint(/*forced=*/false);
        FlushHeldRefusals(/*all=*/false);
        continue;
      }
      if (!in_flight) FlushHeldRefusals(/*all=*/false);
      std::optional<SealedBatch> next;
      if (!taken.empty()) {
        // The batch's time first, the key valid at that time second (see
        // KeyDirectory): a rotation in between is seen, never outrun.
        const absl::Time now = options_.clock->Now();
        absl::StatusOr<ActiveKey> key = failure_.ok() ? SigningKeyAt(now) : failure_;
        if (!key.ok()) {
          for (Pending& pending : taken) pending.Reply(key.status());
        } else {
          next =
              DecideAndSeal(std::move(taken), in_flight ? &in_flight->batch : nullptr, now, *key);
        }
      }
      if (in_flight) {
        absl::StatusOr<std::vector<LogPosition>> positions = in_flight->positions.get();
        const bool state_kept = Complete(in_flight->batch, std::move(positions));
        if (next && state_kept) AnswerRepeats(in_flight->batch, *next);
        in_flight.reset();
        if (next && !state_kept) {
          // Decided on a state that was since rebuilt: decide them again
          // (held refusals were answered with the failure already).
          std::vector<Pending> again;
          for (std::size_t i = 0; i < next->pending.size(); ++i) {
            if (!IsHeld(*next, i)) again.push_back(std::move(next->pending[i]));
          }
          Requeue(std::move(again));
          continue;
        }
      }
      if (!next) continue;
      if (next->records.empty() || next->checkpoint_requested) {
        // Nothing worth overlapping, or a checkpoint must follow it: now.
        Complete(*next, next->records.empty()
                            ? absl::StatusOr<std::vector<LogPosition>>(std::vector<LogPosition>{})
                            : AppendBatch(next->records));
        continue;
      }
      in_flight.emplace();
      in_flight->batch = *std::move(next);
      const std::vector<AppendRecord>* records = &in_flight->batch.records;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        append_done_ = false;
      }
      in_flight->positions = appender_.Run([this, records] {
        absl::StatusOr<std::vector<LogPosition>> positions = AppendBatch(*records);
        {
          std::lock_guard<std::mutex> lock(mutex_);
          append_done_ = true;
        }
        wake_.notify_all();
        return positions;
      });
    }
  }

  // Appends a decided batch, once every data key its sealed records were
  // sealed under is durable (DataKeyStore::SyncNewKeys): a record on the log
  // whose key a crash lost could never be opened. A failed sync appends
  // nothing and fails the batch like a failed append.
  absl::StatusOr<std::vector<LogPosition>> AppendBatch(const std::vector<AppendRecord>& records) {
    if (options_.data_keys != nullptr) {
      if (absl::Status synced = options_.data_keys->SyncNewKeys(); !synced.ok()) {
        return absl::UnavailableError(
            fmt::format("the new data keys could not be synced, so nothing was appended: {}",
                        synced.message()));
      }
    }
    return log_writer_->Append(records);
  }

  // How Take waits before it takes what is queued.
  enum class TakeWait {
    // Idle: until a request arrives, the writer is stopping, or a timed
    // checkpoint falls due (then it returns none).
    kForRequest,
    // A batch in flight: until its append returns, or a full batch waits
    // (sealed while the append runs, so a busy writer never idles), or the
    // writer is stopping. Requests arriving during an append then ride in
    // the very next one: taken at once, most would wait for a batch of the
    // few that came before them, then for their own (about two and a half
    // appends, against one and a half).
    kForFullBatchOrAppend,
  };

  // Up to max_batch queued requests, once `wait` is over.
  std::vector<Pending> Take(TakeWait wait) {
    std::vector<Pending> taken;
    std::unique_lock<std::mutex> lock(mutex_);
    if (wait == TakeWait::kForFullBatchOrAppend) {
      wake_.wait(lock,
                 [&] { return stopping_ || append_done_ || queue_.size() >= options_.max_batch; });
    } else {
      const auto ready = [&] { return stopping_ || !queue_.empty(); };
      std::chrono::milliseconds timeout = options_.checkpoint_interval;
      if (!held_refusals_.empty() && (timeout.count() == 0 || timeout > kHeldRefusalWait)) {
        timeout = kHeldRefusalWait;
      }
      if (timeout.count() > 0) {
        wake_.wait_for(lock, timeout, ready);
      } else {
        wake_.wait(lock, ready);
      }
    }
    while (!queue_.empty() && taken.size() < options_.max_batch) {
      taken.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    return taken;
  }

  bool Stopping() {
    std::lock_guard<std::mutex> lock(mutex_);
    return stopping_ && queue_.empty();
  }

  // Tells the caller's head witness where the log now stands.
  // Each partition's next offset into stats_ (commit thread, or Recover).
  void NoteDurableOffsets() {
    std::lock_guard<std::mutex> lock(stats_mutex_);
    stats_.next_offsets.resize(partitions_);
    for (std::int32_t p = 0; p < partitions_; ++p) {
      // Past the last record folded, or this writer's last append after it.
      const std::int64_t last =
          pending_own_[p].empty() ? state_->digest(p).last_offset : pending_own_[p].back().offset;
      stats_.next_offsets[p] = last + 1;
    }
  }

  // One group commit of `batch` into stats_.
  void NoteGroupCommit(const SealedBatch& batch) {
    absl::flat_hash_set<std::size_t> commands;  // pending indexes with records here
    for (const PlannedEvent& event : batch.planned) commands.insert(event.pending_index);
    std::lock_guard<std::mutex> lock(stats_mutex_);
    ++stats_.appends;
    stats_.commands += commands.size();
    stats_.records += batch.planned.size();
    for (std::size_t i = 0; i < CommitStats::kBounds.size(); ++i) {
      if (commands.size() <= CommitStats::kBounds[i]) ++stats_.appends_at_most[i];
    }
  }

  // After a durable append: where the log ends (commit_stats) and the
  // head witness.
  void ReportDurable() {
    NoteDurableOffsets();
    WriteWitness();
  }

  // Hands every partition's digest to options_.on_durable (the head witness).
  void WriteWitness() {
    if (!options_.on_durable) return;
    std::vector<events::PartitionDigest> digests;
    digests.reserve(partitions_);
    for (std::int32_t p = 0; p < partitions_; ++p) digests.push_back(state_->digest(p));
    options_.on_durable(digests);
  }

  // Puts requests back at the front of the queue, in their order.
  void Requeue(std::vector<Pending> pending) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = pending.rbegin(); it != pending.rend(); ++it) queue_.push_front(std::move(*it));
  }

  // Decides every request of `taken` against the state (which includes the
  // in-flight batch `previous`, sealed but not yet confirmed), seals the
  // accepted commands' events and applies them to the state speculatively.
  SealedBatch DecideAndSeal(std::vector<Pending> taken, const SealedBatch* previous, absl::Time now,
                            const ActiveKey& key) {
    SealedBatch batch;
    batch.pending = std::move(taken);
    batch.answered.resize(batch.pending.size());

    for (std::size_t i = 0; i < batch.pending.size(); ++i) {
      const Command* command = batch.pending[i].command;
      if (command == nullptr) {
        batch.checkpoint_requested = true;
        continue;
      }
      if (!command->command_id().empty()) {
        if (batch.first_in_batch.contains(command->command_id())) continue;  // after the append
        if (std::optional<CommandResult> seen = state_->FindCommand(command->command_id())) {
          if (seen->offset() < 0 && previous != nullptr &&
              previous->first_in_batch.contains(command->command_id())) {
            batch.repeats_of_previous.push_back(i);  // answered when `previous` is confirmed
          } else {
            batch.answered[i] = Repeated(*seen);
          }
          continue;
        }
        batch.first_in_batch.emplace(command->command_id(), i);
      }
      std::optional<CommandResult> unrecorded;  // a refusal counted, not recorded
      for (auto& [stream, event] : Decide(*command, now, &unrecorded)) {
        event.set_event_id(events::RandomUuid());
        event.set_stream_id(stream);
        const StreamState* current = state_->Find(stream);
        event.set_stream_seq((current ? current->head.seq : 0) + 1);
        *event.mutable_recorded_at() = events::ToTimestamp(now);
        if (!event.has_actor()) {  // refusals and summaries come stamped by Decide
          *event.mutable_actor() = command->actor();
          event.set_command_id(command->command_id());
        }
        const std::int32_t partition = PartitionForKey(stream, partitions_);
        state_->ApplyDecided(partition, event);
        batch.planned.push_back(PlannedEvent{std::move(event), partition, i, {}, {}, -1});
      }
      if (unrecorded) {
        // Counted, not recorded: answered only once its count is on the log
        // (FlushHeldRefusals), so an answered refusal is never lost.
        if (held_refusals_.empty()) held_since_ = std::chrono::steady_clock::now();
        held_refusals_.push_back(HeldRefusal{batch.pending[i], *std::move(unrecorded)});
        batch.held.push_back(i);
        batch.first_in_batch.erase(command->command_id());
      }
    }
    Seal(batch.planned, key);
    batch.records.reserve(batch.planned.size());
    for (PlannedEvent& event : batch.planned) {
      state_->SetHeadHash(event.event.stream_id(), event.value_hash);
      batch.records.push_back(
          AppendRecord{event.partition, event.event.stream_id(), std::move(event.value)});
    }
    return batch;
  }

  // The events one command becomes, each with the stream it goes to: the
  // accepted command's events (and a read's access record), or the access
  // record of its refusal (actor and command id escaped, ledger/decide.h),
  // limited per user and device (ledger/refusal_limiter.h): a refusal over
  // the budget comes back empty, answered in `unrecorded`, and counted into
  // a later summary record.
  std::vector<std::pair<std::string, Event>> Decide(const Command& command, absl::Time now,
                                                    std::optional<CommandResult>* unrecorded) {
    std::vector<std::pair<std::string, Event>> out;
    internal::StateDecision decided = internal::DecideInState(*state_, command, now);
    absl::StatusOr<Decision>& decision = decided.decision;
    if (decision.ok()) {
      if (absl::Status keyed = EnsureDataKey(decided.stream, decision->events); !keyed.ok()) {
        decision = keyed;
      }
    }
    if (decision.ok()) {
      for (Event& event : decision->events) out.emplace_back(decided.stream, std::move(event));
      if (decision->access) {
        Event access;
        *access.mutable_access_recorded() = *std::move(decision->access);
        out.emplace_back(access_stream_, std::move(access));
      }
      return out;
    }
    Event refusal = internal::RefusalEvent(command, decision.status(), decided.restricted);
    RefusalLimiter::Verdict verdict = refusal_limiter_.Admit(refusal.actor(), now);
    if (verdict.summary) {
      Event summary = SummaryEvent(*verdict.summary);
      if (!verdict.record_in_full) summary.set_command_id(refusal.command_id());
      out.emplace_back(access_stream_, std::move(summary));
    }
    if (verdict.record_in_full) {
      out.emplace_back(access_stream_, std::move(refusal));
    } else if (!verdict.summary) {
      CommandResult result;
      result.set_command_id(refusal.command_id());
      result.set_outcome(careledger::v1::OUTCOME_REJECTED);
      result.set_stream_id(access_stream_);
      result.set_partition(-1);
      result.set_offset(-1);
      result.set_error(fmt::format(
          "{} (too many refusals: this one is counted into a summary record, not recorded alone)",
          refusal.access_recorded().reason()));
      *unrecorded = std::move(result);
    }
    return out;
  }

  static Event SummaryEvent(const RefusalSummary& summary) {
    Event event;
    *event.mutable_access_recorded() = SummaryRecord(summary);
    *event.mutable_actor() = summary.actor;
    return event;
  }

  // At stop: the refusals counted and not yet recorded, as summary records.
  static bool IsHeld(const SealedBatch& batch, std::size_t index) {
    return std::find(batch.held.begin(), batch.held.end(), index) != batch.held.end();
  }

  // Puts the counts of held refusals on the log and then answers them: all of
  // them (at stop), or when one has waited kHeldRefusalWait or many wait. A
  // flooding caller is so answered about once per kHeldRefusalWait, with one
  // summary record per user and device. Runs only when no batch is in flight.
  void FlushHeldRefusals(bool all) {
    if (held_refusals_.empty()) return;
    const auto steady_now = std::chrono::steady_clock::now();
    if (!all && held_refusals_.size() < kMaxHeldRefusals &&
        steady_now - *held_since_ < kHeldRefusalWait) {
      return;
    }
    const absl::Status recorded = RecordCountedRefusals();
    for (HeldRefusal& held : held_refusals_) {
      if (recorded.ok()) {
        held.pending.Reply(std::move(held.result));
      } else {
        held.pending.Reply(recorded);  // not acknowledged: the caller retries
      }
    }
    held_refusals_.clear();
    held_since_.reset();
  }

  void FailHeldRefusals(const absl::Status& error) {
    for (HeldRefusal& held : held_refusals_) held.pending.Reply(error);
    held_refusals_.clear();
    held_since_.reset();
    (void)refusal_limiter_.TakeAll();  // their counts go with them
  }

  // Appends one summary per user and device of the refusals counted and not
  // yet on the log. OK when there was nothing to append.
  absl::Status RecordCountedRefusals() {
    std::vector<RefusalSummary> summaries = refusal_limiter_.TakeAll();
    if (summaries.empty()) return absl::OkStatus();
    if (!failure_.ok()) return failure_;
    const absl::Time now = options_.clock->Now();
    const std::int32_t partition = PartitionForKey(access_stream_, partitions_);
    std::vector<PlannedEvent> planned;
    for (const RefusalSummary& summary : summaries) {
      Event event = SummaryEvent(summary);
      event.set_event_id(events::RandomUuid());
      event.set_stream_id(access_stream_);
      const StreamState* current = state_->Find(access_stream_);
      event.set_stream_seq((current ? current->head.seq : 0) + 1);
      *event.mutable_recorded_at() = events::ToTimestamp(now);
      state_->ApplyDecided(partition, event);
      planned.push_back(PlannedEvent{std::move(event), partition, 0, {}, {}, -1});
    }
    absl::StatusOr<ActiveKey> key = SigningKeyAt(now);
    if (!key.ok()) {
      spdlog::error("writer {} could not record {} refusal summaries: {}", options_.writer_id,
                    summaries.size(), key.status().ToString());
      return key.status();
    }
    Seal(planned, *key);
    std::vector<AppendRecord> records;
    for (const PlannedEvent& event : planned) {
      state_->SetHeadHash(event.event.stream_id(), event.value_hash);
      records.push_back(AppendRecord{event.partition, event.event.stream_id(), event.value});
    }
    absl::StatusOr<std::vector<LogPosition>> positions = log_writer_->Append(records);
    if (!positions.ok()) {
      spdlog::error("writer {} could not record {} refusal summaries: {}", options_.writer_id,
                    summaries.size(), positions.status().ToString());
      return HandleAppendFailure(positions.status());
    }
    for (std::size_t i = 0; i < planned.size(); ++i) {
      state_->ApplyPosition(planned[i].partition, (*positions)[i].offset, planned[i].event,
                            planned[i].value_hash);
      pending_own_[planned[i].partition].push_back(
          OwnRecord{(*positions)[i].offset, planned[i].value_hash});
    }
    ReportDurable();
    return absl::OkStatus();
  }

  // The answer to a command id seen before: the original outcome, marked
  // DUPLICATE when it was applied (a refusal stays REJECTED, with its reason).
  static CommandResult Repeated(const CommandResult& seen) {
    CommandResult result = seen;
    if (result.outcome() == careledger::v1::OUTCOME_APPLIED) {
      result.set_outcome(careledger::v1::OUTCOME_DUPLICATE);
    }
    return result;
  }

  // Fills in prev_hash and seals every planned event: streams in parallel,
  // each stream's events in order, chained on the state's current heads.
  // The key that signs events recorded at `now`.
  absl::StatusOr<ActiveKey> SigningKeyAt(absl::Time now) {
    if (options_.key_at) return options_.key_at(now);
    return ActiveKey{options_.key_id, *options_.signing_key};
  }

  // Makes the data key of a patient whose plan events are about to be sealed
  // (events/sealed_body.h) before they are, so a key store that fails
  // refuses the command rather than stopping the writer in Seal.
  absl::Status EnsureDataKey(const std::string& stream, const std::vector<Event>& decided) {
    if (options_.data_keys == nullptr) return absl::OkStatus();
    for (const Event& event : decided) {
      Event placed;
      placed.set_stream_id(stream);
      placed.MergeFrom(event);
      if (!events::IsSealable(placed)) continue;
      absl::StatusOr<events::AesKey> key = options_.data_keys->FindOrCreate(stream);
      if (!key.ok()) return key.status();
    }
    return absl::OkStatus();
  }

  // The record value of `event`: sealed (envelope version 2) when a data key
  // store is given and the event is a patient's plan event, then signed.
  absl::StatusOr<std::string> SealAndSign(const Event& event, const ActiveKey& key) {
    if (options_.data_keys == nullptr || !events::IsSealable(event)) {
      return events::SealEvent(event, key.key_id, key.key);
    }
    absl::StatusOr<events::AesKey> data_key = options_.data_keys->FindOrCreate(event.stream_id());
    if (!data_key.ok()) return data_key.status();
    Event sealed = event;
    if (absl::Status done = events::SealContent(*data_key, &sealed); !done.ok()) return done;
    return events::SealEvent(sealed, key.key_id, key.key);
  }

  void Seal(std::vector<PlannedEvent>& planned, const ActiveKey& key) {
    absl::flat_hash_map<std::string, std::size_t> group_of_stream;
    std::vector<std::vector<std::size_t>> groups;
    for (std::size_t i = 0; i < planned.size(); ++i) {
      auto [it, inserted] =
          group_of_stream.try_emplace(planned[i].event.stream_id(), groups.size());
      if (inserted) groups.emplace_back();
      groups[it->second].push_back(i);
    }
    events::ParallelFor(groups.size(), options_.sign_threads, [&](std::size_t g) {
      const StreamState* current = state_->Find(planned[groups[g].front()].event.stream_id());
      events::Hash previous = current ? current->head.hash : events::kZeroHash;
      for (std::size_t index : groups[g]) {
        PlannedEvent& event = planned[index];
        event.event.set_prev_hash(events::HashBytes(previous));
        absl::StatusOr<std::string> value = SealAndSign(event.event, key);
        // Signing fails only if OpenSSL cannot allocate (the data key was
        // made when the command was decided): nothing sensible remains.
        if (!value.ok()) {
          spdlog::critical("writer {} cannot seal an event: {}", options_.writer_id,
                           value.status().ToString());
          std::abort();
        }
        event.value = *std::move(value);
        event.value_hash = events::Sha256(event.value);
        if (options_.own_signatures) {
          options_.own_signatures->Remember(event.value_hash, key.key.public_key());
        }
        previous = event.value_hash;
      }
    });
  }

  // Finishes `batch` once its append returned: on success records the
  // positions, answers every request and appends due checkpoints; on failure
  // answers every request with the error. Returns false when the state was
  // rebuilt from the log (anything decided on the old state must be redone).
  bool Complete(SealedBatch& batch, absl::StatusOr<std::vector<LogPosition>> positions) {
    if (!positions.ok()) {
      const absl::Status error = HandleAppendFailure(positions.status());
      for (std::size_t i = 0; i < batch.pending.size(); ++i) {
        if (!IsHeld(batch, i)) batch.pending[i].Reply(error);
      }
      // Held refusals' counts may have ridden in the failed append: none of
      // them is acknowledged, the callers retry.
      FailHeldRefusals(error);
      return false;
    }
    for (std::size_t i = 0; i < batch.planned.size(); ++i) {
      PlannedEvent& event = batch.planned[i];
      event.offset = (*positions)[i].offset;
      state_->ApplyPosition(event.partition, event.offset, event.event, event.value_hash);
      pending_own_[event.partition].push_back(OwnRecord{event.offset, event.value_hash});
      // A command's last event decides its answer (the approval after a
      // defaulted review date; a read's access record).
      CommandResult result = internal::ResultOf(event.event, event.partition, event.offset);
      // The record's bytes went to the log in batch.records (moved there
      // when the batch was sealed); the answer carries them as appended.
      if (event.event.has_access_recorded()) result.set_record(batch.records[i].value);
      batch.answered[event.pending_index] = std::move(result);
    }
    for (std::size_t i = 0; i < batch.pending.size(); ++i) {
      const Command* command = batch.pending[i].command;
      if (command == nullptr || batch.answered[i] || IsHeld(batch, i)) continue;
      auto first = batch.first_in_batch.find(command->command_id());
      if (first == batch.first_in_batch.end()) continue;  // a repeat of the previous batch
      batch.answered[i] = Repeated(*batch.answered[first->second]);
    }
    if (!batch.planned.empty()) {
      NoteGroupCommit(batch);
      NoteDurableOffsets();
    }
    // The commands' records are durable: answer them before the head witness
    // and any due checkpoint (another append) are written, which need not
    // hold them up.
    for (std::size_t i = 0; i < batch.pending.size(); ++i) {
      if (batch.pending[i].command != nullptr && batch.answered[i]) {
        batch.pending[i].Reply(*batch.answered[i]);
      }
    }
    if (!batch.planned.empty()) WriteWitness();
    state_rebuilt_ = false;
    const absl::Status checkpointed = MaybeCheckpoint(batch.checkpoint_requested);
    for (std::size_t i = 0; i < batch.pending.size(); ++i) {
      if (batch.pending[i].command != nullptr) continue;
      if (batch.pending[i].snapshot != nullptr) {
        *batch.pending[i].snapshot =
            checkpointed.ok() ? SnapshotOfState()
                              : absl::StatusOr<careledger::v1::WriterSnapshot>(checkpointed);
      }
      batch.pending[i].Reply(checkpointed.ok() ? absl::StatusOr<CommandResult>(CommandResult())
                                               : checkpointed);
    }
    // A checkpoint that failed for want of a key changed nothing; one whose
    // append failed rebuilt the state or stopped the writer.
    return !state_rebuilt_ && failure_.ok();
  }

  // The state as a snapshot. Called right after forced checkpoints, with no
  // batch in flight, so every partition ends at its checkpoint.
  absl::StatusOr<careledger::v1::WriterSnapshot> SnapshotOfState() const {
    absl::StatusOr<careledger::v1::WriterSnapshot> snapshot = state_->ToSnapshot();
    if (!snapshot.ok()) return snapshot;
    snapshot->set_log_id(log_id_);
    snapshot->set_writer_id(options_.writer_id);
    *snapshot->mutable_taken_at() = events::ToTimestamp(options_.clock->Now());
    return snapshot;
  }

  // Records the answers of the requests of `next` that repeat a command of
  // `previous`, now that `previous` is confirmed. Every reply of a batch is
  // set exactly once, by Complete.
  void AnswerRepeats(const SealedBatch& previous, SealedBatch& next) {
    for (std::size_t i : next.repeats_of_previous) {
      const std::string& id = next.pending[i].command->command_id();
      next.answered[i] = Repeated(*previous.answered[previous.first_in_batch.at(id)]);
      // replied by Complete(next)
    }
    next.repeats_of_previous.clear();
  }

  // After a failed append (ledger/log.h): a fenced writer stops for good; a
  // log writer that can no longer append, or whose commit outcome is unknown,
  // is replaced (settling its transaction); then the log is re-read to learn
  // what was committed.
  absl::Status HandleAppendFailure(const absl::Status& status) {
    if (status.code() == absl::StatusCode::kAborted) {
      spdlog::error("writer {} stops: {}", options_.writer_id, status.ToString());
      failure_ = status;
      return status;
    }
    spdlog::warn("append failed ({}); re-reading the log to learn what was committed",
                 status.ToString());
    if (status.code() == absl::StatusCode::kFailedPrecondition ||
        status.code() == absl::StatusCode::kDeadlineExceeded) {
      log_writer_.reset();
      absl::StatusOr<std::unique_ptr<LogWriter>> reopened = log_->OpenWriter(options_.writer_id);
      if (!reopened.ok()) {
        spdlog::error("writer {} stops: reopening failed: {}", options_.writer_id,
                      reopened.status().ToString());
        failure_ = reopened.status();
        return failure_;
      }
      log_writer_ = *std::move(reopened);
    }
    state_rebuilt_ = true;
    if (absl::Status recovered = Recover(); !recovered.ok()) {
      failure_ = absl::UnavailableError(
          fmt::format("writer could not recover after a failed append: {}", recovered.message()));
      return failure_;
    }
    return absl::UnavailableError(
        fmt::format("append failed, nothing was acknowledged; retry with the same command id: {}",
                    status.message()));
  }

  // Folds into the partition digests, in offset order, what the log holds
  // after them: this writer's own appends (pending_own_) and other
  // appenders' records (docs/replicas.md), which are checked
  // (ledger/foreign_record.h, the chain) and applied. Own records that
  // directly follow the folded digest are folded without a read (a run of
  // consecutive offsets leaves no room for another record: the embedded
  // log). A gap (Kafka's transaction markers, or another appender), or
  // `read_anyway`, folds what the tail follower has read so far: it follows
  // the log on its own thread, so this never waits for the log, except that
  // `wait_for_own` (an explicit checkpoint) waits up to 2 s for the follower
  // to reach the end of the log as it is now and for the writer's own
  // records. DATA_LOSS naming partition and offset when the log holds what
  // the writer cannot accept.
  absl::Status FoldTail(bool read_anyway, bool wait_for_own) {
    bool gaps = false;
    bool folded_unread = false;
    for (std::int32_t p = 0; p < partitions_; ++p) {
      std::deque<OwnRecord>& pending = pending_own_[p];
      while (!pending.empty() && pending.front().offset == state_->digest(p).last_offset + 1) {
        state_->FoldDigest(p, pending.front().offset, pending.front().hash);
        pending.pop_front();
        folded_unread = true;
      }
      gaps = gaps || !pending.empty();
    }
    if (gaps) shared_log_ = true;
    // A follower is behind records folded without a read: it would hand
    // them over again. A new one starts after them when needed.
    if (folded_unread) RetireFollower();
    if (!gaps && !read_anyway) {
      // Nothing to learn from the log (the embedded log): no reading behind.
      if (!shared_log_) RetireFollower();
      return absl::OkStatus();
    }
    const auto now = std::chrono::steady_clock::now();
    last_tail_read_ = now;
    if (!tail_follower_) {
      std::vector<std::int64_t> next(partitions_);
      for (std::int32_t p = 0; p < partitions_; ++p) next[p] = state_->digest(p).last_offset + 1;
      tail_follower_ = internal::TailFollower::Start(*log_, std::move(next));
    }
    const auto deadline = now + (wait_for_own ? std::chrono::seconds(2) : std::chrono::seconds(0));
    std::optional<events::Keyring> keyring;  // loaded at the first foreign record
    for (;;) {
      std::vector<events::LogRecord> records;
      absl::Status followed = tail_follower_->Take(records);
      for (const events::LogRecord& record : records) {
        if (absl::Status folded = FoldRecord(record, keyring); !folded.ok()) {
          // The records after it were taken but not folded: a new follower
          // reads them again from the folded digest.
          RetireFollower();
          return folded;
        }
      }
      if (!followed.ok()) {
        RetireFollower();
        return followed;
      }
      bool pending = false;
      for (const auto& own : pending_own_) pending = pending || !own.empty();
      const bool seen_all = !wait_for_own || tail_follower_->CaughtUpSince(now);
      if ((!pending && seen_all) || std::chrono::steady_clock::now() >= deadline) {
        return absl::OkStatus();
      }
      tail_follower_->Wait(now, deadline);
    }
  }

  // Stops the tail follower without waiting for it on this thread (a Kafka
  // read or seek may take a while to end); followers that have finished are
  // destroyed here, the rest when the writer is.
  void RetireFollower() {
    std::erase_if(retired_followers_, [](const auto& follower) { return follower->Finished(); });
    if (!tail_follower_) return;
    tail_follower_->RequestStop();
    retired_followers_.push_back(std::move(tail_follower_));
  }

  // Folds one record read from the log after the folded digest.
  absl::Status FoldRecord(const events::LogRecord& record,
                          std::optional<events::Keyring>& keyring) {
    std::deque<OwnRecord>& pending = pending_own_[record.partition];
    const events::Hash hash = events::Sha256(record.value);
    auto integrity = [&](std::int64_t offset, const std::string& why) {
      return absl::DataLossError(
          fmt::format("the log does not verify, so the writer stops: partition {} offset {} "
                      "stream '{}': {}",
                      record.partition, offset, record.key, why));
    };
    if (!pending.empty() && record.offset == pending.front().offset) {
      if (hash != pending.front().hash) {
        return integrity(record.offset, "differs from the record this writer appended there");
      }
      state_->FoldDigest(record.partition, record.offset, hash);
      pending.pop_front();
      return absl::OkStatus();
    }
    if (!pending.empty() && record.offset > pending.front().offset) {
      return integrity(pending.front().offset,
                       "the record this writer appended there is missing from the log");
    }
    // Another appender's.
    absl::StatusOr<events::OpenedRecord> opened = events::OpenRecord(record.key, record.value);
    if (!opened.ok()) return integrity(record.offset, std::string(opened.status().message()));
    if (!keyring) {
      if (!options_.keyring) {
        return integrity(record.offset,
                         "a record this writer did not append, and the writer has no keyring "
                         "to check it with");
      }
      absl::StatusOr<events::Keyring> loaded = options_.keyring();
      if (!loaded.ok()) return loaded.status();
      keyring = *std::move(loaded);
    }
    if (absl::Status foreign = CheckForeignRecord(*opened, &*keyring, access_stream_);
        !foreign.ok()) {
      return integrity(record.offset, std::string(foreign.message()));
    }
    const StreamState* head = state_->Find(opened->event.stream_id());
    if (absl::Status extends =
            events::CheckExtends(head ? head->head : events::StreamHead{}, opened->event);
        !extends.ok()) {
      return integrity(record.offset, std::string(extends.message()));
    }
    state_->Apply(record.partition, record.offset, opened->event, hash);
    return absl::OkStatus();
  }

  // Appends checkpoints to the partitions that are due (all when `forced`),
  // each stating the digest folded so far (FoldTail): a prefix of its
  // partition, which other appenders' records may follow. Runs only when no
  // batch is in flight.
  absl::Status MaybeCheckpoint(bool forced) {
    std::vector<PlannedEvent> planned;
    const absl::Time now = options_.clock->Now();
    const auto steady_now = std::chrono::steady_clock::now();
    {
      bool due = forced;
      std::size_t pending = 0;
      for (std::int32_t p = 0; p < partitions_; ++p) {
        pending = std::max(pending, pending_own_[p].size());
        due = due ||
              (options_.checkpoint_every > 0 &&
               state_->since_checkpoint(p) >= options_.checkpoint_every) ||
              (options_.checkpoint_interval.count() > 0 && state_->since_checkpoint(p) > 0 &&
               steady_now - last_checkpoint_[p] >= options_.checkpoint_interval);
      }
      // Other appenders' records count towards checkpoints once folded:
      // read for them every interval even when this writer is idle.
      const bool read_anyway = options_.checkpoint_interval.count() > 0 &&
                               steady_now - last_tail_read_ >= options_.checkpoint_interval;
      if (due || pending >= kMaxPendingOwn || read_anyway) {
        // An explicit checkpoint always reads to the end of the log; a due
        // one when other appenders were seen.
        if (absl::Status folded =
                FoldTail(forced || (shared_log_ && (due || read_anyway)), /*wait_for_own=*/forced);
            !folded.ok()) {
          spdlog::error("writer {} stops: {}", options_.writer_id, folded.ToString());
          if (folded.code() == absl::StatusCode::kDataLoss) failure_ = folded;
          return folded;
        }
      }
    }
    for (std::int32_t p = 0; p < partitions_; ++p) {
      const bool due_by_count =
          options_.checkpoint_every > 0 && state_->since_checkpoint(p) >= options_.checkpoint_every;
      const bool due_by_time = options_.checkpoint_interval.count() > 0 &&
                               state_->since_checkpoint(p) > 0 &&
                               steady_now - last_checkpoint_[p] >= options_.checkpoint_interval;
      if (!forced && !due_by_count && !due_by_time) continue;
      last_checkpoint_[p] = steady_now;
      const std::string stream = CheckpointStreamId(p, partitions_);
      const StreamState* current = state_->Find(stream);
      Event event;
      event.set_event_id(events::RandomUuid());
      event.set_stream_id(stream);
      event.set_stream_seq((current ? current->head.seq : 0) + 1);
      *event.mutable_recorded_at() = events::ToTimestamp(now);
      event.mutable_actor()->set_user_id(fmt::format("careledger-writer-{}", options_.writer_id));
      event.mutable_actor()->set_role(careledger::v1::ROLE_SYSTEM);
      *event.mutable_checkpoint() = state_->digest(p).ToCheckpoint(p);
      planned.push_back(PlannedEvent{std::move(event), p, 0, {}, {}, -1});
    }
    if (planned.empty()) return absl::OkStatus();
    absl::StatusOr<ActiveKey> key = SigningKeyAt(now);
    if (!key.ok()) return key.status();
    Seal(planned, *key);
    std::vector<AppendRecord> records;
    for (const PlannedEvent& event : planned) {
      records.push_back(AppendRecord{event.partition, event.event.stream_id(), event.value});
    }
    absl::StatusOr<std::vector<LogPosition>> positions = log_writer_->Append(records);
    if (!positions.ok()) return HandleAppendFailure(positions.status());
    for (std::size_t i = 0; i < planned.size(); ++i) {
      state_->ApplyOwnCheckpoint(planned[i].partition, (*positions)[i].offset, planned[i].event,
                                 planned[i].value_hash);
      pending_own_[planned[i].partition].push_back(
          OwnRecord{(*positions)[i].offset, planned[i].value_hash});
    }
    ReportDurable();
    return absl::OkStatus();
  }

  Log* log_;
  WriterOptions options_;
  std::unique_ptr<LogWriter> log_writer_;
  const std::int32_t partitions_;
  const std::string access_stream_;  // where this writer's access records go
  RecoveryReport recovery_;
  std::string log_id_;  // from the log's genesis, for snapshots

  // Owned by the commit thread (and by Open before it starts).
  std::unique_ptr<LedgerState> state_;
  absl::Status failure_;        // set once the writer can no longer append
  bool state_rebuilt_ = false;  // set when HandleAppendFailure re-read the log
  // Per partition, this writer's records appended and not yet folded into
  // the partition digest, in offset order (FoldTail).
  std::vector<std::deque<OwnRecord>> pending_own_;
  // Follows the log past the folded digests once the writer needs to read
  // it (FoldTail); restarted from the folded digests after an error or a
  // recovery.
  std::unique_ptr<internal::TailFollower> tail_follower_;
  std::vector<std::unique_ptr<internal::TailFollower>> retired_followers_;  // stopping
  bool shared_log_ = false;  // offsets had gaps: the tail is read every interval
  std::chrono::steady_clock::time_point last_tail_read_{};
  // When each partition's last checkpoint was appended (or recovery ran).
  std::vector<std::chrono::steady_clock::time_point> last_checkpoint_;
  RefusalLimiter refusal_limiter_;
  // Refusals counted and not yet answered (FlushHeldRefusals), and since when
  // the oldest has waited.
  std::vector<HeldRefusal> held_refusals_;
  std::optional<std::chrono::steady_clock::time_point> held_since_;

  mutable std::mutex stats_mutex_;
  CommitStats stats_;  // guarded by stats_mutex_

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;  // guarded by mutex_
  bool stopping_ = false;      // guarded by mutex_
  bool append_done_ = false;   // guarded by mutex_: the batch in flight returned
  // Runs the batch in flight's append (declared before committer_, which
  // uses it, so it is destroyed after the commit thread is joined).
  internal::AppendThread appender_;
  std::thread committer_;
};

Writer::Writer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Writer::~Writer() = default;

absl::StatusOr<std::unique_ptr<Writer>> Writer::Open(Log* log, WriterOptions options) {
  if (!options.key_at && (options.key_id.empty() || !options.signing_key)) {
    return absl::InvalidArgumentError("the writer needs a signing key and its id, or key_at");
  }
  absl::StatusOr<std::unique_ptr<LogWriter>> log_writer = log->OpenWriter(options.writer_id);
  if (!log_writer.ok()) return log_writer.status();
  auto impl = std::make_unique<Impl>(log, std::move(options), *std::move(log_writer));
  if (absl::Status recovered = impl->Recover(); !recovered.ok()) return recovered;
  impl->Start();
  return std::unique_ptr<Writer>(new Writer(std::move(impl)));
}

absl::StatusOr<CommandResult> Writer::Submit(const Command& command) {
  const Command* one[] = {&command};
  return std::move(impl_->SubmitAndWait(one).front());
}

std::vector<absl::StatusOr<CommandResult>> Writer::SubmitAll(std::span<const Command> commands) {
  std::vector<const Command*> pointers;
  pointers.reserve(commands.size());
  for (const Command& command : commands) pointers.push_back(&command);
  return impl_->SubmitAndWait(pointers);
}

absl::Status Writer::Checkpoint() {
  const Command* checkpoint[] = {nullptr};
  return impl_->SubmitAndWait(checkpoint).front().status();
}

absl::StatusOr<SnapshotTaken> Writer::Snapshot() {
  const WriterOptions& options = impl_->options();
  if (options.snapshot_dir.empty()) {
    return absl::FailedPreconditionError("the writer has no snapshot directory");
  }
  absl::StatusOr<careledger::v1::WriterSnapshot> snapshot =
      absl::UnknownError("no snapshot was taken");
  const Command* checkpoint[] = {nullptr};
  if (absl::Status done = impl_->SubmitAndWait(checkpoint, &snapshot).front().status();
      !done.ok()) {
    return done;
  }
  if (!snapshot.ok()) return snapshot.status();
  SnapshotTaken taken;
  for (const careledger::v1::SnapshotPosition& position : snapshot->positions()) {
    events::PartitionDigest& digest = taken.digests.emplace_back();
    // The digest the state holds: at the checkpoint's covered prefix
    // (`after` unset) or including the checkpoint.
    const careledger::v1::SnapshotDigest& kept =
        position.has_after() ? position.after() : position.stated();
    digest.last_offset = kept.last_offset();
    digest.record_count = kept.record_count();
    std::copy(kept.running_hash().begin(), kept.running_hash().end(), digest.running.begin());
  }
  absl::StatusOr<std::string> path =
      internal::WriteSnapshotFile(options.snapshot_dir, options.snapshot_name, *snapshot);
  if (!path.ok()) {
    return absl::InternalError(
        fmt::format("checkpointed, but the snapshot was not written: {}", path.status().message()));
  }
  taken.path = *std::move(path);
  return taken;
}

const RecoveryReport& Writer::recovery() const { return impl_->recovery(); }

CommitStats Writer::commit_stats() const { return impl_->commit_stats(); }

}  // namespace careledger::ledger
