// The records this process signed, remembered so that verifiers in the same
// process need not check their Ed25519 signatures again: the service's
// projector reads back every access record its writer just signed, and
// checking each signature anew was a tenth of the service's CPU at 1,000
// reads/s (docs/benchmarks.md).
//
// Contract. A record is named by the SHA-256 of its whole value
// (OpenedRecord::value_hash), which covers the signed event bytes, the key id
// and the signature, and is remembered with the public key whose private half
// signed it. Made() is true only for that value under that same public key:
// Ed25519 verification is a function of (public key, signed bytes,
// signature), and a signature made with a private key verifies under its
// public half. A record altered on its way back through the log has another
// hash, and a keyring that names another public key for the key id does not
// match: both are verified in full. Only a signer may Remember, and only what
// it signed. `careledger verify` and every other process that signs nothing
// verify everything.
//
// Bounded: the newest kCapacity records are remembered, older ones are
// verified as usual. Safe to use from many threads at once.
#ifndef CARELEDGER_EVENTS_OWN_SIGNATURES_H_
#define CARELEDGER_EVENTS_OWN_SIGNATURES_H_

#include <atomic>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "events/ed25519.h"
#include "events/sha256.h"

namespace careledger::events {

class OwnSignatures {
 public:
  // About 16 s of records at 1,000 a second; a reader further behind than
  // that verifies as any other reader does.
  static constexpr std::size_t kCapacity = 16'384;

  // Notes that this process signed the record whose value hashes to
  // `value_hash` with the private half of `public_key` (32 bytes; anything
  // else is ignored, never remembered).
  void Remember(const Hash& value_hash, std::string_view public_key);

  // True if Remember was given this value hash with this public key, and it
  // is among the newest kCapacity remembered.
  bool Made(const Hash& value_hash, std::string_view public_key) const;

  std::size_t size() const;

 private:
  using PublicKey = std::array<char, kEd25519PublicKeySize>;
  mutable std::mutex mutex_;
  absl::flat_hash_map<Hash, PublicKey> signer_of_;
  std::deque<Hash> oldest_first_;
  // Made() on an empty memo (a process that signs nothing) takes no lock.
  std::atomic<bool> empty_{true};
};

}  // namespace careledger::events

#endif  // CARELEDGER_EVENTS_OWN_SIGNATURES_H_
