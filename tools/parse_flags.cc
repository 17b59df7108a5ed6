#include "tools/parse_flags.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <google/protobuf/descriptor.h>

#include <algorithm>
#include <vector>

#include "absl/time/civil_time.h"
#include "ledger/dates.h"
#include "ledger/nhs_number.h"

namespace careledger::tools {

CLI::Option* TakesNhsNumber(CLI::Option* option) {
  return option->transform([](std::string text) { return ledger::NhsNumberAsEntered(text); }, "",
                           "nhs_number");
}

absl::Status ParseDateFlag(const std::string& flag, const std::string& text,
                           careledger::v1::Date* date) {
  absl::CivilDay day;
  if (!absl::ParseCivilTime(text, &day)) {
    return absl::InvalidArgumentError(
        fmt::format("--{} '{}' is not a date (YYYY-MM-DD)", flag, text));
  }
  *date = ledger::FromCivilDay(day);
  return absl::OkStatus();
}

careledger::v1::ConsentBasis ParseConsentBasis(const std::string& name) {
  if (name == "patient") return careledger::v1::CONSENT_BASIS_PATIENT;
  if (name == "lpa") return careledger::v1::CONSENT_BASIS_LASTING_POWER_OF_ATTORNEY;
  if (name == "best-interest") return careledger::v1::CONSENT_BASIS_BEST_INTEREST;
  return careledger::v1::CONSENT_BASIS_UNSPECIFIED;
}

std::string PlanSectionNames() {
  const google::protobuf::Descriptor* plan = careledger::v1::CarePlan::descriptor();
  std::vector<std::string> names;
  for (int i = 0; i < plan->field_count(); ++i) names.push_back(plan->field(i)->name());
  return fmt::format("{}", fmt::join(names, ", "));
}

absl::Status ParseEnumFlag(const std::string& flag, const std::string& short_name,
                           const std::string& type_name, const std::string& prefix, int* value) {
  const google::protobuf::EnumDescriptor* type =
      google::protobuf::DescriptorPool::generated_pool()->FindEnumTypeByName(type_name);
  std::string wanted = prefix;
  for (char c : short_name) wanted += c == '-' ? '_' : static_cast<char>(std::toupper(c));
  if (type != nullptr) {
    if (const auto* found = type->FindValueByName(wanted);
        found != nullptr && found->number() != 0) {
      *value = found->number();
      return absl::OkStatus();
    }
  }
  std::vector<std::string> choices;
  for (int i = 0; type != nullptr && i < type->value_count(); ++i) {
    if (type->value(i)->number() == 0) continue;
    std::string name = type->value(i)->name().substr(prefix.size());
    std::transform(name.begin(), name.end(), name.begin(),
                   [](char c) { return c == '_' ? '-' : static_cast<char>(std::tolower(c)); });
    choices.push_back(name);
  }
  return absl::InvalidArgumentError(
      fmt::format("--{} '{}' is not one of: {}", flag, short_name, fmt::join(choices, ", ")));
}

}  // namespace careledger::tools
