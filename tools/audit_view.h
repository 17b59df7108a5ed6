// Audit entries for people: one line each. (The audit commands' time flags
// are parsed by access/audit_read.h's ParseWhen.)
#ifndef CARELEDGER_TOOLS_AUDIT_VIEW_H_
#define CARELEDGER_TOOLS_AUDIT_VIEW_H_

#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "careledger/v1/audit.pb.h"

namespace careledger::tools {

// "[from, to)" of a query's time range ("all time" when neither is set).
std::string RangeText(const google::protobuf::Timestamp* from,
                      const google::protobuf::Timestamp* to);

// What was done, in a phrase.
std::string Describe(const careledger::v1::AuditEntry& entry);

// One line: when, kind, patient, who (user id, their name in the directory
// when known, role, organisation and site), from
// which device and address, what, and the proving record's position.
void PrintEntry(const careledger::v1::AuditEntry& entry, std::ostream& out);

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_AUDIT_VIEW_H_
