// SHA-256 through OpenSSL, as used by the hash chain and checkpoints.
#ifndef CARELEDGER_EVENTS_SHA256_H_
#define CARELEDGER_EVENTS_SHA256_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace careledger::events {

using Hash = std::array<std::uint8_t, 32>;

// 32 zero bytes: the prev_hash of a stream's first event.
inline constexpr Hash kZeroHash{};

Hash Sha256(std::string_view bytes);

// The hash as a std::string of 32 raw bytes (for protobuf `bytes` fields).
std::string HashBytes(const Hash& hash);
// Parses 32 raw bytes; false if `bytes` has another length.
bool HashFromBytes(std::string_view bytes, Hash* out);
// Lower-case hexadecimal, for people and logs.
std::string HashHex(const Hash& hash);

// Incremental hashing for inputs built from several pieces.
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;

  void Update(std::string_view bytes);
  // Returns the digest; the hasher must not be used afterwards.
  Hash Finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace careledger::events

#endif  // CARELEDGER_EVENTS_SHA256_H_
