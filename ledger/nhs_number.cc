#include "ledger/nhs_number.h"

#include <fmt/format.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <algorithm>

namespace careledger::ledger {
namespace {

// The check digit for the first nine digits, or -1 when none is valid.
int CheckDigit(std::string_view nine_digits) {
  int sum = 0;
  for (int i = 0; i < 9; ++i) sum += (nine_digits[i] - '0') * (10 - i);
  const int check = 11 - (sum % 11);
  if (check == 11) return 0;
  if (check == 10) return -1;
  return check;
}

bool AllDigits(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

absl::Status ValidateNhsNumber(std::string_view nhs_number) {
  if (nhs_number.size() != 10 || !AllDigits(nhs_number)) {
    return absl::InvalidArgumentError(
        fmt::format("NHS number '{}' must be exactly 10 digits", nhs_number));
  }
  const int check = CheckDigit(nhs_number.substr(0, 9));
  if (check < 0 || check != nhs_number[9] - '0') {
    return absl::InvalidArgumentError(
        fmt::format("NHS number '{}' fails the modulus 11 check", nhs_number));
  }
  return absl::OkStatus();
}

std::string NhsNumberAsEntered(std::string_view entered) {
  std::string digits;
  for (char c : entered) {
    if (c == ' ' || c == '-' || c == '\t') continue;
    if (c < '0' || c > '9') return std::string(entered);
    digits.push_back(c);
  }
  return digits.size() == 10 ? digits : std::string(entered);
}

void NormaliseNhsNumbersIn(google::protobuf::Message* message) {
  const google::protobuf::Reflection* reflection = message->GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  reflection->ListFields(*message, &fields);  // only those set
  for (const google::protobuf::FieldDescriptor* field : fields) {
    if (field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(*message, field); ++i) {
          NormaliseNhsNumbersIn(reflection->MutableRepeatedMessage(message, field, i));
        }
      } else {
        NormaliseNhsNumbersIn(reflection->MutableMessage(message, field));
      }
    } else if (field->name() == "nhs_number" && !field->is_repeated() &&
               field->type() == google::protobuf::FieldDescriptor::TYPE_STRING) {
      reflection->SetString(message, field,
                            NhsNumberAsEntered(reflection->GetString(*message, field)));
    }
  }
}

bool IsSyntheticNhsNumber(std::string_view nhs_number) {
  return nhs_number.size() == 10 && nhs_number.substr(0, 3) == "999";
}

std::string CompleteNhsNumber(std::string_view nine_digits) {
  if (nine_digits.size() != 9 || !AllDigits(nine_digits)) return "";
  const int check = CheckDigit(nine_digits);
  if (check < 0) return "";
  return fmt::format("{}{}", nine_digits, check);
}

std::string PatientStream(std::string_view nhs_number) {
  return fmt::format("patient/{}", nhs_number);
}

}  // namespace careledger::ledger
