#include "tools/synthetic.h"

#include <fmt/format.h>

#include "events/ids.h"
#include "ledger/nhs_number.h"

namespace careledger::tools {
namespace {

careledger::v1::Command NewCommand(careledger::v1::Role role, const std::string& user) {
  careledger::v1::Command command;
  command.set_command_id(events::RandomUuid());
  careledger::v1::Actor* actor = command.mutable_actor();
  actor->set_user_id(user);
  actor->set_role(role);
  actor->set_organisation("Y00001");
  actor->set_device_id("bench-device-1");
  actor->set_network_address("127.0.0.1");
  return command;
}

}  // namespace

std::string SyntheticNhsNumber(std::size_t i) {
  // Stems whose check digit would be 10 have no valid number: skip them by
  // probing forward. Deterministic for a given i.
  for (std::size_t stem = i * 2;; ++stem) {
    std::string number = ledger::CompleteNhsNumber(fmt::format("999{:06d}", stem % 1'000'000));
    if (!number.empty()) return number;
  }
}

std::vector<careledger::v1::Command> SyntheticPlanCommands(std::size_t events, std::size_t patients,
                                                           std::size_t approve_every) {
  std::vector<careledger::v1::Command> commands;
  commands.reserve(events);
  std::vector<std::string> nhs_numbers;
  for (std::size_t p = 0; p < patients && commands.size() < events; ++p) {
    nhs_numbers.push_back(SyntheticNhsNumber(p));
    careledger::v1::Command start = NewCommand(careledger::v1::ROLE_ADMINISTRATOR, "admin-1");
    start.mutable_start_plan()->set_nhs_number(nhs_numbers.back());
    careledger::v1::Consent* consent = start.mutable_start_plan()->mutable_consent();
    consent->set_basis(careledger::v1::CONSENT_BASIS_PATIENT);
    consent->mutable_obtained_on()->set_year(2026);
    consent->mutable_obtained_on()->set_month(11);
    consent->mutable_obtained_on()->set_day(1);
    commands.push_back(std::move(start));
  }
  for (std::size_t i = 0; commands.size() < events; ++i) {
    const std::string& nhs_number = nhs_numbers[i % nhs_numbers.size()];
    const std::size_t edit = i / nhs_numbers.size() + 1;
    if (approve_every > 0 && edit % approve_every == 0) {
      careledger::v1::Command approve = NewCommand(careledger::v1::ROLE_CLINICIAN, "gp-1");
      approve.mutable_approve_plan()->set_nhs_number(nhs_number);
      commands.push_back(std::move(approve));
      continue;
    }
    careledger::v1::Command update = NewCommand(careledger::v1::ROLE_ADMINISTRATOR, "admin-1");
    update.mutable_update_plan_section()->set_nhs_number(nhs_number);
    careledger::v1::ClinicalRecommendations* clinical =
        update.mutable_update_plan_section()->mutable_value()->mutable_clinical();
    clinical->set_main_diagnosis("Heart failure (NYHA III)");
    clinical->set_ceiling_of_treatment("Ward-based care; not for ICU");
    clinical->set_recommendations(
        fmt::format("Edit {}: treat reversible causes; keep comfortable; call GP in hours", edit));
    commands.push_back(std::move(update));
  }
  return commands;
}

}  // namespace careledger::tools
