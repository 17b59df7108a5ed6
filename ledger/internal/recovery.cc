#include "ledger/internal/recovery.h"

#include <fmt/format.h>

#include "events/envelope.h"
#include "events/format.h"
#include "ledger/foreign_record.h"
#include "ledger/internal/snapshot_files.h"
#include "ledger/log_scan.h"
#include "ledger/partitioner.h"

namespace careledger::ledger::internal {
namespace {

// The DATA_LOSS for a scan that stopped at a record or contradicts a witness.
absl::Status Refusal(const ScanReport& scan, const WitnessCheck& witnesses) {
  if (!scan.stops.empty()) {
    return absl::DataLossError(
        fmt::format("the log does not verify, so the writer will not extend it: {}",
                    scan.stops.front().Describe()));
  }
  if (const std::vector<std::string> failures = witnesses.Failures(); !failures.empty()) {
    return absl::DataLossError(fmt::format(
        "the log contradicts a witness, so the writer will not extend it: {}", failures.front()));
  }
  return absl::OkStatus();
}

// The log id the log's first genesis record names; "" when the log has none
// at offset 0 (the whole read then reports it).
absl::StatusOr<std::string> LogIdOf(Log& log) {
  absl::StatusOr<std::unique_ptr<LogReader>> reader = log.OpenReader();
  if (!reader.ok()) return reader.status();
  const std::int32_t partitions = (*reader)->partition_count();
  if (absl::Status seek = (*reader)->Seek(std::vector<std::int64_t>(partitions, 0)); !seek.ok()) {
    return seek;
  }
  // Until the first record, or the end of an empty log: a reader that has
  // not fetched yet (Kafka) answers nothing, which is not an empty log.
  absl::StatusOr<ReadBatch> batch = (*reader)->Read(1, std::chrono::milliseconds(1000));
  while (batch.ok() && batch->records.empty() && !batch->caught_up) {
    batch = (*reader)->Read(1, std::chrono::milliseconds(1000));
  }
  if (!batch.ok()) return batch.status();
  if (batch->records.empty() || batch->records.front().offset != 0) return std::string();
  absl::StatusOr<events::OpenedRecord> opened =
      events::OpenRecord(batch->records.front().key, batch->records.front().value);
  if (!opened.ok() || !opened->event.has_log_genesis()) return std::string();
  return opened->event.log_genesis().log_id();
}

// Applies `record` to `state`, its sealed content opened first; the first
// error is kept in `failure` (and nothing more is applied once there is one).
void ApplyOpened(LedgerState& state, const events::DataKeys* keys, std::int32_t partition,
                 const events::VerifiedRecord& record, absl::Status* failure) {
  if (!failure->ok()) return;
  if (!record.opened.event.has_sealed_body()) {
    state.Apply(partition, record.offset, record.opened.event, record.opened.value_hash);
    return;
  }
  careledger::v1::Event event = record.opened.event;
  absl::StatusOr<events::SealedContent> opened = events::OpenSealedContent(keys, &event);
  if (!opened.ok()) {
    *failure = absl::DataLossError(
        fmt::format("partition {} offset {}: the writer cannot open a sealed event: {}", partition,
                    record.offset, opened.status().message()));
    return;
  }
  state.Apply(partition, record.offset, event, record.opened.value_hash);
}

// OK unless `record` is another appender's (signed by a node key, or
// `must_be_foreign`) and breaks ledger/foreign_record.h; then DATA_LOSS
// naming its position.
absl::Status CheckForeign(std::int32_t partition, const events::VerifiedRecord& record,
                          const RecoveryOptions& options, bool must_be_foreign) {
  if (!must_be_foreign && NodeOfKeyId(record.opened.signed_event.key_id()).empty()) {
    return absl::OkStatus();
  }
  absl::Status checked =
      CheckForeignRecord(record.opened, options.keyring, options.writer_access_stream);
  if (checked.ok()) return checked;
  return absl::DataLossError(fmt::format(
      "the log does not verify, so the writer will not extend it: partition {} offset {} "
      "stream '{}': {}",
      partition, record.offset, record.opened.event.stream_id(), checked.message()));
}

}  // namespace

absl::StatusOr<Recovered> RecoverFromLog(Log& log, const RecoveryOptions& options) {
  absl::StatusOr<std::unique_ptr<LogReader>> reader = log.OpenReader();
  if (!reader.ok()) return reader.status();
  const std::int32_t partitions = (*reader)->partition_count();
  Recovered recovered;
  recovered.state = std::make_unique<LedgerState>(partitions, options.remembered_commands);
  WitnessCheck witnesses(options.witnesses, partitions);
  LedgerState& state = *recovered.state;
  absl::Status unsealed;
  absl::Status foreign;
  absl::StatusOr<ScanReport> scan =
      ScanLog(**reader, nullptr, options.threads,
              [&](std::int32_t partition, const events::VerifiedRecord& record) {
                if (foreign.ok()) foreign = CheckForeign(partition, record, options, false);
                ApplyOpened(state, options.data_keys, partition, record, &unsealed);
                witnesses.Observe(partition, record);
              });
  if (!scan.ok()) return scan.status();
  if (!foreign.ok()) return foreign;
  if (!unsealed.ok()) return unsealed;
  if (absl::Status refused = Refusal(*scan, witnesses); !refused.ok()) return refused;
  recovered.log_id = scan->log_id;
  recovered.records_read = scan->records;
  return recovered;
}

absl::StatusOr<SnapshotRecovery> RecoverFromSnapshot(Log& log, const std::string& path,
                                                     const RecoveryOptions& options) {
  SnapshotRecovery outcome;
  absl::StatusOr<careledger::v1::WriterSnapshot> snapshot = ReadSnapshotFile(path);
  if (!snapshot.ok()) {
    outcome.unusable = std::string(snapshot.status().message());
    return outcome;
  }
  const std::int32_t partitions = log.partition_count();
  absl::StatusOr<std::unique_ptr<LedgerState>> loaded =
      LedgerState::FromSnapshot(*snapshot, partitions, options.remembered_commands);
  const std::string snapshot_log_id = snapshot->log_id();
  snapshot = absl::UnknownError("consumed");  // freed: the state now holds it
  if (!loaded.ok()) {
    outcome.unusable = std::string(loaded.status().message());
    return outcome;
  }
  absl::StatusOr<std::string> log_id = LogIdOf(log);
  if (!log_id.ok()) return log_id.status();
  if (log_id->empty()) {
    // Not a cache to pass over: the log the snapshot saw is gone from here.
    return absl::DataLossError(fmt::format(
        "the snapshot {} saw {} records of log '{}', but this log has no genesis (it reads "
        "empty, or its first record is not one): acknowledged records were lost, or the writer "
        "is pointed at another log. The writer will not start; move the snapshot directory "
        "aside only if replacing the log was intended",
        path, (*loaded)->record_count(), snapshot_log_id));
  }
  if (*log_id != snapshot_log_id) {
    outcome.unusable =
        fmt::format("the snapshot is of log '{}', this log is '{}'", snapshot_log_id, *log_id);
    return outcome;
  }

  LedgerState& state = **loaded;
  WitnessCheck witnesses(options.witnesses, partitions);
  ScanStart start;
  start.log_id = snapshot_log_id;
  std::vector<std::string> checkpoint_streams(partitions);
  for (std::int32_t p = 0; p < partitions; ++p) {
    const CheckpointMark& mark = state.last_checkpoint(p);
    // From the record after the prefix the checkpoint covers: records of
    // other appenders may lie between it and the checkpoint (docs/replicas.md).
    start.offsets.push_back(mark.stated.last_offset + 1);
    start.digests.push_back(mark.stated);
    checkpoint_streams[p] = CheckpointStreamId(p, partitions);
    if (std::vector<std::string> unchecked = witnesses.Resume(p, mark.stated); !unchecked.empty()) {
      outcome.unusable = fmt::format(
          "a witness lies before the snapshot's checkpoint, and only reading the "
          "whole log can check it ({})",
          unchecked.front());
      return outcome;
    }
  }
  // Streams the scan has not met chain on the snapshot's heads, but each
  // partition's first record (its checkpoint, already in the state) chains
  // on the head its checkpoint stream had before it.
  start.heads = [&](std::string_view stream) -> absl::StatusOr<events::StreamHead> {
    for (std::int32_t p = 0; p < partitions; ++p) {
      if (stream == checkpoint_streams[p]) return state.last_checkpoint(p).previous;
    }
    const StreamState* found = state.Find(std::string(stream));
    return found == nullptr ? events::StreamHead{} : found->head;
  };

  absl::StatusOr<std::unique_ptr<LogReader>> reader = log.OpenReader();
  if (!reader.ok()) return reader.status();
  std::vector<bool> met_checkpoint(partitions, false);
  std::string mismatch;
  absl::Status foreign;
  std::uint64_t read = 0;
  absl::Status unsealed;
  absl::StatusOr<ScanReport> scan = ScanLogFrom(
      **reader, nullptr, options.threads, start,
      [&](std::int32_t partition, const events::VerifiedRecord& record) {
        ++read;
        if (!mismatch.empty()) return;  // unusable: the state is dropped
        const CheckpointMark& mark = state.last_checkpoint(partition);
        if (!met_checkpoint[partition] && record.offset < mark.offset) {
          // Between the covered prefix and the checkpoint: another appender's.
          if (foreign.ok()) foreign = CheckForeign(partition, record, options, true);
          state.Apply(partition, record.offset, record.opened.event, record.opened.value_hash);
          witnesses.Observe(partition, record);
          return;
        }
        if (!met_checkpoint[partition]) {
          met_checkpoint[partition] = true;
          const StreamState* head = state.Find(checkpoint_streams[partition]);
          // The verifier checked the chain from `previous` and the stated
          // digest; what the snapshot says followed must be this very record.
          if (record.offset != mark.offset || !record.opened.event.has_checkpoint() ||
              record.opened.event.stream_id() != checkpoint_streams[partition] || head == nullptr ||
              head->head.seq != record.opened.event.stream_seq() ||
              head->head.hash != record.opened.value_hash) {
            mismatch = fmt::format(
                "partition {}: the record at offset {} is not the checkpoint the snapshot names",
                partition, record.offset);
            return;
          }
          // A snapshot at the covered prefix has not folded the checkpoint.
          if (state.digest(partition).last_offset < record.offset) {
            state.FoldDigest(partition, record.offset, record.opened.value_hash);
          }
          witnesses.Observe(partition, record);
          return;
        }
        if (foreign.ok()) foreign = CheckForeign(partition, record, options, false);
        ApplyOpened(state, options.data_keys, partition, record, &unsealed);
        witnesses.Observe(partition, record);
      });
  if (!unsealed.ok()) return unsealed;
  if (!scan.ok()) {
    if (scan.status().code() == absl::StatusCode::kDataLoss) {
      return absl::DataLossError(fmt::format(
          "the log cannot be read from the checkpoint snapshot {} was taken at (a partition that "
          "ends before it lost acknowledged records), so the writer will not extend it: {}",
          path, scan.status().message()));
    }
    return scan.status();
  }
  // A stop up to a snapshot's checkpoint says the snapshot does not fit this
  // log; a stop after it is the log's own damage.
  for (const events::VerificationStop& stop : scan->stops) {
    if (stop.offset <= state.last_checkpoint(stop.partition).offset) {
      outcome.unusable = fmt::format(
          "the log's record at the snapshot's checkpoint does not match it: {}", stop.Describe());
      return outcome;
    }
  }
  if (!mismatch.empty()) {
    outcome.unusable = mismatch;
    return outcome;
  }
  for (std::int32_t p = 0; p < partitions; ++p) {
    if (!met_checkpoint[p] && scan->stops.empty()) {
      return absl::DataLossError(fmt::format(
          "partition {} ends before offset {}, the checkpoint that snapshot {} was taken at: "
          "acknowledged records were lost, so the writer will not extend the log",
          p, start.offsets[p], path));
    }
  }
  if (absl::Status refused = Refusal(*scan, witnesses); !refused.ok()) return refused;
  if (!foreign.ok()) return foreign;
  outcome.recovered.emplace();
  outcome.recovered->state = *std::move(loaded);
  outcome.recovered->log_id = snapshot_log_id;
  outcome.recovered->records_read = read;
  return outcome;
}

}  // namespace careledger::ledger::internal
