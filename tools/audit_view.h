// Audit entries for people: one line each, and the time flags of the audit
// commands.
#ifndef CARELEDGER_TOOLS_AUDIT_VIEW_H_
#define CARELEDGER_TOOLS_AUDIT_VIEW_H_

#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "careledger/v1/audit.pb.h"

namespace careledger::tools {

// --from / --to: RFC 3339 ("2026-06-15T09:30:00Z", "...+01:00"), or
// "YYYY-MM-DDTHH:MM[:SS]" in UTC, or a day "YYYY-MM-DD" (UTC): its start for
// --from, its end for --to (`end_of_day`), so "--from 2026-06-01 --to
// 2026-06-30" is June.
absl::StatusOr<absl::Time> ParseWhen(const std::string& flag, const std::string& text,
                                     bool end_of_day);

// "[from, to)" of a query's time range ("all time" when neither is set).
std::string RangeText(const google::protobuf::Timestamp* from,
                      const google::protobuf::Timestamp* to);

// What was done, in a phrase.
std::string Describe(const careledger::v1::AuditEntry& entry);

// One line: when, kind, patient, who (role, organisation and site), from
// which device and address, what, and the proving record's position.
void PrintEntry(const careledger::v1::AuditEntry& entry, std::ostream& out);

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_AUDIT_VIEW_H_
