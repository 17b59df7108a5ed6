#include "ledger/input_rules.h"

#include <fmt/format.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/reflection.h>

#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "events/text.h"
#include "ledger/dates.h"
#include "ledger/limits.h"

namespace careledger::ledger {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// What a string field holds, by its name wherever it appears in a command.
struct TextRule {
  std::size_t max_length;
  bool multi_line;  // newlines and tabs allowed
};

// Free text (multi-line) and identifiers, by field name; every other string
// field is one line of at most kMaxLineLength characters.
const absl::flat_hash_map<std::string_view, TextRule>& RulesByName() {
  static const auto* rules = new absl::flat_hash_map<std::string_view, TextRule>{
      // identifiers
      {"user_id", {kMaxIdLength, false}},
      {"organisation", {kMaxIdLength, false}},
      {"device_id", {kMaxIdLength, false}},
      {"command_id", {kMaxIdLength, false}},
      {"to_user", {kMaxIdLength, false}},
      {"to_organisation", {kMaxIdLength, false}},
      {"request_id", {kMaxIdLength, false}},
      {"allowed_users", {kMaxIdLength, false}},
      {"alert_id", {kMaxIdLength, false}},
      {"case_id", {kMaxIdLength, false}},
      {"ods_code", {kMaxIdLength, false}},
      {"nhs_number", {kMaxIdLength, false}},
      {"reviewing_clinician", {kMaxIdLength, false}},
      {"gp_practice_ods", {kMaxIdLength, false}},
      {"subject", {kMaxIdLength, false}},
      {"training_modules", {kMaxIdLength, false}},
      {"professional_registration", {kMaxIdLength, false}},
      {"postcode", {kMaxIdLength, false}},
      {"telephone", {kMaxIdLength, false}},
      {"network_address", {kMaxNetworkAddressLength, false}},
      {"purpose", {kMaxPurposeLength, false}},
      // reasons
      {"reason", {kMaxReasonLength, true}},
      {"break_glass_reason", {kMaxReasonLength, true}},
      {"retention_override", {kMaxReasonLength, true}},
      {"reason_not_discussed", {kMaxReasonLength, true}},
      {"justification", {kMaxReasonLength, true}},
      // free text
      {"note", {kMaxTextLength, true}},
      {"text", {kMaxTextLength, true}},
      {"discussion", {kMaxTextLength, true}},
      {"summary", {kMaxTextLength, true}},
      {"answer", {kMaxTextLength, true}},
      {"recommendations", {kMaxTextLength, true}},
      {"details", {kMaxTextLength, true}},
      {"problem", {kMaxTextLength, true}},
      {"immediate_management", {kMaxTextLength, true}},
      {"care_package", {kMaxTextLength, true}},
      {"equipment", {kMaxTextLength, true}},
      {"address", {kMaxTextLength, true}},
  };
  return *rules;
}

TextRule RuleFor(const FieldDescriptor& field) {
  auto it = RulesByName().find(field.name());
  return it == RulesByName().end() ? TextRule{kMaxLineLength, false} : it->second;
}

// Dates that may not lie after today. (A date of death or withdrawal is
// checked by the plan rules, with the same effect.)
bool NotInFuture(const FieldDescriptor& field) {
  const std::string& name = field.name();
  return name == "date_of_birth" || name == "obtained_on";
}

absl::Status Refuse(const std::string& path, std::string_view what) {
  return absl::InvalidArgumentError(fmt::format("{}: {}", path, what));
}

absl::Status CheckText(const std::string& path, const FieldDescriptor& field,
                       const std::string& text) {
  const TextRule rule = RuleFor(field);
  if (const std::string problem = events::TextProblem(text, rule.multi_line ? "\n\t" : "");
      !problem.empty()) {
    return Refuse(path, problem);
  }
  const std::size_t length = events::CountCharacters(text).value_or(text.size());
  if (length > rule.max_length) {
    return Refuse(path,
                  fmt::format("at most {} characters (this one has {})", rule.max_length, length));
  }
  return absl::OkStatus();
}

absl::Status CheckDate(const std::string& path, const FieldDescriptor& field,
                       const careledger::v1::Date& date, absl::Time now) {
  if (date.year() == 0 && date.month() == 0 && date.day() == 0) return absl::OkStatus();  // unset
  if (!IsValidDate(date)) {
    return Refuse(path, fmt::format("{:04d}-{:02d}-{:02d} is not a calendar date", date.year(),
                                    date.month(), date.day()));
  }
  const absl::CivilDay today = Today(now);
  if (date.year() < kEarliestYear || date.year() > today.year() + kLatestYearsAhead) {
    return Refuse(path, fmt::format("{} is not a plausible date (years {} to {})", FormatDate(date),
                                    kEarliestYear, today.year() + kLatestYearsAhead));
  }
  if (NotInFuture(field) && ToCivilDay(date) > today) {
    return Refuse(path, fmt::format("{} is in the future", FormatDate(date)));
  }
  return absl::OkStatus();
}

absl::Status CheckMessage(const Message& message, const std::string& prefix, absl::Time now);

// One value of `field` (the index-th, for a repeated field).
absl::Status CheckValue(const Message& message, const FieldDescriptor& field, int index,
                        const std::string& path, absl::Time now) {
  const Reflection& reflection = *message.GetReflection();
  const bool repeated = field.is_repeated();
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      if (field.type() == FieldDescriptor::TYPE_BYTES) return absl::OkStatus();
      std::string scratch;
      const std::string& text =
          repeated ? reflection.GetRepeatedStringReference(message, &field, index, &scratch)
                   : reflection.GetStringReference(message, &field, &scratch);
      return CheckText(path, field, text);
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const int number = repeated ? reflection.GetRepeatedEnumValue(message, &field, index)
                                  : reflection.GetEnumValue(message, &field);
      if (field.enum_type()->FindValueByNumber(number) == nullptr) {
        return Refuse(path,
                      fmt::format("{} is not a value of {}", number, field.enum_type()->name()));
      }
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      const Message& child = repeated ? reflection.GetRepeatedMessage(message, &field, index)
                                      : reflection.GetMessage(message, &field);
      if (field.message_type() == careledger::v1::Date::descriptor()) {
        return CheckDate(path, field, static_cast<const careledger::v1::Date&>(child), now);
      }
      return CheckMessage(child, path + ".", now);
    }
    default:
      return absl::OkStatus();
  }
}

