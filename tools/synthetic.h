// Synthetic workloads for benchmarks and demos: the sample world's directory
// (tools/sample_world.h), then patients in the 999 NHS number range (never a
// real patient) whose plans are started, completed, edited, approved and read.
#ifndef CARELEDGER_TOOLS_SYNTHETIC_H_
#define CARELEDGER_TOOLS_SYNTHETIC_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "careledger/v1/commands.pb.h"

namespace careledger::tools {

// The i-th synthetic NHS number (999xxxxxxc with a valid check digit).
std::string SyntheticNhsNumber(std::size_t i);

// `events` commands (at least the directory's) for a ledger whose clock is on
// `today`: the sample directory, then each of `patients` plans is started
// and completed section by section, then round-robin over the patients:
// an edit of the clinical recommendations, every `approve_every`-th one
// followed by an approval, and an ambulance crew's read of the published
// plan after every approval. Every command is accepted.
std::vector<careledger::v1::Command> SyntheticPlanCommands(std::size_t events, std::size_t patients,
                                                           absl::CivilDay today,
                                                           std::size_t approve_every = 5);

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_SYNTHETIC_H_
