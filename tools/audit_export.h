// The audit trail in the formats auditors' tools read (issue "Audit"):
// FHIR R4 AuditEvent resources in a Bundle, following the IHE Basic Audit
// Log Patterns (BALP: https://profiles.ihe.net/ITI/BALP/), and CSV
// (RFC 4180). Pure functions of the entries and options: the same trail always exports
// to the same bytes. docs/domain.md ("Export") has the mapping table.
//
// One AuditEntry becomes one AuditEvent (audit_fhir.cc; docs/fhir.md says
// which BALP profiles apply and how the export is validated):
//   id              "cl-<partition>-<offset>": the signed record that proves it
//   meta.profile    the BALP profile the event conforms to, when it does: a
//                   granted read, create or update of a patient's plan whose
//                   client device and address and whose server address are
//                   known -> IHE.BasicAudit.PatientRead / PatientCreate /
//                   PatientUpdate (Read / Create / Update without a patient);
//                   refusals, audit queries, exports and directory changes
//                   claim none
//   type            audit-event-type "rest" Restful Operation (reads, plan
//                   changes, refused plan commands, audit queries); DCM 110106
//                   Export (audit exports); DCM 110113 Security Alert
//                   (directory changes); DCM 110100 Application Activity
//                   (anything else)
//   subtype         the FHIR restful interaction (read, create, update,
//                   search) or DICOM event type (110101 Audit Log Used,
//                   110137, 110129), and the careledger action
//                   (urn:careledger:action)
//   action          R reads and exports, C a stream's first event (or a
//                   refused start), U other changes, E queries
//   recorded        the entry's time, RFC 3339 in UTC ("...Z")
//   outcome         0 granted; 4 (minor failure) refused, outcomeDesc = reason
//   purposeOfEvent  the role's v3-ActReason (TREAT, ETREAT, PATRQT, FAMRQT,
//                   HOPERAT) with the stated purpose as text; break-glass
//                   adds ETREAT and BTG with the stated reason
//   agent           the user (requestor, urn:careledger:user, IRCP on reads
//                   and queries, AUT on changes, the careledger role as
//                   agent.role); the organisation (ODS code, the site's
//                   name); the client, the registered device with its network
//                   address (BALP keeps addresses off the user); the server,
//                   this ledger with options.server_address. BALP's roles:
//                   on reads and exports the client is DCM 110152
//                   Destination Role ID and the server 110153 Source Role
//                   ID (the data flows to the client); on changes and
//                   queries the reverse
//   source          observer = this ledger (urn:careledger:ledger), site =
//                   the actor's site, type 4 Application Server
//   entity          the patient (Reference(Patient) by NHS number; Person /
//                   Patient); the subject (urn:careledger:stream
//                   "patient/<nhs>", ...; System Object / Domain Resource)
//                   with details: view, version, stream_seq, content_hash,
//                   section, note, log_position, value_hash, command_id; for
//                   audit queries also the query (System Object / Query,
//                   base64)
#ifndef CARELEDGER_TOOLS_AUDIT_EXPORT_H_
#define CARELEDGER_TOOLS_AUDIT_EXPORT_H_

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "careledger/v1/audit.pb.h"

namespace careledger::tools {

struct FhirExportOptions {
  // This ledger, as the AuditEvents' observer and server agent
  // (identifier system "urn:careledger:ledger"): the log's topic.
  std::string ledger = "careledger";
  // The network address (host name or IP address) of the careledger server
  // that decided the events, as BALP's server agent gives it. careledger
  // does not record it per event: the exporter states it (LocalHostName()
  // by default in `audit export` and the service). Empty: the server agent
  // has no address and no event claims a BALP profile.
  std::string server_address;
};

// This machine's host name (gethostname), or "" when it has none.
std::string LocalHostName();

// The FHIR R4 AuditEvent of one entry.
nlohmann::json AuditEventOf(const careledger::v1::AuditEntry& entry,
                            const FhirExportOptions& options = {});

// A Bundle of type "collection" holding the entries' AuditEvents in order,
// each with fullUrl "urn:uuid:<a UUID derived from the ledger and the
// record's position and value hash>".
nlohmann::json AuditBundle(const std::vector<careledger::v1::AuditEntry>& entries,
                           const FhirExportOptions& options = {});

// Writes the same Bundle as AuditBundle one entry at a time, so a trail of
// any length is exported in constant memory. Finish() closes it.
class FhirBundleWriter {
 public:
  FhirBundleWriter(std::ostream* out, FhirExportOptions options);
  void Add(const careledger::v1::AuditEntry& entry);
  void Finish();

 private:
  std::ostream* out_;
  FhirExportOptions options_;
  bool first_ = true;
};

// The CSV columns, in order: recorded_at, kind, action, outcome, reason,
// nhs_number, user_id, user_name (the name in the directory now), role, organisation, site,
// device_id, network_address, purpose, view, version, stream_seq, content_hash_hex, section,
// break_glass, break_glass_reason, partition, offset, command_id, subject, note, restricted,
// range_from, range_to.
std::vector<std::string> CsvColumns();

// The header line and one line per entry, each ended by CRLF (RFC 4180).
// Control characters in a field but LF are escaped (events/text.h), so the
// only CR are those of line ends. A field holding a comma, a double quote or
// LF is quoted,
// its quotes doubled. A field that a spreadsheet would run as a formula
// (starting, after any spaces, with =, +, -, @, tab or CR) is prefixed with
// an apostrophe (OWASP "CSV injection"). The FHIR export carries the exact
// text, but with DEL, C1 and bidirectional controls escaped as \uNNNN.
std::string CsvHeader();
std::string CsvRow(const careledger::v1::AuditEntry& entry);

// One CSV field, quoted when it must be.
std::string CsvField(const std::string& value);

// Shared by both formats: a time as RFC 3339 in UTC with the fraction it
// has (a FHIR instant), and bytes as lower-case hex.
std::string Rfc3339(const google::protobuf::Timestamp& at);
std::string LowerHex(std::string_view bytes);

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_AUDIT_EXPORT_H_
