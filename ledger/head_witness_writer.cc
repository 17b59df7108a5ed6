#include "ledger/head_witness_writer.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "ledger/head_witness.h"

namespace careledger::ledger {

HeadWitnessWriter::HeadWitnessWriter(std::string path)
    : path_(std::move(path)), thread_([this](std::stop_token stop) { Run(std::move(stop)); }) {}

HeadWitnessWriter::~HeadWitnessWriter() {
  thread_.request_stop();
  changed_.notify_all();
  // jthread joins; Run writes what is pending before it returns.
}

void HeadWitnessWriter::Update(std::span<const events::PartitionDigest> digests) {
  {
    std::lock_guard lock(mutex_);
    newest_.emplace(digests.begin(), digests.end());
    ++handed_over_;
  }
  changed_.notify_all();
}

void HeadWitnessWriter::Flush() {
  std::unique_lock lock(mutex_);
  const std::uint64_t target = handed_over_;
  changed_.wait(lock, [&] { return done_ >= target; });
}

void HeadWitnessWriter::Run(std::stop_token stop) {
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, stop, [&] { return newest_.has_value(); });
    if (!newest_) return;  // stopping, nothing pending
    std::vector<events::PartitionDigest> digests = *std::move(newest_);
    newest_.reset();
    const std::uint64_t covered = handed_over_;
    lock.unlock();
    if (absl::Status written = WriteHeadWitness(path_, digests); !written.ok()) {
      spdlog::warn("the head witness was not updated: {}", std::string(written.message()));
    }
    lock.lock();
    done_ = covered;
    changed_.notify_all();
  }
}

}  // namespace careledger::ledger
