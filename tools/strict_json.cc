#include "tools/strict_json.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <string>

#include "events/text.h"

namespace careledger::tools {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using nlohmann::json;

// How a value is shown in a refusal: short, with controls escaped.
std::string Shown(const json& value) {
  return events::RecordableText(value.dump(-1, ' ', false, json::error_handler_t::replace), 40);
}

absl::Status CheckMessage(const json& object, const Descriptor& type, const std::string& prefix);

absl::Status CheckValue(const json& value, const FieldDescriptor& field, const std::string& path) {
  if (value.is_null()) return absl::OkStatus();
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_BOOL:
      if (!value.is_boolean()) {
        return absl::InvalidArgumentError(
            fmt::format("{}: a boolean is true or false, not {}", path, Shown(value)));
      }
      return absl::OkStatus();
    case FieldDescriptor::CPPTYPE_ENUM: {
      const google::protobuf::EnumDescriptor& type = *field.enum_type();
      if (type.full_name() == "google.protobuf.NullValue") return absl::OkStatus();
      const bool known =
          (value.is_string() && type.FindValueByName(value.get<std::string>()) != nullptr) ||
          (value.is_number_integer() &&
           type.FindValueByNumber(static_cast<int>(value.get<std::int64_t>())) != nullptr &&
           value.get<std::int64_t>() == static_cast<int>(value.get<std::int64_t>()));
      if (!known) {
        return absl::InvalidArgumentError(
            fmt::format("{}: {} is not a value of {}", path, Shown(value), type.name()));
      }
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      // Well-known types (Timestamp, ...) have JSON forms of their own.
      if (field.message_type()->file()->package() == "google.protobuf") return absl::OkStatus();
      if (!value.is_object()) return absl::OkStatus();  // the parser says why
      return CheckMessage(value, *field.message_type(), path + ".");
    default:
      return absl::OkStatus();
  }
}

absl::Status CheckMessage(const json& object, const Descriptor& type, const std::string& prefix) {
  for (const auto& [key, value] : object.items()) {
    const FieldDescriptor* field = type.FindFieldByName(key);
    if (field == nullptr) field = type.FindFieldByCamelcaseName(key);
    if (field == nullptr) continue;  // the parser refuses unknown fields
    const std::string path = prefix + field->name();
    if (field->is_repeated() && !field->is_map()) {
      if (!value.is_array()) continue;
      for (std::size_t i = 0; i < value.size(); ++i) {
        if (absl::Status ok = CheckValue(value[i], *field, fmt::format("{}[{}]", path, i));
            !ok.ok()) {
          return ok;
        }
      }
    } else if (!field->is_map()) {
      if (absl::Status ok = CheckValue(value, *field, path); !ok.ok()) return ok;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckStrictJson(std::string_view text, const Descriptor& type) {
  if (!events::CountCharacters(text).has_value()) {
    return absl::InvalidArgumentError(
        fmt::format("not valid UTF-8: {}", events::TextProblem(text)));
  }
  const json document = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded() || !document.is_object()) return absl::OkStatus();
  return CheckMessage(document, type, "");
}

}  // namespace careledger::tools
