#include "ledger/replica.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <mutex>
#include <set>
#include <utility>

#include "events/envelope.h"
#include "events/format.h"
#include "events/ids.h"
#include "events/time_util.h"
#include "ledger/decide.h"
#include "ledger/foreign_record.h"
#include "ledger/internal/ledger_state.h"
#include "ledger/internal/recovery.h"
#include "ledger/internal/state_decision.h"
#include "ledger/partitioner.h"

namespace careledger::ledger {

using careledger::v1::Command;
using careledger::v1::CommandResult;
using careledger::v1::Event;

namespace {
const SystemClock kReplicaSystemClock;
}  // namespace

class Replica::Impl {
 public:
  Impl(Log* log, ReplicaOptions options, std::string key_id)
      : log_(log),
        options_(std::move(options)),
        key_id_(std::move(key_id)),
        access_stream_(AccessStream(options_.node)),
        partition_(PartitionForKey(access_stream_, log->partition_count())) {
    if (options_.clock == nullptr) options_.clock = &kReplicaSystemClock;
  }

  // Reads the whole log into a fresh state.
  absl::Status Recover() {
    internal::RecoveryOptions recovery;
    recovery.remembered_commands = 0;  // a replica does not de-duplicate
    recovery.threads = options_.threads;
    recovery.data_keys = options_.data_keys;
    std::optional<events::Keyring> keyring;
    if (options_.keyring) {
      absl::StatusOr<events::Keyring> loaded = options_.keyring();
      if (!loaded.ok()) return loaded.status();
      keyring = *std::move(loaded);
      recovery.keyring = &*keyring;
    }
    absl::StatusOr<internal::Recovered> recovered = internal::RecoverFromLog(*log_, recovery);
    if (!recovered.ok()) return recovered.status();
    state_ = std::move(recovered->state);
    next_.assign(log_->partition_count(), 0);
    for (std::int32_t p = 0; p < log_->partition_count(); ++p) {
      next_[p] = state_->digest(p).last_offset + 1;
    }
    reader_.reset();
    own_applied_.clear();
    must_reread_ = false;
    return absl::OkStatus();
  }

  absl::Status CatchUpLocked() {
    if (!reader_) {
      absl::StatusOr<std::unique_ptr<LogReader>> reader = log_->OpenReader();
      if (!reader.ok()) return reader.status();
      if (absl::Status seek = (*reader)->Seek(next_); !seek.ok()) return seek;
      reader_ = *std::move(reader);
    }
    for (;;) {
      absl::StatusOr<ReadBatch> batch = reader_->Read(1024, std::chrono::milliseconds(0));
      if (!batch.ok()) {
        reader_.reset();
        return batch.status();
      }
      for (const events::LogRecord& record : batch->records) {
        if (absl::Status applied = ApplyRead(record); !applied.ok()) {
          reader_.reset();
          return applied;
        }
      }
      if (batch->caught_up) return absl::OkStatus();
    }
  }

  // One record read from the log, after the state's position.
  absl::Status ApplyRead(const events::LogRecord& record) {
    next_[record.partition] = record.offset + 1;
    if (own_applied_.erase({record.partition, record.offset}) > 0) return absl::OkStatus();
    auto integrity = [&](auto why) {
      return absl::DataLossError(fmt::format("partition {} offset {} stream '{}': {}",
                                             record.partition, record.offset, record.key, why));
    };
    absl::StatusOr<events::OpenedRecord> opened = events::OpenRecord(record.key, record.value);
    if (!opened.ok()) return integrity(opened.status().message());
    if (!NodeOfKeyId(opened->signed_event.key_id()).empty()) {
      if (absl::Status foreign = CheckForeignRecord(*opened, nullptr, ""); !foreign.ok()) {
        return integrity(foreign.message());
      }
    }
    const internal::StreamState* head = state_->Find(opened->event.stream_id());
    if (absl::Status extends =
            events::CheckExtends(head ? head->head : events::StreamHead{}, opened->event);
        !extends.ok()) {
      return integrity(extends.message());
    }
    // Decided on its content, like the writer's recovery (an erased
    // patient's event stays sealed).
    if (absl::StatusOr<events::SealedContent> content =
            events::OpenSealedContent(options_.data_keys, &opened->event);
        !content.ok()) {
      return integrity(
          fmt::format("a read replica cannot open a sealed event: {}", content.status().message()));
    }
    state_->Apply(record.partition, record.offset, opened->event, opened->value_hash);
    return absl::OkStatus();
  }

  // The access record of `command`, decided as the writer decides a read.
  Event Decide(const Command& command, absl::Time now) {
    internal::StateDecision decided = internal::DecideInState(*state_, command, now);
    absl::StatusOr<Decision>& decision = decided.decision;
    if (decision.ok() && decision->events.empty() && decision->access) {
      Event access;
      *access.mutable_access_recorded() = *std::move(decision->access);
      *access.mutable_actor() = command.actor();
      access.set_command_id(command.command_id());
      return access;
    }
    const absl::Status refused =
        decision.ok() ? absl::FailedPreconditionError(
                            "a read replica records reads only; send commands to the writer")
                      : decision.status();
    return internal::RefusalEvent(command, refused, decided.restricted);
  }

