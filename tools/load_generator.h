// A synthetic workload for the audit (`careledger load`): many GP practices,
// their patients' published plans, and days of realistic activity (GPs
// reading their own patients in hours, ambulance crews and NHS 111 reading at
// any hour, edits, approvals, deaths), with inappropriate accesses planted
// among them, one or more per investigation rule, so the rules' recall and
// false alerts can be measured. Deterministic for a seed.
//
// Time is simulated: each slice of commands carries the time the ledger's
// clock must show when it is decided (the caller runs a writer on a
// ManualClock). Times start at `start` and only move forward.
#ifndef CARELEDGER_TOOLS_LOAD_GENERATOR_H_
#define CARELEDGER_TOOLS_LOAD_GENERATOR_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "careledger/v1/commands.pb.h"

namespace careledger::tools {

struct LoadOptions {
  std::size_t practices = 10;        // GP practices, each with a GP and an administrator
  std::size_t patients = 1000;       // each registered at one practice, with a published plan
  std::size_t reads_per_day = 2000;  // background reads
  std::size_t days = 40;             // simulated days of activity after the plans exist
  std::size_t plants_per_rule = 2;   // planted inappropriate accesses per rule
  std::size_t grain_minutes = 5;     // background reads share times on this grain
  std::uint64_t seed = 1;
};

// Commands to decide at one moment.
struct LoadSlice {
  absl::Time at;
  std::vector<careledger::v1::Command> commands;
};

// One planted case: the rule that must raise an alert, for which user and
// patient, and when.
struct PlantedCase {
  std::string rule;  // as projections/investigation.h names them: "break_glass",
                     // "restricted_record", "no_relationship", "family_or_neighbour",
                     // "own_record", "deceased", "out_of_hours", "many_patients",
                     // "unregistered_device", "repeated_refusals"
  std::string user_id;
  std::string nhs_number;
  absl::Time at;
};

// Generates the load slice by slice, in time order. It holds only the slices
// not yet taken: the set-up, the planted cases and the current day's
// background (each day's background is generated when its day comes), so a
// load of tens of millions of commands streams in bounded memory.
class LoadGenerator {
 public:
  LoadGenerator(const LoadOptions& options, absl::Time start);
  ~LoadGenerator();
  LoadGenerator(const LoadGenerator&) = delete;
  LoadGenerator& operator=(const LoadGenerator&) = delete;

  // The next slice, or nullopt once the load is over.
  std::optional<LoadSlice> Next();
  // Every planted case (all are known from the start).
  const std::vector<PlantedCase>& plants() const;

 private:
  class Builder;
  std::unique_ptr<Builder> builder_;
};

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_LOAD_GENERATOR_H_
