// Turning command-line text into schema values: dates, enums by their short
// names, section names. Shared by the plan and directory commands.
#ifndef CARELEDGER_TOOLS_PARSE_FLAGS_H_
#define CARELEDGER_TOOLS_PARSE_FLAGS_H_

#include <CLI/CLI.hpp>
#include <string>

#include "absl/status/status.h"
#include "careledger/v1/common.pb.h"
#include "careledger/v1/plan.pb.h"

namespace careledger::tools {

// Lets an NHS number option take the number as people write it ("943 476
// 5919", "943-476-5919"): ledger::NhsNumberAsEntered. Anything that is not
// such a number passes unchanged, for the ledger to refuse (and record the
// refusal) as before. Returns `option`.
CLI::Option* TakesNhsNumber(CLI::Option* option);

// Parses `text` ("YYYY-MM-DD") into `date`; INVALID_ARGUMENT naming --flag
// when it is not a real date.
absl::Status ParseDateFlag(const std::string& flag, const std::string& text,
                           careledger::v1::Date* date);

// "patient", "lpa", "best-interest"; UNSPECIFIED otherwise.
careledger::v1::ConsentBasis ParseConsentBasis(const std::string& name);

// The CarePlan's section names, comma-separated, for help texts.
std::string PlanSectionNames();

// The value of enum `type_name` (e.g. "careledger.v1.DsptLevel") whose name
// is `prefix` + upper-cased `short_name` with '-' as '_' ("standards-met" ->
// DSPT_LEVEL_STANDARDS_MET); INVALID_ARGUMENT listing the choices otherwise.
absl::Status ParseEnumFlag(const std::string& flag, const std::string& short_name,
                           const std::string& type_name, const std::string& prefix, int* value);

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_PARSE_FLAGS_H_