  absl::StatusOr<CommandResult> Submit(const Command& command) {
    if (!command.has_view_plan()) {
      return absl::FailedPreconditionError(
          "a read replica records reads only; send commands to the writer");
    }
    std::lock_guard<std::mutex> lock(mutex_);
    if (must_reread_) {
      if (!writer_) {
        absl::StatusOr<std::unique_ptr<LogWriter>> reopened =
            log_->OpenWriter(WriterId(options_.node));
        if (!reopened.ok()) return reopened.status();
        writer_ = *std::move(reopened);
      }
      if (absl::Status recovered = Recover(); !recovered.ok()) return recovered;
    }
    if (absl::Status caught_up = CatchUpLocked(); !caught_up.ok()) return caught_up;
    const absl::Time now = options_.clock->Now();
    Event event = Decide(command, now);
    const internal::StreamState* head = state_->Find(access_stream_);
    event.set_event_id(events::RandomUuid());
    event.set_stream_id(access_stream_);
    event.set_stream_seq((head ? head->head.seq : 0) + 1);
    event.set_prev_hash(events::HashBytes(head ? head->head.hash : events::kZeroHash));
    *event.mutable_recorded_at() = events::ToTimestamp(now);
    absl::StatusOr<std::string> value = events::SealEvent(event, key_id_, *options_.signing_key);
    if (!value.ok()) return value.status();
    const AppendRecord record{partition_, access_stream_, *value};
    absl::StatusOr<std::vector<LogPosition>> positions = writer_->Append(std::span(&record, 1));
    if (!positions.ok()) {
      if (positions.status().code() == absl::StatusCode::kAborted) return positions.status();
      // The outcome may be unknown: read the log again before the next one.
      must_reread_ = true;
      if (positions.status().code() == absl::StatusCode::kFailedPrecondition ||
          positions.status().code() == absl::StatusCode::kDeadlineExceeded) {
        writer_.reset();
      }
      return absl::UnavailableError(
          fmt::format("the read's access record may not be durable; nothing may be shown: {}",
                      positions.status().message()));
    }
    const std::int64_t offset = positions->front().offset;
    state_->Apply(partition_, offset, event, events::Sha256(*value));
    if (offset >= next_[partition_]) own_applied_.insert({partition_, offset});
    CommandResult result = internal::ResultOf(event, partition_, offset);
    result.set_record(*std::move(value));
    return result;
  }

  static std::string WriterId(const std::string& node) { return "replica-" + node; }

  Log* log_;
  ReplicaOptions options_;
  const std::string key_id_;
  const std::string access_stream_;
  const std::int32_t partition_;
  mutable std::mutex mutex_;
  std::unique_ptr<LogWriter> writer_;                            // guarded by mutex_
  std::unique_ptr<LogReader> reader_;                            // guarded by mutex_
  std::unique_ptr<internal::LedgerState> state_;                 // guarded by mutex_
  std::vector<std::int64_t> next_;                               // guarded by mutex_
  std::set<std::pair<std::int32_t, std::int64_t>> own_applied_;  // appended, not yet read back
  bool must_reread_ = false;                                     // guarded by mutex_
};

Replica::Replica(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Replica::~Replica() = default;

absl::StatusOr<std::unique_ptr<Replica>> Replica::Open(Log* log, ReplicaOptions options) {
  absl::StatusOr<std::string> key_id = NodeKeyId(options.node);
  if (!key_id.ok()) return key_id.status();
  if (!options.signing_key) return absl::InvalidArgumentError("the replica needs its node key");
  auto impl = std::make_unique<Impl>(log, std::move(options), *key_id);
  absl::StatusOr<std::unique_ptr<LogWriter>> writer =
      log->OpenWriter(Impl::WriterId(impl->options_.node));
  if (!writer.ok()) return writer.status();
  impl->writer_ = *std::move(writer);
  if (absl::Status recovered = impl->Recover(); !recovered.ok()) return recovered;
  return std::unique_ptr<Replica>(new Replica(std::move(impl)));
}

absl::StatusOr<CommandResult> Replica::Submit(const Command& command) {
  return impl_->Submit(command);
}

absl::Status Replica::CatchUp() {
  std::lock_guard<std::mutex> lock(impl_->mutex_);
  return impl_->CatchUpLocked();
}

std::vector<std::int64_t> Replica::next_offsets() const {
  std::lock_guard<std::mutex> lock(impl_->mutex_);
  return impl_->next_;
}

const std::string& Replica::access_stream() const { return impl_->access_stream_; }

}  // namespace careledger::ledger
