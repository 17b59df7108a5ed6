// Splitting one fuzz input into the several byte strings a target needs.
//
// An input is a sequence of pieces, each a 4-byte big-endian length followed
// by that many bytes; a length past the end takes what is left, and reading
// past the end gives empty pieces and zero bytes, so every input is valid.
// tests/fuzz/make_corpus.cc writes the seed corpora in this format
// (EncodePiece), so libFuzzer starts from real records.
#ifndef CARELEDGER_TESTS_FUZZ_FUZZ_INPUT_H_
#define CARELEDGER_TESTS_FUZZ_FUZZ_INPUT_H_

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace careledger::fuzz {

class FuzzInput {
 public:
  FuzzInput(const std::uint8_t* data, std::size_t size)
      : rest_(reinterpret_cast<const char*>(data), size) {}

  bool empty() const { return rest_.empty(); }

  // The next byte, 0 at the end.
  std::uint8_t Byte() {
    if (rest_.empty()) return 0;
    const auto byte = static_cast<std::uint8_t>(rest_.front());
    rest_.remove_prefix(1);
    return byte;
  }

  // The next piece, "" at the end. The view points into the fuzz input.
  std::string_view Piece() {
    std::uint32_t length = 0;
    for (int i = 0; i < 4; ++i) length = (length << 8) | Byte();
    const std::size_t taken = length < rest_.size() ? length : rest_.size();
    const std::string_view piece = rest_.substr(0, taken);
    rest_.remove_prefix(taken);
    return piece;
  }

 private:
  std::string_view rest_;
};

// The encoding FuzzInput::Piece reads.
inline std::string EncodePiece(std::string_view bytes) {
  std::string piece;
  const auto length = static_cast<std::uint32_t>(bytes.size());
  for (int i = 0; i < 4; ++i) piece.push_back(static_cast<char>((length >> (24 - 8 * i)) & 0xFF));
  piece.append(bytes);
  return piece;
}

// A broken contract: says which and aborts, so libFuzzer records the input as
// a crash. (assert() would vanish in a Release build.)
#define CARELEDGER_FUZZ_CHECK(condition)                                                    \
  do {                                                                                      \
    if (!(condition)) {                                                                     \
      std::fprintf(stderr, "%s:%d: contract broken: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                         \
    }                                                                                       \
  } while (false)

}  // namespace careledger::fuzz

#endif  // CARELEDGER_TESTS_FUZZ_FUZZ_INPUT_H_
