#include "tests/support/memory_log.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>

namespace careledger::testing {

struct MemoryLog::State {
  std::mutex mutex;
  std::condition_variable appended;  // notified after every append
  // Fixed in number at construction; each partition's records guarded by mutex.
  std::vector<std::vector<events::LogRecord>> partitions;
  std::map<std::string, std::uint64_t, std::less<>> epochs;  // writer id -> latest; mutex
  int appends = 0;                                           // guarded by mutex
};

namespace {

using State = MemoryLog::State;

class MemoryLogWriter final : public ledger::LogWriter {
 public:
  MemoryLogWriter(std::shared_ptr<State> state, std::string writer_id, std::uint64_t epoch)
      : state_(std::move(state)), writer_id_(std::move(writer_id)), epoch_(epoch) {}

  std::int32_t partition_count() const override {
    return static_cast<std::int32_t>(state_->partitions.size());
  }

  absl::StatusOr<std::vector<ledger::LogPosition>> Append(
      std::span<const ledger::AppendRecord> records) override {
    std::vector<ledger::LogPosition> positions;
    {
      std::lock_guard<std::mutex> lock(state_->mutex);
      auto epoch = state_->epochs.find(writer_id_);
      if (epoch == state_->epochs.end() || epoch->second != epoch_) {
        return absl::AbortedError(fmt::format("fenced: writer {} was reopened", writer_id_));
      }
      for (const ledger::AppendRecord& record : records) {
        if (record.partition < 0 || record.partition >= partition_count()) {
          return absl::InvalidArgumentError(
              fmt::format("partition {} is outside the log", record.partition));
        }
      }
      positions.reserve(records.size());
      for (const ledger::AppendRecord& record : records) {
        std::vector<events::LogRecord>& partition = state_->partitions[record.partition];
        const auto offset = static_cast<std::int64_t>(partition.size());
        partition.push_back(events::LogRecord{record.partition, offset, record.key, record.value});
        positions.push_back(ledger::LogPosition{record.partition, offset});
      }
      ++state_->appends;
    }
    state_->appended.notify_all();
    return positions;
  }

 private:
  std::shared_ptr<State> state_;
  std::string writer_id_;
  std::uint64_t epoch_;
};

class MemoryLogReader final : public ledger::LogReader {
 public:
  explicit MemoryLogReader(std::shared_ptr<State> state)
      : state_(std::move(state)), next_offsets_(state_->partitions.size(), 0) {}

  std::int32_t partition_count() const override {
    return static_cast<std::int32_t>(state_->partitions.size());
  }

  absl::Status Seek(std::span<const std::int64_t> next_offsets) override {
    if (next_offsets.size() != next_offsets_.size()) {
      return absl::InvalidArgumentError("Seek needs one offset per partition");
    }
    next_offsets_.assign(next_offsets.begin(), next_offsets.end());
    end_reported_ = false;
    return absl::OkStatus();
  }

  absl::StatusOr<ledger::ReadBatch> Read(std::size_t max_records,
                                         std::chrono::milliseconds wait) override {
    std::unique_lock<std::mutex> lock(state_->mutex);
    ledger::ReadBatch batch = Take(max_records);
    if (!batch.records.empty() || !batch.caught_up) {
      end_reported_ = false;
      return batch;
    }
    if (!end_reported_) {
      end_reported_ = true;
      return batch;
    }
    // Already at the end: wait for an append, then return what it brought.
    const int appends = state_->appends;
    state_->appended.wait_for(lock, wait, [&] { return state_->appends != appends; });
    batch = Take(max_records);
    if (!batch.records.empty()) end_reported_ = false;
    return batch;
  }

 private:
  // Up to max_records from the next offsets; caught_up when every partition
  // was read to its end. Called with the mutex held.
  ledger::ReadBatch Take(std::size_t max_records) {
    ledger::ReadBatch batch;
    batch.caught_up = true;
    for (std::size_t p = 0; p < state_->partitions.size(); ++p) {
      const std::vector<events::LogRecord>& partition = state_->partitions[p];
      for (auto offset = std::max<std::int64_t>(next_offsets_[p], 0);
           offset < static_cast<std::int64_t>(partition.size()); ++offset) {
        if (batch.records.size() >= max_records) {
          batch.caught_up = false;
          return batch;
        }
        batch.records.push_back(partition[static_cast<std::size_t>(offset)]);
        next_offsets_[p] = offset + 1;
      }
    }
    return batch;
  }

  std::shared_ptr<State> state_;
  std::vector<std::int64_t> next_offsets_;
  bool end_reported_ = false;  // caught_up was returned and nothing came since
};

}  // namespace

MemoryLog::MemoryLog(std::int32_t partitions) : state_(std::make_shared<State>()) {
  state_->partitions.resize(static_cast<std::size_t>(std::max(partitions, 1)));
}

std::unique_ptr<MemoryLog> MemoryLog::Clone() const {
  auto copy = std::make_unique<MemoryLog>(partition_count());
  std::lock_guard<std::mutex> lock(state_->mutex);
  copy->state_->partitions = state_->partitions;
  return copy;
}

std::vector<events::LogRecord> MemoryLog::Records() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  std::vector<events::LogRecord> records;
  for (const auto& partition : state_->partitions) {
    records.insert(records.end(), partition.begin(), partition.end());
  }
  return records;
}

std::size_t MemoryLog::size() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  std::size_t total = 0;
  for (const auto& partition : state_->partitions) total += partition.size();
  return total;
}

int MemoryLog::appends() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->appends;
}

std::int32_t MemoryLog::partition_count() const {
  return static_cast<std::int32_t>(state_->partitions.size());
}

absl::StatusOr<std::unique_ptr<ledger::LogWriter>> MemoryLog::OpenWriter(
    std::string_view writer_id) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  const std::uint64_t epoch = ++state_->epochs[std::string(writer_id)];
  return std::unique_ptr<ledger::LogWriter>(
      new MemoryLogWriter(state_, std::string(writer_id), epoch));
}

absl::StatusOr<std::unique_ptr<ledger::LogReader>> MemoryLog::OpenReader() {
  return std::unique_ptr<ledger::LogReader>(new MemoryLogReader(state_));
}

}  // namespace careledger::testing
