#include "tools/synthetic.h"

#include <fmt/format.h>

#include "ledger/nhs_number.h"
#include "tools/sample_world.h"

namespace careledger::tools {

std::string SyntheticNhsNumber(std::size_t i) {
  // Stems whose check digit would be 10 have no valid number: skip them by
  // probing forward. Deterministic for a given i.
  for (std::size_t stem = i * 2;; ++stem) {
    std::string number = ledger::CompleteNhsNumber(fmt::format("999{:06d}", stem % 1'000'000));
    if (!number.empty()) return number;
  }
}

std::vector<careledger::v1::Command> SyntheticPlanCommands(std::size_t events, std::size_t patients,
                                                           absl::CivilDay today,
                                                           std::size_t approve_every) {
  const SampleActors actors = SampleWorldActors();
  std::vector<careledger::v1::Command> commands = SampleDirectoryCommands(today, "synthetic");
  commands.reserve(std::max(events, commands.size()));
  std::vector<std::string> nhs_numbers;
  // Each patient: started, then completed (so it can be approved).
  for (std::size_t p = 0; p < std::max<std::size_t>(patients, 1) && commands.size() < events; ++p) {
    nhs_numbers.push_back(SyntheticNhsNumber(p + 1));
    careledger::v1::Command start = NewCommandAs(actors.care_home_admin);
    start.mutable_start_plan()->set_nhs_number(nhs_numbers.back());
    *start.mutable_start_plan()->mutable_consent() = SampleConsent(today);
    commands.push_back(std::move(start));
    for (careledger::v1::PlanSectionValue& section :
         CompletePlanSections(nhs_numbers.back(), today)) {
      if (commands.size() >= events) break;
      careledger::v1::Command update = NewCommandAs(actors.gp);
      update.mutable_update_plan_section()->set_nhs_number(nhs_numbers.back());
      *update.mutable_update_plan_section()->mutable_value() = std::move(section);
      commands.push_back(std::move(update));
    }
  }
  for (std::size_t i = 0; commands.size() < events && !nhs_numbers.empty(); ++i) {
    const std::string& nhs_number = nhs_numbers[i % nhs_numbers.size()];
    const std::size_t edit = i / nhs_numbers.size() + 1;
    if (approve_every > 0 && edit % approve_every == 0) {
      careledger::v1::Command approve = NewCommandAs(actors.gp);
      approve.mutable_approve_plan()->set_nhs_number(nhs_number);
      commands.push_back(std::move(approve));
      if (commands.size() >= events) break;
      careledger::v1::Command read = NewCommandAs(actors.ambulance);
      read.mutable_view_plan()->set_nhs_number(nhs_number);
      commands.push_back(std::move(read));
      continue;
    }
    careledger::v1::Command update = NewCommandAs(actors.gp);
    update.mutable_update_plan_section()->set_nhs_number(nhs_number);
    careledger::v1::ClinicalRecommendations* clinical =
        update.mutable_update_plan_section()->mutable_value()->mutable_clinical();
    clinical->set_ceiling_of_treatment(careledger::v1::TREATMENT_CEILING_TREAT_AT_HOME);
    clinical->set_recommendations(fmt::format(
        "Edit {}: treat reversible causes at home; keep comfortable; call GP in hours", edit));
    commands.push_back(std::move(update));
  }
  return commands;
}

}  // namespace careledger::tools