// Every set field of `message`, depth first, in field number order.
absl::Status CheckMessage(const Message& message, const std::string& prefix, absl::Time now) {
  const Reflection& reflection = *message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection.ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    const std::string path = prefix + field->name();
    if (!field->is_repeated()) {
      if (absl::Status ok = CheckValue(message, *field, 0, path, now); !ok.ok()) return ok;
      continue;
    }
    const int size = reflection.FieldSize(message, field);
    if (static_cast<std::size_t>(size) > kMaxRepeatedItems) {
      return Refuse(path,
                    fmt::format("at most {} items (this one has {})", kMaxRepeatedItems, size));
    }
    for (int i = 0; i < size; ++i) {
      if (absl::Status ok = CheckValue(message, *field, i, fmt::format("{}[{}]", path, i), now);
          !ok.ok()) {
        return ok;
      }
    }
  }
  if (!reflection.GetUnknownFields(message).empty()) {
    return Refuse(prefix.empty() ? "command" : prefix.substr(0, prefix.size() - 1),
                  "holds fields this ledger does not know");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateCommandInput(const careledger::v1::Command& command, absl::Time now) {
  // Field by field first, so that one huge field is named as such.
  if (absl::Status fields = CheckMessage(command, "", now); !fields.ok()) return fields;
  if (command.has_update_plan_section()) {
    const std::size_t bytes = command.update_plan_section().value().ByteSizeLong();
    if (bytes > kMaxSectionBytes) {
      return Refuse(
          "update_plan_section.value",
          fmt::format("at most {} bytes encoded (this one has {})", kMaxSectionBytes, bytes));
    }
  }
  if (const std::size_t bytes = command.ByteSizeLong(); bytes > kMaxCommandBytes) {
    return Refuse("command", fmt::format("at most {} bytes encoded (this one has {})",
                                         kMaxCommandBytes, bytes));
  }
  return absl::OkStatus();
}

}  // namespace careledger::ledger
