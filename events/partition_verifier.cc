#include "events/partition_verifier.h"

#include <fmt/format.h>

#include <algorithm>

#include "events/failure.h"
#include "events/format.h"
#include "events/parallel.h"

namespace careledger::events {

std::string VerificationStop::Describe() const {
  return fmt::format("partition {} offset {} stream '{}': {}", partition, offset, stream_id,
                     reason.message());
}

PartitionVerifier::PartitionVerifier(std::int32_t partition, const Keyring* keyring,
                                     HeadLookup lookup, int threads)
    : partition_(partition), keyring_(keyring), lookup_(std::move(lookup)), threads_(threads) {}

void PartitionVerifier::Resume(const PartitionDigest& digest) {
  digest_ = digest;
  since_covered_.assign(1, digest);
  covered_offset_.reset();
  trimmed_ = false;
}

BatchVerification PartitionVerifier::Verify(std::span<const LogRecord> records) {
  // Stateless checks (parse, hash, signature) in parallel...
  std::vector<absl::StatusOr<OpenedRecord>> opened(records.size(),
                                                   absl::UnknownError("not verified"));
  ParallelFor(records.size(), threads_, [&](std::size_t i) {
    absl::StatusOr<OpenedRecord> record = OpenRecord(records[i].key, records[i].value);
    if (record.ok() && keyring_ != nullptr) {
      if (absl::Status signature = VerifySignature(*record, *keyring_, own_); !signature.ok()) {
        record = signature;
      }
    }
    opened[i] = std::move(record);
  });

  // ...then the chain and the digest strictly in order.
  BatchVerification result;
  result.verified.reserve(records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    absl::Status status = opened[i].status();
    if (status.ok()) status = CheckInOrder(records[i], *opened[i]);
    if (!status.ok()) {
      result.stop = VerificationStop{partition_, records[i].offset, records[i].key, status};
      return result;
    }
    result.verified.push_back(VerifiedRecord{records[i].offset, *std::move(opened[i])});
  }
  return result;
}

absl::Status PartitionVerifier::CheckInOrder(const LogRecord& record, const OpenedRecord& opened) {
  if (record.partition != partition_) {
    return absl::InvalidArgumentError(fmt::format("record of partition {} given to verifier of {}",
                                                  record.partition, partition_));
  }
  if (record.offset <= digest_.last_offset) {
    return VerificationFailure(
        FailureKind::kDuplicate,
        fmt::format("offset {} does not follow offset {}", record.offset, digest_.last_offset));
  }
  auto it = heads_.find(record.key);
  StreamHead head;
  if (it != heads_.end()) {
    head = it->second;
  } else {
    absl::StatusOr<StreamHead> looked_up = lookup_ ? lookup_(record.key) : StreamHead{};
    if (!looked_up.ok()) return looked_up.status();
    head = *looked_up;
  }
  if (absl::Status extends = CheckExtends(head, opened.event); !extends.ok()) return extends;
  if (absl::Status genesis = CheckGenesis(opened); !genesis.ok()) return genesis;
  if (opened.event.has_checkpoint()) {
    if (absl::Status checkpoint = CheckCoveredPrefix(record.offset, opened.event.checkpoint());
        !checkpoint.ok()) {
      return checkpoint;
    }
  }
  digest_.Add(record.offset, opened.value_hash);
  since_covered_.push_back(digest_);
  if (since_covered_.size() > kMaxUncovered + 1) {
    since_covered_.pop_front();
    trimmed_ = true;
  }
  heads_[record.key] = StreamHead{opened.event.stream_seq(), opened.value_hash};
  return absl::OkStatus();
}

absl::Status PartitionVerifier::CheckCoveredPrefix(std::int64_t offset,
                                                   const careledger::v1::Checkpoint& checkpoint) {
  const std::int64_t covers = checkpoint.last_offset();
  if (covers >= offset) {
    return VerificationFailure(
        FailureKind::kCheckpointMismatch,
        fmt::format("the checkpoint at offset {} covers up to offset {}, past itself", offset,
                    covers));
  }
  if (covered_offset_ && covers < *covered_offset_) {
    return VerificationFailure(
        FailureKind::kCheckpointMismatch,
        fmt::format("the checkpoint at offset {} covers up to offset {}, before the previous "
                    "checkpoint's {}: checkpoints do not go backwards",
                    offset, covers, *covered_offset_));
  }
  if (covers < since_covered_.front().last_offset) {
    if (!covered_offset_ && !trimmed_) {
      ++unchecked_checkpoints_;  // before the resumed digest: `verify` checks it
      return absl::OkStatus();
    }
    return VerificationFailure(
        FailureKind::kCheckpointMismatch,
        fmt::format("the checkpoint at offset {} covers up to offset {}, more than {} records "
                    "back: too far behind to check",
                    offset, covers, kMaxUncovered));
  }
  // since_covered_ is in increasing offset order.
  auto at = std::lower_bound(
      since_covered_.begin(), since_covered_.end(), covers,
      [](const PartitionDigest& digest, std::int64_t o) { return digest.last_offset < o; });
  if (at == since_covered_.end() || at->last_offset != covers) {
    return VerificationFailure(
        FailureKind::kCheckpointMismatch,
        fmt::format("the checkpoint at offset {} covers up to offset {}, where the partition "
                    "holds no record",
                    offset, covers));
  }
  if (absl::Status checked = CheckCheckpoint(checkpoint, partition_, *at); !checked.ok()) {
    return checked;
  }
  since_covered_.erase(since_covered_.begin(), at);
  covered_offset_ = covers;
  trimmed_ = false;
  return absl::OkStatus();
}

absl::Status PartitionVerifier::CheckGenesis(const OpenedRecord& opened) const {
  const bool first = digest_.record_count == 0;
  const bool is_genesis = opened.event.has_log_genesis();
  if (genesis_partitions_ == 0) {
    if (is_genesis && !first) {
      return VerificationFailure(FailureKind::kGenesisMismatch,
                                 "a genesis record after the partition's first record");
    }
    return absl::OkStatus();
  }
  if (first && !is_genesis) {
    return VerificationFailure(
        FailureKind::kGenesisMismatch,
        fmt::format("partition {} does not begin with its genesis record: records before it "
                    "were lost, or the log was not created by 'careledger init'",
                    partition_));
  }
  if (!first && is_genesis) {
    return VerificationFailure(FailureKind::kGenesisMismatch,
                               "a genesis record after the partition's first record");
  }
  if (!is_genesis) return absl::OkStatus();
  const careledger::v1::LogGenesis& genesis = opened.event.log_genesis();
  if (genesis.partition() != partition_ || genesis.partition_count() != genesis_partitions_) {
    return VerificationFailure(
        FailureKind::kGenesisMismatch,
        fmt::format("the genesis states partition {} of {}, but it is partition {} of a log "
                    "that now has {} partitions: the stored partition count was changed",
                    genesis.partition(), genesis.partition_count(), partition_,
                    genesis_partitions_));
  }
  return absl::OkStatus();
}

}  // namespace careledger::events
