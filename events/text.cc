#include "events/text.h"

#include <fmt/format.h>

namespace careledger::events {
namespace {

enum class Step { kCharacter, kInvalid, kIncomplete };

struct Decoded {
  Step step;
  char32_t code_point = 0;
  std::size_t length = 1;  // bytes taken (1 for an invalid byte)
};

// Decodes the character starting at text[0] (text is not empty). kIncomplete
// when `text` ends inside a character that is valid so far.
Decoded DecodeOne(std::string_view text) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return {Step::kCharacter, lead, 1};
  std::size_t length;
  char32_t code_point;
  char32_t minimum;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2, code_point = lead & 0x1F, minimum = 0x80;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3, code_point = lead & 0x0F, minimum = 0x800;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4, code_point = lead & 0x07, minimum = 0x10000;
  } else {
    return {Step::kInvalid};
  }
  for (std::size_t i = 1; i < length; ++i) {
    if (i >= text.size()) return {Step::kIncomplete};
    if ((byte(i) & 0xC0) != 0x80) return {Step::kInvalid};
    code_point = (code_point << 6) | (byte(i) & 0x3F);
    // Reject overlong, surrogate and too large forms as early as they show.
    if (i == 1) {
      const char32_t partial_min = minimum >> (6 * (length - 2));
      if (length > 2 && code_point < partial_min) return {Step::kInvalid};
      if (length == 3 && code_point >= (0xD800 >> 6) && code_point <= (0xDFFF >> 6)) {
        return {Step::kInvalid};
      }
      if (length == 4 && code_point > (0x10FFFF >> 12)) return {Step::kInvalid};
    }
  }
  if (code_point < minimum) return {Step::kInvalid};
  return {Step::kCharacter, code_point, length};
}

void AppendByteEscape(unsigned char byte, std::string* out) {
  out->append(fmt::format("\\x{:02x}", byte));
}

}  // namespace

bool IsControlCharacter(char32_t c) {
  return c < 0x20 || (c >= 0x7F && c <= 0x9F) || (c >= 0x202A && c <= 0x202E) ||
         (c >= 0x2066 && c <= 0x2069);
}

std::optional<std::size_t> CountCharacters(std::string_view text) {
  std::size_t count = 0;
  while (!text.empty()) {
    const Decoded decoded = DecodeOne(text);
    if (decoded.step != Step::kCharacter) return std::nullopt;
    text.remove_prefix(decoded.length);
    ++count;
  }
  return count;
}

std::string TextProblem(std::string_view text, std::string_view allowed) {
  std::size_t position = 1;
  while (!text.empty()) {
    const Decoded decoded = DecodeOne(text);
    if (decoded.step != Step::kCharacter) {
      std::string escaped;
      AppendByteEscape(static_cast<unsigned char>(text[0]), &escaped);
      return fmt::format("not valid UTF-8 (byte {}) at character {}", escaped, position);
    }
    const char32_t c = decoded.code_point;
    if (IsControlCharacter(c) &&
        !(c < 0x80 && allowed.find(static_cast<char>(c)) != std::string_view::npos)) {
      return fmt::format("a control character ({}) at character {}",
                         EscapeControls(text.substr(0, decoded.length), ""), position);
    }
    text.remove_prefix(decoded.length);
    ++position;
  }
  return "";
}

void TerminalEscaper::Escape(char32_t c, std::string* out) const {
  if (c < 0x20 && json_strings_) {
    out->push_back(static_cast<char>(c));  // a JSON encoder's own output: it escapes C0 in strings
  } else if (c < 0x20 || (c == 0x7F && !json_strings_)) {
    AppendByteEscape(static_cast<unsigned char>(c), out);
  } else {
    out->append(fmt::format("\\u{:04x}", static_cast<std::uint32_t>(c)));
  }
}

void TerminalEscaper::Feed(std::string_view piece, std::string* out) {
  std::string joined;
  if (!held_.empty()) {
    joined = std::move(held_) + std::string(piece);
    held_.clear();
    piece = joined;
  }
  while (!piece.empty()) {
    const Decoded decoded = DecodeOne(piece);
    if (decoded.step == Step::kIncomplete) {
      held_.assign(piece);
      return;
    }
    if (decoded.step == Step::kInvalid) {
      if (json_strings_) {
        out->append("\\ufffd");  // only inside strings: a JSON encoder wrote nothing else
      } else {
        AppendByteEscape(static_cast<unsigned char>(piece[0]), out);
      }
    } else if (IsControlCharacter(decoded.code_point) &&
               !(decoded.code_point < 0x80 &&
                 keep_.find(static_cast<char>(decoded.code_point)) != std::string::npos)) {
      Escape(decoded.code_point, out);
    } else {
      out->append(piece.substr(0, decoded.length));
    }
    piece.remove_prefix(decoded.length);
  }
}

void TerminalEscaper::Finish(std::string* out) {
  for (char byte : held_) {
    if (json_strings_) {
      out->append("\\ufffd");
    } else {
      AppendByteEscape(static_cast<unsigned char>(byte), out);
    }
  }
  held_.clear();
}

std::string EscapeControls(std::string_view text, std::string_view keep) {
  std::string out;
  out.reserve(text.size());
  TerminalEscaper escaper(keep);
  escaper.Feed(text, &out);
  escaper.Finish(&out);
  return out;
}

std::string RecordableText(std::string_view text, std::size_t max_characters) {
  std::string escaped = EscapeControls(text.substr(0, 4 * max_characters + 4), "");
  // The escaped text is valid UTF-8; cut it after max_characters characters.
  std::size_t characters = 0;
  std::size_t end = 0;
  while (end < escaped.size() && characters < max_characters) {
    end += DecodeOne(std::string_view(escaped).substr(end)).length;
    ++characters;
  }
  if (end == escaped.size() && text.size() <= 4 * max_characters + 4) return escaped;
  escaped.resize(end);
  return fmt::format("{}… [cut: {} bytes]", escaped, text.size());
}

}  // namespace careledger::events
