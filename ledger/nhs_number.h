// NHS numbers: 10 digits whose last is a modulus 11 check digit.
#ifndef CARELEDGER_LEDGER_NHS_NUMBER_H_
#define CARELEDGER_LEDGER_NHS_NUMBER_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace google::protobuf {
class Message;
}  // namespace google::protobuf

namespace careledger::ledger {

// OK for a valid NHS number; INVALID_ARGUMENT saying what is wrong otherwise.
// Weights 10..2 over the first nine digits; check = 11 - (sum mod 11), where
// 11 means 0 and 10 means the number is invalid.
absl::Status ValidateNhsNumber(std::string_view nhs_number);

// The number as people write it ("943 476 5919", "943-476-5919", with
// spaces around) made the ten digits the ledger keeps, when dropping spaces
// and hyphens leaves exactly ten digits; otherwise `entered` unchanged, for
// ValidateNhsNumber to refuse with the text as given. Where NHS numbers are
// entered (the command line's --nhs, the API's bodies and paths), so that
// formatting can never make one number two (a user's own record hidden from
// the own_record rule by a space).
std::string NhsNumberAsEntered(std::string_view entered);

// NhsNumberAsEntered applied to every string field called `nhs_number` in
// `message` and the messages inside it: for commands decoded from JSON.
void NormaliseNhsNumbersIn(google::protobuf::Message* message);

// True for the 999 range used for synthetic (test and training) records.
bool IsSyntheticNhsNumber(std::string_view nhs_number);

// The 9-digit stem + its check digit, or "" when the stem has no valid check
// digit. For generating synthetic patients.
std::string CompleteNhsNumber(std::string_view nine_digits);

// "patient/<nhs number>", the stream of everything about one patient's plan.
std::string PatientStream(std::string_view nhs_number);

}  // namespace careledger::ledger

#endif  // CARELEDGER_LEDGER_NHS_NUMBER_H_
