#include "tools/fhir_json.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <iterator>

#include "events/sha256.h"
#include "events/text.h"

namespace careledger::tools {

using nlohmann::json;

json FhirCoding(std::string_view system, std::string_view code, std::string_view display) {
  json coding = {{"system", system}, {"code", code}};
  if (!display.empty()) coding["display"] = display;
  return coding;
}

json FhirConcept(json coding, const std::string& text) {
  json concept_json = {{"coding", json::array({std::move(coding)})}};
  if (!text.empty()) concept_json["text"] = text;
  return concept_json;
}

json FhirIdentifier(std::string_view system, const std::string& value) {
  return {{"system", system}, {"value", value}};
}

std::string XhtmlEscaped(const std::string& text) {
  std::string escaped;
  for (const char c : text) {
    switch (c) {
      case '&':
        escaped += "&amp;";
        break;
      case '<':
        escaped += "&lt;";
        break;
      case '>':
        escaped += "&gt;";
        break;
      case '"':
        escaped += "&quot;";
        break;
      default:
        escaped += c;
    }
  }
  return escaped;
}

json FhirNarrative(const std::string& text) {
  return {{"status", "generated"},
          {"div", fmt::format("<div xmlns=\"http://www.w3.org/1999/xhtml\">{}</div>",
                              XhtmlEscaped(text))}};
}

std::string NameUuid(std::string_view name) {
  const events::Hash hash = events::Sha256(name);
  std::array<std::uint8_t, 16> bytes{};
  std::copy_n(hash.begin(), bytes.size(), bytes.begin());
  bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0f) | 0x80);
  bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3f) | 0x80);
  std::string text;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text += '-';
    fmt::format_to(std::back_inserter(text), "{:02x}", bytes[i]);
  }
  return text;
}

std::string FhirDump(const json& document) {
  std::string escaped;
  events::TerminalEscaper escaper("", /*json_strings=*/true);
  escaper.Feed(document.dump(-1, ' ', false, json::error_handler_t::replace), &escaped);
  escaper.Finish(&escaped);
  return escaped;
}

}  // namespace careledger::tools
