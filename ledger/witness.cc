#include "ledger/witness.h"

#include <fmt/format.h>

namespace careledger::ledger {

bool HashFromHex(const std::string& hex, events::Hash* out) {
  if (hex.size() != 2 * out->size()) return false;
  for (std::size_t i = 0; i < out->size(); ++i) {
    unsigned value = 0;
    for (int nibble = 0; nibble < 2; ++nibble) {
      const char c = hex[2 * i + nibble];
      value <<= 4;
      if (c >= '0' && c <= '9') {
        value |= static_cast<unsigned>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        value |= static_cast<unsigned>(c - 'a' + 10);
      } else {
        return false;
      }
    }
    (*out)[i] = static_cast<std::uint8_t>(value);
  }
  return true;
}

WitnessCheck::WitnessCheck(std::vector<Witness> witnesses, std::int32_t partitions)
    : witnesses_(std::move(witnesses)),
      digests_(partitions),
      reached_(witnesses_.size(), false),
      matched_(witnesses_.size(), false) {
  // A witness of an empty partition is satisfied by an empty start.
  for (std::size_t i = 0; i < witnesses_.size(); ++i) {
    if (witnesses_[i].digest.record_count == 0 &&
        witnesses_[i].digest.running == events::kZeroHash) {
      reached_[i] = true;
      matched_[i] = true;
    }
  }
}

void WitnessCheck::Reach(std::size_t i, const events::PartitionDigest& digest) {
  const Witness& witness = witnesses_[i];
  reached_[i] = true;
  matched_[i] = digest == witness.digest;
  if (!matched_[i]) {
    mismatches_.push_back(fmt::format(
        "{}: partition {}: the history up to offset {} differs from the witness ({} records "
        "hashing to {}; the log has {} hashing to {}): it was rewritten",
        witness.source, witness.partition, digest.last_offset, witness.digest.record_count,
        events::HashHex(witness.digest.running), digest.record_count,
        events::HashHex(digest.running)));
  }
}

void WitnessCheck::Observe(std::int32_t partition, const events::VerifiedRecord& record) {
  if (partition < 0 || partition >= static_cast<std::int32_t>(digests_.size())) return;
  events::PartitionDigest& digest = digests_[partition];
  digest.Add(record.offset, record.opened.value_hash);
  for (std::size_t i = 0; i < witnesses_.size(); ++i) {
    const Witness& witness = witnesses_[i];
    if (witness.partition != partition || reached_[i] ||
        witness.digest.last_offset != record.offset) {
      continue;
    }
    Reach(i, digest);
  }
}

std::vector<std::string> WitnessCheck::Resume(std::int32_t partition,
                                              const events::PartitionDigest& digest) {
  std::vector<std::string> unchecked;
  if (partition < 0 || partition >= static_cast<std::int32_t>(digests_.size())) return unchecked;
  digests_[partition] = digest;
  for (std::size_t i = 0; i < witnesses_.size(); ++i) {
    const Witness& witness = witnesses_[i];
    if (witness.partition != partition || reached_[i] ||
        witness.digest.last_offset > digest.last_offset) {
      continue;
    }
    if (witness.digest.last_offset < digest.last_offset) {
      unchecked.push_back(fmt::format("{}: partition {}: offset {} precedes the resume point {}",
                                      witness.source, partition, witness.digest.last_offset,
                                      digest.last_offset));
      continue;
    }
    Reach(i, digest);
  }
  return unchecked;
}

std::vector<std::string> WitnessCheck::Failures() const {
  std::vector<std::string> failures = mismatches_;
  for (std::size_t i = 0; i < witnesses_.size(); ++i) {
    if (reached_[i]) continue;
    const Witness& witness = witnesses_[i];
    const bool known_partition =
        witness.partition >= 0 && witness.partition < static_cast<std::int32_t>(digests_.size());
    failures.push_back(fmt::format(
        "{}: partition {}: the witness covers {} records up to offset {}, but the verified log "
        "{}: acknowledged records were lost (a cut tail) or replaced",
        witness.source, witness.partition, witness.digest.record_count, witness.digest.last_offset,
        known_partition ? fmt::format("has no record at that offset (it ends at offset {})",
                                      digests_[witness.partition].last_offset)
                        : std::string("has no such partition")));
  }
  return failures;
}

std::vector<Witness> WitnessCheck::Confirmed() const {
  std::vector<Witness> confirmed;
  for (std::size_t i = 0; i < witnesses_.size(); ++i) {
    if (matched_[i]) confirmed.push_back(witnesses_[i]);
  }
  return confirmed;
}

std::vector<WitnessCheck::Outcome> WitnessCheck::Outcomes() const {
  std::vector<Outcome> outcomes;
  for (std::size_t i = 0; i < witnesses_.size(); ++i) {
    outcomes.push_back(!reached_[i]  ? Outcome::kCut
                       : matched_[i] ? Outcome::kConfirmed
                                     : Outcome::kRewritten);
  }
  return outcomes;
}

}  // namespace careledger::ledger
