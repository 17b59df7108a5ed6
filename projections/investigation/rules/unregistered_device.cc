// unregistered_device: a professional's read (HIGH) or refused attempt
// (MEDIUM) from a device that was not registered to their organisation,
// revoked, or whose licence was older than licence_months at the time.
#include <fmt/format.h>

#include <set>

#include "events/time_util.h"
#include "projections/investigation/rules.h"
#include "projections/investigation/text.h"

namespace careledger::projections::investigation {

absl::Status UnregisteredDevice(RuleScope& scope, const Examined& record) {
  const careledger::v1::AuditEntry& entry = record.entry;
  const absl::Time at = record.at;
  const bool read = record.read;
  const careledger::v1::Actor& actor = entry.actor();
  if (!IsProfessional(actor.role())) return absl::OkStatus();
  std::string problem;
  if (actor.device_id().empty()) {
    problem = "no named device";
  } else {
    absl::StatusOr<const careledger::v1::DirectoryDevice*> found =
        scope.facts.FindDevice(actor.device_id());
    if (!found.ok()) return found.status();
    const careledger::v1::DirectoryDevice* device = *found;
    if (device == nullptr) {
      problem =
          fmt::format("device {}, which is not registered in the directory", actor.device_id());
    } else if (!device->changed_by().has_recorded_at() ||
               events::FromTimestamp(device->changed_by().recorded_at()) <= at) {
      // The record now is the one in force at the access.
      const careledger::v1::Device& registered = device->device();
      const absl::CivilDay access_day = absl::ToCivilDay(at, absl::UTCTimeZone());
      const std::optional<absl::CivilDay> issued = DayOf(registered.licence_issued_on());
      if (registered.organisation() != actor.organisation()) {
        problem = fmt::format("device {}, registered to {}, not to {}", actor.device_id(),
                              registered.organisation(), actor.organisation());
      } else if (registered.revoked()) {
        problem = fmt::format("device {}, which was revoked", actor.device_id());
      } else if (!issued) {
        problem = fmt::format("device {}, which has no licence", actor.device_id());
      } else if (*issued > access_day ||
                 AddMonths(*issued, scope.thresholds.licence_months) < access_day) {
        problem = fmt::format("device {}, whose licence (issued {}) was more than {} months old",
                              actor.device_id(), DayText(*issued), scope.thresholds.licence_months);
      }
    }
  }
  if (problem.empty()) return absl::OkStatus();
  const std::string about =
      entry.nhs_number().empty() ? "" : fmt::format(" of {}", entry.nhs_number());
  if (read) {
    scope.alerts.RaiseOne("unregistered_device", careledger::v1::ALERT_SEVERITY_HIGH, entry,
                          fmt::format("{} read the plan{} from {}", Who(actor), about, problem));
  } else {
    scope.alerts.RaiseOne("unregistered_device", careledger::v1::ALERT_SEVERITY_MEDIUM, entry,
                          fmt::format("{} tried {}{} from {} (refused: {})", Who(actor),
                                      entry.action(), about, problem, entry.reason()));
  }
  return absl::OkStatus();
}

}  // namespace careledger::projections::investigation
