// Untrusted text: UTF-8 checks, counting characters, and the one escape that
// neutralises characters able to steer a terminal or reorder what a reader
// sees. Used where text comes in (ledger/input_rules.h refuses it), where a
// refused attempt is recorded (ledger/decide.h: the record holds the escaped,
// truncated form) and where text goes out (tools/output.h: every human output
// passes through TerminalEscaper).
//
// The characters treated as controls (docs/domain.md, "Characters"):
//   C0 U+0000..U+001F, DEL U+007F, C1 U+0080..U+009F, the bidirectional
//   embeddings and overrides U+202A..U+202E and isolates U+2066..U+2069.
// The escape: a C0 or DEL character becomes "\xNN" (ESC is "\x1b"), any other
// control becomes "\uNNNN" (CSI is "\u009b", RLO is "\u202e": the same form
// is valid inside a JSON string), and each byte that is not part of valid
// UTF-8 becomes "\xNN" too; everything else, the backslash included, is kept
// as it is.
#ifndef CARELEDGER_EVENTS_TEXT_H_
#define CARELEDGER_EVENTS_TEXT_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace careledger::events {

// True for the control characters listed above.
bool IsControlCharacter(char32_t code_point);

// The number of characters (Unicode code points) of `text`, or nullopt when
// it is not valid UTF-8 (overlong forms, surrogates and values past U+10FFFF
// are invalid).
std::optional<std::size_t> CountCharacters(std::string_view text);

// What is wrong with `text` as input, or "" when nothing is: invalid UTF-8,
// or a control character other than those in `allowed` (e.g. "\n\t" for free
// text). The answer never contains the offending bytes: it names the
// character by its escape and its position ("a control character (\x1b) at
// character 4").
std::string TextProblem(std::string_view text, std::string_view allowed = {});

// Escapes text arriving in pieces (a multi-byte character may be split across
// pieces). `keep` lists the C0 characters passed through unescaped ("\n",
// "\n\t" for terminals). With `json_strings`, for text a JSON encoder wrote:
// C0 characters are left alone (the encoder escaped those inside strings),
// DEL becomes "\u007f" and bytes that are not UTF-8 "\ufffd", so the
// result stays valid JSON.
class TerminalEscaper {
 public:
  explicit TerminalEscaper(std::string_view keep = "\n\t", bool json_strings = false)
      : keep_(keep), json_strings_(json_strings) {}

  // Appends the escaped form of `piece` to `out`; an incomplete character at
  // the end is held until the next piece.
  void Feed(std::string_view piece, std::string* out);
  // Appends what is held (an incomplete character, escaped as bytes).
  void Finish(std::string* out);

 private:
  void Escape(char32_t code_point, std::string* out) const;
  std::string keep_;
  bool json_strings_;
  std::string held_;  // the first bytes of an incomplete character
};

// `text` with every control character escaped (`keep` passed through).
std::string EscapeControls(std::string_view text, std::string_view keep = "\n\t");

// `text` as it may be written into a record or a message about untrusted
// input: every control escaped (newlines and tabs too), then cut to at most
// `max_characters` characters, saying so: "abc… [cut: 1048576 bytes]".
std::string RecordableText(std::string_view text, std::size_t max_characters);

}  // namespace careledger::events

#endif  // CARELEDGER_EVENTS_TEXT_H_
