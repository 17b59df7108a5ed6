// The investigation rules, each in a file of its own under rules/ (the
// table in projections/investigation.h says what raises each and at which
// severity). A rule sees one audit record at a time, in recorded order,
// decides for itself whether it applies (role, kind of record), and puts
// what it raises into the scope's AlertSink. Internal to the rules.
#ifndef CARELEDGER_PROJECTIONS_INVESTIGATION_RULES_H_
#define CARELEDGER_PROJECTIONS_INVESTIGATION_RULES_H_

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "careledger/v1/audit.pb.h"
#include "projections/investigation.h"
#include "projections/investigation/alert_sink.h"
#include "projections/investigation/facts.h"
#include "projections/investigation/window.h"

namespace careledger::projections::investigation {

// What every rule may use, for one investigation.
struct RuleScope {
  const RuleThresholds& thresholds;
  absl::TimeZone zone;           // local time for people and for out of hours
  const std::string& zone_name;  // its name, as reasons print it
  Facts& facts;
  AlertSink& alerts;
};

// One granted read or refused attempt by a named, non-system user.
struct Examined {
  const careledger::v1::AuditEntry& entry;
  absl::Time at;                     // when it was recorded
  bool read = false;                 // a granted read; else a refused attempt
  const Patient* patient = nullptr;  // the named patient's plan now; nullptr if none
  const Content* shown = nullptr;    // the published version a read showed, when known
};

// The single-record rules, in the order their alerts are listed.
void BreakGlass(RuleScope& scope, const Examined& record);
absl::Status RestrictedRecord(RuleScope& scope, const Examined& record);
void NoRelationship(RuleScope& scope, const Examined& record);
absl::Status FamilyOrNeighbour(RuleScope& scope, const Examined& record);
absl::Status OwnRecord(RuleScope& scope, const Examined& record);
void Deceased(RuleScope& scope, const Examined& record);
absl::Status OutOfHours(RuleScope& scope, const Examined& record);

// The window rules see the user's records from two windows before the range
// (`in_range` false there: they count but raise nothing).
void ManyPatients(RuleScope& scope, const Examined& record, bool in_range, Window* reads);
absl::Status UnregisteredDevice(RuleScope& scope, const Examined& record);
void RepeatedRefusals(RuleScope& scope, const Examined& record, bool in_range, Window* refusals);

}  // namespace careledger::projections::investigation

#endif  // CARELEDGER_PROJECTIONS_INVESTIGATION_RULES_H_
