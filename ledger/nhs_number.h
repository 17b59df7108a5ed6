// NHS numbers: 10 digits whose last is a modulus 11 check digit.
#ifndef CARELEDGER_LEDGER_NHS_NUMBER_H_
#define CARELEDGER_LEDGER_NHS_NUMBER_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace careledger::ledger {

// OK for a valid NHS number; INVALID_ARGUMENT saying what is wrong otherwise.
// Weights 10..2 over the first nine digits; check = 11 - (sum mod 11), where
// 11 means 0 and 10 means the number is invalid.
absl::Status ValidateNhsNumber(std::string_view nhs_number);

// True for the 999 range used for synthetic (test and training) records.
bool IsSyntheticNhsNumber(std::string_view nhs_number);

// The 9-digit stem + its check digit, or "" when the stem has no valid check
// digit. For generating synthetic patients.
std::string CompleteNhsNumber(std::string_view nine_digits);

// "patient/<nhs number>", the stream of everything about one patient's plan.
std::string PatientStream(std::string_view nhs_number);

}  // namespace careledger::ledger

#endif  // CARELEDGER_LEDGER_NHS_NUMBER_H_
