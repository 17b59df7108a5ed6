// Synthetic plan commands for benchmarks and demos: patients in the 999 NHS
// number range (never a real patient).
#ifndef CARELEDGER_TOOLS_SYNTHETIC_H_
#define CARELEDGER_TOOLS_SYNTHETIC_H_

#include <cstddef>
#include <string>
#include <vector>

#include "careledger/v1/commands.pb.h"

namespace careledger::tools {

// The i-th synthetic NHS number (999xxxxxxc with a valid check digit).
std::string SyntheticNhsNumber(std::size_t i);

// `events` commands over `patients` patients: each patient's plan is started
// once, then the remaining commands edit sections round-robin, every
// `approve_every`-th edit of a patient is followed by an approval.
std::vector<careledger::v1::Command> SyntheticPlanCommands(std::size_t events, std::size_t patients,
                                                           std::size_t approve_every = 5);

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_SYNTHETIC_H_
