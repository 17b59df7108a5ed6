// The rules every command's input meets before any domain rule looks at it
// (docs/domain.md, "Characters" and "Limits"): text is valid UTF-8 without
// control characters (free-text fields may hold newlines and tabs), every
// field within its limit (ledger/limits.h, counted in characters), every
// enum value one the schema names, every date a real calendar day in a
// plausible range. A refusal names the field ("actor.user_id") and the rule,
// never echoing the offending bytes.
#ifndef CARELEDGER_LEDGER_INPUT_RULES_H_
#define CARELEDGER_LEDGER_INPUT_RULES_H_

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "careledger/v1/commands.pb.h"

namespace careledger::ledger {

// The earliest plausible year of any date (a date of birth before it is
// refused), and how far ahead of today a date may lie.
inline constexpr int kEarliestYear = 1880;
inline constexpr int kLatestYearsAhead = 10;

// OK, or INVALID_ARGUMENT naming the first field that breaks a rule. `now`
// decides which dates are in the future (a date of birth or a consent date
// may not be; the plan rules refuse future dates of death and withdrawal).
absl::Status ValidateCommandInput(const careledger::v1::Command& command, absl::Time now);

}  // namespace careledger::ledger

#endif  // CARELEDGER_LEDGER_INPUT_RULES_H_
