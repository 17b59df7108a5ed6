#include "tools/audit_export.h"

#include <fmt/format.h>

#include <string_view>

#include "events/text.h"
#include "events/time_util.h"
#include "tools/plan_view.h"

// The CSV export and what both formats share; the FHIR export is in
// audit_fhir.cc.
namespace careledger::tools {
namespace {

using careledger::v1::AuditEntry;

std::string Flag(bool value) { return value ? "true" : "false"; }

std::string Number(std::uint64_t value) { return value == 0 ? "" : std::to_string(value); }

}  // namespace

std::string Rfc3339(const google::protobuf::Timestamp& at) {
  return absl::FormatTime("%Y-%m-%d%ET%H:%M:%E*SZ", events::FromTimestamp(at), absl::UTCTimeZone());
}

std::string LowerHex(std::string_view bytes) {
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (const char byte : bytes) fmt::format_to(std::back_inserter(hex), "{:02x}", byte & 0xff);
  return hex;
}

std::vector<std::string> CsvColumns() {
  return {"recorded_at",     "kind",        "action",
          "outcome",         "reason",      "nhs_number",
          "user_id",         "user_name",   "role",
          "organisation",    "site",        "device_id",
          "network_address", "purpose",     "view",
          "version",         "stream_seq",  "content_hash_hex",
          "section",         "break_glass", "break_glass_reason",
          "partition",       "offset",      "command_id",
          "subject",         "note",        "restricted",
          "range_from",      "range_to"};
}

std::string CsvField(const std::string& value) {
  // No control character but LF inside a cell (a quoted multi-line note
  // stays readable; rows end in CRLF), and no cell a spreadsheet would run
  // as a formula (OWASP CSV injection): one that starts, after any spaces,
  // with = + - @ (a tab or CR were escaped just before) gets a leading
  // single quote.
  std::string field = events::EscapeControls(value, "\n");
  const std::size_t first = field.find_first_not_of(' ');
  if (first != std::string::npos &&
      std::string_view("=+-@\t\r").find(field[first]) != std::string_view::npos) {
    field.insert(field.begin(), '\'');
  }
  if (field.find_first_of(",\"\r\n") == std::string::npos) return field;
  std::string quoted = "\"";
  for (const char c : field) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

namespace {

std::string CsvLine(const std::vector<std::string>& fields) {
  std::string line;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) line += ',';
    line += CsvField(fields[i]);
  }
  line += "\r\n";
  return line;
}

}  // namespace

std::string CsvHeader() { return CsvLine(CsvColumns()); }

std::string CsvRow(const AuditEntry& entry) {
  const careledger::v1::Actor& actor = entry.actor();
  const careledger::v1::EventPosition& position = entry.position();
  return CsvLine({
      Rfc3339(entry.at()),
      entry.kind() == careledger::v1::AUDIT_KIND_UNSPECIFIED
          ? ""
          : ShortEnum(careledger::v1::AuditKind_Name(entry.kind()), 11),
      entry.action(),
      entry.outcome() == careledger::v1::ACCESS_OUTCOME_UNSPECIFIED
          ? ""
          : ShortEnum(careledger::v1::AccessOutcome_Name(entry.outcome()), 15),
      entry.reason(),
      entry.nhs_number(),
      actor.user_id(),
      entry.actor_name(),
      actor.role() == careledger::v1::ROLE_UNSPECIFIED
          ? ""
          : ShortEnum(careledger::v1::Role_Name(actor.role()), 5),
      actor.organisation(),
      entry.site(),
      actor.device_id(),
      actor.network_address(),
      actor.purpose(),
      entry.view() == careledger::v1::PLAN_VIEW_UNSPECIFIED
          ? ""
          : ShortEnum(careledger::v1::PlanView_Name(entry.view()), 10),
      Number(entry.version()),
      Number(entry.stream_seq()),
      LowerHex(entry.content_hash()),
      entry.section(),
      Flag(entry.break_glass()),
      entry.break_glass_reason(),
      std::to_string(position.partition()),
      std::to_string(position.offset()),
      entry.command_id(),
      entry.subject(),
      entry.note(),
      Flag(entry.restricted()),
      entry.has_range_from() ? Rfc3339(entry.range_from()) : "",
      entry.has_range_to() ? Rfc3339(entry.range_to()) : "",
  });
}

}  // namespace careledger::tools
