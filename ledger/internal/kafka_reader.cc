#include "ledger/internal/kafka_reader.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>
#include <thread>
#include <utility>

#include "events/format.h"

namespace careledger::ledger::internal {
namespace {

using Clock = std::chrono::steady_clock;

// A group id no other reader uses: the reader never joins or commits to it.
std::string UniqueGroupId() {
  std::random_device random;
  return fmt::format("careledger-reader-{:08x}{:08x}", random(), random());
}

std::string BytesOf(const void* data, std::size_t size) {
  if (data == nullptr) return std::string();
  return std::string(static_cast<const char*>(data), size);
}

}  // namespace

KafkaReader::KafkaReader(std::string topic, std::int32_t partition_count,
                         std::chrono::milliseconds unsettled_end_grace,
                         std::chrono::milliseconds silence, KafkaConsumer consumer)
    : topic_(std::move(topic)),
      partition_count_(partition_count),
      unsettled_end_grace_(unsettled_end_grace),
      silence_(silence),
      next_offsets_(static_cast<std::size_t>(partition_count), 0),
      at_end_(static_cast<std::size_t>(partition_count), false),
      unsettled_since_(static_cast<std::size_t>(partition_count)),
      heard_(static_cast<std::size_t>(partition_count), false),
      silent_for_(static_cast<std::size_t>(partition_count), Clock::duration::zero()),
      consumer_(std::move(consumer)) {}

absl::StatusOr<std::unique_ptr<KafkaReader>> KafkaReader::Open(const KafkaLogOptions& options,
                                                               std::int32_t partition_count,
                                                               Pacing pacing) {
  if (partition_count < 1 || options.timeout.count() < 1) {
    return absl::InvalidArgumentError(
        "a kafka reader needs at least one partition and a positive timeout");
  }
  absl::StatusOr<KafkaConf> conf =
      NewKafkaConf(options, {
                                {"group.id", UniqueGroupId()},
                                {"isolation.level", "read_committed"},
                                {"enable.auto.commit", "false"},
                                {"enable.auto.offset.store", "false"},
                                {"enable.partition.eof", "true"},
                                // How long the broker holds a fetch that finds
                                // nothing: bounds how soon an idle partition
                                // reports its end (default 500 ms), at the
                                // cost of more idle fetches.
                                {"fetch.wait.max.ms", "100"},
                                // Below the log start (never, with retention
                                // off) or past its end: start from the
                                // beginning rather than skip anything.
                                {"auto.offset.reset", "earliest"},
                                // A batched reader's fetches wait for 1 MiB
                                // (or fetch.wait.max.ms): at 1,000 service
                                // reads/s on Kafka, a prompt one fetched after
                                // every transaction, and the broker's fetch
                                // handling cost the request threads' CPU.
                                {"fetch.min.bytes", pacing == Pacing::kBatched ? "1048576" : "1"},
                            });
  if (!conf.ok()) return conf.status();
  absl::StatusOr<KafkaConsumer> consumer = NewKafkaConsumer(*std::move(conf));
  if (!consumer.ok()) return consumer.status();
  // Background errors and logs are served by consumer_poll from now on.
  rd_kafka_poll_set_consumer(consumer->get());
  std::unique_ptr<KafkaReader> reader(new KafkaReader(options.topic, partition_count,
                                                      options.unsettled_end_grace, options.timeout,
                                                      *std::move(consumer)));
  return reader;  // assigned by the first Seek, or at the beginning by the first Read
}

absl::Status KafkaReader::Seek(std::span<const std::int64_t> next_offsets) {
  if (next_offsets.size() != static_cast<std::size_t>(partition_count_)) {
    return absl::InvalidArgumentError(
        fmt::format("Seek needs {} offsets (one per partition), got {}", partition_count_,
                    next_offsets.size()));
  }
  if (std::any_of(next_offsets.begin(), next_offsets.end(), [](auto o) { return o < 0; })) {
    return absl::InvalidArgumentError("Seek offsets must not be negative");
  }
  if (absl::Status within = CheckSeekWithinLog(next_offsets); !within.ok()) return within;
  KafkaPartitionList positions(rd_kafka_topic_partition_list_new(partition_count_));
  for (std::int32_t partition = 0; partition < partition_count_; ++partition) {
    // An exact offset, even 0: the logical BEGINNING would cost an offset
    // lookup first. An offset outside the log is reset to its beginning.
    rd_kafka_topic_partition_list_add(positions.get(), topic_.c_str(), partition)->offset =
        next_offsets[static_cast<std::size_t>(partition)];
  }
  // Assigned once, then moved by seeking: librdkafka 2.0 aborts when an
  // assignment replaces one whose partitions are still stopping (librdkafka
  // issue #5573), and a seek, like an assignment, discards what was fetched
  // before it and reports the partition's end again.
  if (absl::Status moved = assigned_ ? SeekAssigned(positions.get()) : Assign(positions.get());
      !moved.ok()) {
    return moved;
  }
  next_offsets_.assign(next_offsets.begin(), next_offsets.end());
  std::fill(at_end_.begin(), at_end_.end(), false);
  std::fill(unsettled_since_.begin(), unsettled_since_.end(), std::nullopt);
  std::fill(silent_for_.begin(), silent_for_.end(), Clock::duration::zero());
  deferred_error_ = absl::OkStatus();
  return absl::OkStatus();
}

absl::Status KafkaReader::Assign(rd_kafka_topic_partition_list_t* positions) {
  if (rd_kafka_resp_err_t error = rd_kafka_assign(consumer_.get(), positions);
      error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return KafkaStatus(error, fmt::format("assigning the partitions of topic {}", topic_));
  }
  assigned_ = true;
  return absl::OkStatus();
}

absl::Status KafkaReader::SeekAssigned(rd_kafka_topic_partition_list_t* positions) {
  const Clock::time_point deadline = Clock::now() + silence_;
  for (;;) {
    KafkaError error(
        rd_kafka_seek_partitions(consumer_.get(), positions, TimeoutMs(Remaining(deadline))));
    if (error != nullptr) {
      return KafkaStatus(
          rd_kafka_error_code(error.get()),
          fmt::format("seeking in topic {}: {}", topic_, rd_kafka_error_string(error.get())));
    }
    // A partition whose fetcher has not started yet (its assignment is
    // served in the background) refuses a seek: try again shortly.
    bool retry = false;
    for (int i = 0; i < positions->cnt; ++i) {
      const rd_kafka_resp_err_t refused = positions->elems[i].err;
      if (refused == RD_KAFKA_RESP_ERR_NO_ERROR) continue;
      const bool starting =
          refused == RD_KAFKA_RESP_ERR__STATE || refused == RD_KAFKA_RESP_ERR__PREV_IN_PROGRESS;
      if (!starting || Remaining(deadline).count() == 0) {
        return KafkaStatus(refused, fmt::format("seeking partition {} of topic {} to offset {}",
                                                positions->elems[i].partition, topic_,
                                                positions->elems[i].offset));
      }
      retry = true;
    }
    if (!retry) return absl::OkStatus();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

absl::Status KafkaReader::CheckSeekWithinLog(std::span<const std::int64_t> next_offsets) {
  for (std::int32_t partition = 0; partition < partition_count_; ++partition) {
    const std::int64_t next = next_offsets[static_cast<std::size_t>(partition)];
    if (next == 0) continue;
    std::int64_t low = 0;
    std::int64_t high = 0;
    if (rd_kafka_resp_err_t error = rd_kafka_query_watermark_offsets(
            consumer_.get(), topic_.c_str(), partition, &low, &high, TimeoutMs(silence_));
        error != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return KafkaStatus(
          error, fmt::format("finding where partition {} of topic {} ends", partition, topic_));
    }
    if (high < next) {
      return absl::DataLossError(fmt::format(
          "kafka log: partition {} of topic {} ends at offset {}, before offset {} which its "
          "reader already consumed: the log lost records",
          partition, topic_, high, next - 1));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ReadBatch> KafkaReader::Read(std::size_t max_records,
                                            std::chrono::milliseconds wait) {
  if (!deferred_error_.ok()) return std::exchange(deferred_error_, absl::OkStatus());
  if (!assigned_) {
    if (absl::Status assigned = Seek(next_offsets_); !assigned.ok()) return assigned;
  }
  ReadBatch batch;
  const Clock::time_point started = Clock::now();
  const Clock::time_point deadline = started + wait;
  std::fill(heard_.begin(), heard_.end(), false);
  bool reached_end = false;
  // Wait for a first record, or for every partition to reach its end now.
  while (max_records > 0 && batch.records.empty() && !(reached_end && AllAtEnd())) {
    KafkaMessage message(
        rd_kafka_consumer_poll(consumer_.get(), TimeoutMs(Remaining(NextSettling(deadline)))));
    if (message != nullptr) {
      if (absl::Status taken = Take(*message, batch, reached_end); !taken.ok()) return taken;
    }
    if (SettleEnds(Clock::now())) reached_end = true;
    if (message == nullptr && Remaining(deadline).count() == 0) break;
  }
  // Then take what is already fetched, without waiting.
  while (batch.records.size() < max_records) {
    KafkaMessage message(rd_kafka_consumer_poll(consumer_.get(), 0));
    if (message == nullptr) break;
    if (absl::Status taken = Take(*message, batch, reached_end); !taken.ok()) {
      if (batch.records.empty()) return taken;
      deferred_error_ = std::move(taken);
      break;
    }
  }
  SettleEnds(Clock::now());
  if (absl::Status silent = CountSilence(Clock::now() - started);
      !silent.ok() && deferred_error_.ok()) {
    if (batch.records.empty()) return silent;
    deferred_error_ = std::move(silent);
  }
  batch.caught_up = deferred_error_.ok() && AllAtEnd();
  return batch;
}

absl::Status KafkaReader::Take(const rd_kafka_message_t& message, ReadBatch& batch,
                               bool& reached_end) {
  const bool ours = message.rkt != nullptr && rd_kafka_topic_name(message.rkt) == topic_ &&
                    message.partition >= 0 && message.partition < partition_count_;
  if (ours) heard_[static_cast<std::size_t>(message.partition)] = true;
  if (message.err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
    if (!ours) return absl::OkStatus();
    const auto partition = static_cast<std::size_t>(message.partition);
    if (IsHighWatermark(message.partition, message.offset)) {
      at_end_[partition] = true;
      unsettled_since_[partition].reset();
      reached_end = true;
    } else if (!at_end_[partition] && !unsettled_since_[partition].has_value()) {
      unsettled_since_[partition] = Clock::now();  // the first, to bound the wait
    }
    return absl::OkStatus();
  }
  if (message.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    const rd_kafka_resp_err_t error = message.err;
    const std::string detail =
        fmt::format("{} ({})", rd_kafka_message_errstr(&message), rd_kafka_err2name(error));
    if (!ours) {
      spdlog::warn("kafka reader of topic {}: {}", topic_, detail);
      return absl::OkStatus();
    }
    const bool corrupt = error == RD_KAFKA_RESP_ERR__BAD_MSG ||
                         error == RD_KAFKA_RESP_ERR_INVALID_MSG ||
                         error == RD_KAFKA_RESP_ERR__BAD_COMPRESSION;
    return absl::Status(corrupt ? absl::StatusCode::kDataLoss : absl::StatusCode::kUnavailable,
                        fmt::format("reading topic {} partition {} at offset {}: {}", topic_,
                                    message.partition, message.offset, detail));
  }
  if (!ours) return absl::OkStatus();  // not assigned: cannot happen
  const auto partition = static_cast<std::size_t>(message.partition);
  if (message.offset < next_offsets_[partition]) return absl::OkStatus();
  at_end_[partition] = false;
  unsettled_since_[partition].reset();
  next_offsets_[partition] = message.offset + 1;
  batch.records.push_back(events::LogRecord{
      .partition = message.partition,
      .offset = message.offset,
      .key = BytesOf(message.key, message.key_len),
      .value = BytesOf(message.payload, message.len),
  });
  return absl::OkStatus();
}

bool KafkaReader::IsHighWatermark(std::int32_t partition, std::int64_t offset) {
  std::int64_t low = 0;
  std::int64_t high = 0;
  // The watermarks cached from the last fetch response: no broker request.
  const rd_kafka_resp_err_t error =
      rd_kafka_get_watermark_offsets(consumer_.get(), topic_.c_str(), partition, &low, &high);
  return error == RD_KAFKA_RESP_ERR_NO_ERROR && high >= 0 && offset >= high;
}

bool KafkaReader::SettleEnds(Clock::time_point now) {
  bool settled = false;
  for (std::size_t partition = 0; partition < unsettled_since_.size(); ++partition) {
    const auto& since = unsettled_since_[partition];
    if (since.has_value() && now - *since >= unsettled_end_grace_) {
      at_end_[partition] = true;
      unsettled_since_[partition].reset();
      settled = true;
    }
  }
  return settled;
}

Clock::time_point KafkaReader::NextSettling(Clock::time_point deadline) const {
  Clock::time_point next = deadline;
  for (const auto& since : unsettled_since_) {
    if (since.has_value()) next = std::min(next, *since + unsettled_end_grace_);
  }
  return next;
}

absl::Status KafkaReader::CountSilence(Clock::duration spent) {
  for (std::size_t partition = 0; partition < at_end_.size(); ++partition) {
    if (heard_[partition] || at_end_[partition]) {
      silent_for_[partition] = Clock::duration::zero();
    } else {
      silent_for_[partition] += spent;
    }
  }
  for (std::size_t partition = 0; partition < at_end_.size(); ++partition) {
    if (silent_for_[partition] <= silence_) continue;
    return absl::UnavailableError(fmt::format(
        "reading topic {} partition {} at offset {}: nothing (no record, no end) came from its "
        "leader for {} ms; the broker that leads it is down or unreachable, or the partition "
        "has no leader (too few brokers of the cluster are running)",
        topic_, partition, next_offsets_[partition], silence_.count()));
  }
  return absl::OkStatus();
}

bool KafkaReader::AllAtEnd() const {
  return std::all_of(at_end_.begin(), at_end_.end(), [](bool at_end) { return at_end; });
}

}  // namespace careledger::ledger::internal
