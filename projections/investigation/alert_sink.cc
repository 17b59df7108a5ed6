#include "projections/investigation/alert_sink.h"

#include "projections/investigation.h"

namespace careledger::projections::investigation {

using careledger::v1::Alert;
using careledger::v1::AuditEntry;

Alert& AlertSink::Raise(std::string_view rule, careledger::v1::AlertSeverity severity,
                        const AuditEntry& entry, std::string reason) {
  Alert& alert = alerts_.emplace_back();
  alert.set_alert_id(AlertId(rule, entry.position()));
  alert.set_rule(std::string(rule));
  alert.set_severity(severity);
  alert.set_reason(std::move(reason));
  *alert.mutable_at() = entry.at();
  *alert.mutable_actor() = entry.actor();
  alert.set_nhs_number(entry.nhs_number());
  alert.set_occurrences(1);
  *alert.mutable_last_at() = entry.at();
  return alert;
}

void AlertSink::RaiseOne(std::string_view rule, careledger::v1::AlertSeverity severity,
                         const AuditEntry& entry, std::string reason) {
  const bool foldable = !entry.nhs_number().empty();
  RepeatKey key{std::string(rule), severity, entry.actor().user_id(), entry.actor().device_id(),
                entry.nhs_number()};
  if (foldable) {
    if (auto found = repeats_.find(key); found != repeats_.end()) {
      Alert& alert = alerts_[found->second];
      *alert.add_evidence() = entry.position();
      alert.set_occurrences(alert.occurrences() + 1);
      *alert.mutable_last_at() = entry.at();
      return;
    }
  }
  *Raise(rule, severity, entry, std::move(reason)).add_evidence() = entry.position();
  if (foldable) repeats_.emplace(std::move(key), alerts_.size() - 1);
}

}  // namespace careledger::projections::investigation
