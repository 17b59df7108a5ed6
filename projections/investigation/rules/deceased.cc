// deceased: a read more than deceased_days after the patient's death
// (MEDIUM), counted from when the death was known: from its recording when
// that came later than the day of death (reads before it are not "after
// death" to anyone reading).
#include <fmt/format.h>

#include <cstdint>

#include "projections/investigation/rules.h"
#include "projections/investigation/text.h"

namespace careledger::projections::investigation {

void Deceased(RuleScope& scope, const Examined& record) {
  const Patient* patient = record.patient;
  if (!record.read || patient == nullptr || !patient->died_on) return;
  const absl::CivilDay read_on = absl::ToCivilDay(record.at, scope.zone);
  absl::CivilDay counted_from = *patient->died_on;
  std::string recorded;
  if (patient->death_recorded_at) {
    const absl::CivilDay recorded_on = absl::ToCivilDay(*patient->death_recorded_at, scope.zone);
    if (recorded_on > counted_from) {
      counted_from = recorded_on;
      recorded = fmt::format(" recorded on {}", DayText(recorded_on));
    }
  }
  const std::int64_t days = read_on - counted_from;
  if (days <= scope.thresholds.deceased_days) return;
  scope.alerts.RaiseOne(
      "deceased", careledger::v1::ALERT_SEVERITY_MEDIUM, record.entry,
      fmt::format("{} read the plan of {} {} days after the patient's death on {}{} (more than "
                  "{} days)",
                  Who(record.entry.actor()), record.entry.nhs_number(), days,
                  DayText(*patient->died_on), recorded, scope.thresholds.deceased_days));
}

}  // namespace careledger::projections::investigation
