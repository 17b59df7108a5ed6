#include "events/own_signatures.h"

#include <algorithm>

namespace careledger::events {

void OwnSignatures::Remember(const Hash& value_hash, std::string_view public_key) {
  if (public_key.size() != kEd25519PublicKeySize) return;
  PublicKey key;
  std::copy(public_key.begin(), public_key.end(), key.begin());
  std::lock_guard lock(mutex_);
  auto [it, inserted] = signer_of_.try_emplace(value_hash, key);
  if (!inserted) {
    it->second = key;
    return;
  }
  oldest_first_.push_back(value_hash);
  if (oldest_first_.size() > kCapacity) {
    signer_of_.erase(oldest_first_.front());
    oldest_first_.pop_front();
  }
  empty_.store(false, std::memory_order_release);
}

bool OwnSignatures::Made(const Hash& value_hash, std::string_view public_key) const {
  if (empty_.load(std::memory_order_acquire) || public_key.size() != kEd25519PublicKeySize) {
    return false;
  }
  std::lock_guard lock(mutex_);
  auto it = signer_of_.find(value_hash);
  return it != signer_of_.end() &&
         std::string_view(it->second.data(), it->second.size()) == public_key;
}

std::size_t OwnSignatures::size() const {
  std::lock_guard lock(mutex_);
  return signer_of_.size();
}

}  // namespace careledger::events
