// Where the investigation rules put their alerts, folding repeats
// (projections/investigation.h: "Repeats fold"). Internal to the rules.
#ifndef CARELEDGER_PROJECTIONS_INVESTIGATION_ALERT_SINK_H_
#define CARELEDGER_PROJECTIONS_INVESTIGATION_ALERT_SINK_H_

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "careledger/v1/audit.pb.h"

namespace careledger::projections::investigation {

class AlertSink {
 public:
  // A new alert of `rule` raised by `entry`, with no evidence yet (the
  // caller adds it); never folded. For the window rules.
  careledger::v1::Alert& Raise(std::string_view rule, careledger::v1::AlertSeverity severity,
                               const careledger::v1::AuditEntry& entry, std::string reason);

  // `entry`'s alert, its record the evidence; a repeat (the same rule,
  // severity, user, device and patient as an alert already raised here) is
  // folded into that alert instead: its record added to the evidence,
  // counted in `occurrences`, `last_at` its time, its reason dropped.
  void RaiseOne(std::string_view rule, careledger::v1::AlertSeverity severity,
                const careledger::v1::AuditEntry& entry, std::string reason);

  std::vector<careledger::v1::Alert>& alerts() { return alerts_; }

 private:
  // (rule, severity, user, device, patient)
  using RepeatKey =
      std::tuple<std::string, careledger::v1::AlertSeverity, std::string, std::string, std::string>;
  std::vector<careledger::v1::Alert> alerts_;
  std::map<RepeatKey, std::size_t> repeats_;  // RaiseOne's alerts, to their index
};

}  // namespace careledger::projections::investigation

#endif  // CARELEDGER_PROJECTIONS_INVESTIGATION_ALERT_SINK_H_
