#include "events/partition_verifier.h"

#include <fmt/format.h>

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

BatchVerification PartitionVerifier::Verify(std::span<const LogRecord> records) {
  // Stateless checks (parse, hash, signature) in parallel...
  std::vector<absl::StatusOr<OpenedRecord>> opened(records.size(),
                                                   absl::UnknownError("not verified"));
  ParallelFor(records.size(), threads_, [&](std::size_t i) {
    absl::StatusOr<OpenedRecord> record = OpenRecord(records[i].key, records[i].value);
    if (record.ok() && keyring_ != nullptr) {
      if (absl::Status signature = VerifySignature(*record, *keyring_); !signature.ok()) {
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
    if (absl::Status checkpoint = CheckCheckpoint(opened.event.checkpoint(), partition_, digest_);
        !checkpoint.ok()) {
      return checkpoint;
    }
  }
  digest_.Add(record.offset, opened.value_hash);
  heads_[record.key] = StreamHead{opened.event.stream_seq(), opened.value_hash};
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
