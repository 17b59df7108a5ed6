// The FHIR R4 half of tools/audit_export.h: an audit entry to an AuditEvent
// shaped by IHE BALP (the mapping is documented in the header, the profiles
// in docs/fhir.md), the Bundle, and its streaming writer.
#include <fmt/format.h>
#include <unistd.h>

#include <string_view>

#include "events/sha256.h"
#include "events/text.h"
#include "events/time_util.h"
#include "tools/audit_export.h"
#include "tools/audit_view.h"
#include "tools/fhir_json.h"
#include "tools/output.h"
#include "tools/plan_view.h"

namespace careledger::tools {
namespace {

using careledger::v1::AuditEntry;
using nlohmann::json;

constexpr std::string_view kDicom = "http://dicom.nema.org/resources/ontology/DCM";
constexpr std::string_view kRestful = "http://hl7.org/fhir/restful-interaction";
constexpr std::string_view kEventType = "http://terminology.hl7.org/CodeSystem/audit-event-type";
constexpr std::string_view kBalp = "https://profiles.ihe.net/ITI/BALP/StructureDefinition/";
constexpr std::string_view kActReason = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
constexpr std::string_view kParticipation =
    "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";
constexpr std::string_view kEntityType = "http://terminology.hl7.org/CodeSystem/audit-entity-type";
constexpr std::string_view kObjectRole = "http://terminology.hl7.org/CodeSystem/object-role";
constexpr std::string_view kSourceType =
    "http://terminology.hl7.org/CodeSystem/security-source-type";
constexpr std::string_view kConfidentiality =
    "http://terminology.hl7.org/CodeSystem/v3-Confidentiality";
constexpr std::string_view kNhsNumber = kFhirNhsNumber;
constexpr std::string_view kOds = kFhirOdsCode;
constexpr std::string_view kUser = "urn:careledger:user";
constexpr std::string_view kDevice = "urn:careledger:device";
constexpr std::string_view kLedger = "urn:careledger:ledger";
constexpr std::string_view kStream = "urn:careledger:stream";
constexpr std::string_view kAction = "urn:careledger:action";
constexpr std::string_view kRole = "urn:careledger:role";

bool IsAuditAction(const AuditEntry& entry) { return entry.action().starts_with("audit_"); }
bool IsExport(const AuditEntry& entry) { return entry.action().starts_with("audit_export_"); }
bool IsDirectory(const AuditEntry& entry) { return entry.subject().starts_with("directory/"); }
bool IsPatientSubject(const AuditEntry& entry) {
  return entry.subject().starts_with("patient/") || entry.subject().empty();
}

// A read, granted or refused: what a ViewPlan (or another lookup) asked.
bool IsRead(const AuditEntry& entry) {
  if (IsAuditAction(entry)) return false;
  if (entry.kind() == careledger::v1::AUDIT_KIND_READ) return true;
  return entry.kind() == careledger::v1::AUDIT_KIND_REFUSED &&
         (entry.action() == "view_plan" || entry.view() != careledger::v1::PLAN_VIEW_UNSPECIFIED);
}

// C, R, U or E (FHIR AuditEventAction).
std::string ActionCode(const AuditEntry& entry) {
  if (IsExport(entry)) return "R";  // DICOM Export: the data is read out
  if (IsAuditAction(entry)) return "E";
  if (IsRead(entry)) return "R";
  if (entry.kind() == careledger::v1::AUDIT_KIND_CHANGE) return entry.stream_seq() == 1 ? "C" : "U";
  return entry.action() == "start_plan" ? "C" : "U";  // a refused command
}

// BALP's RESTful patterns type every read, change and query "rest"; the
// rest keep their DICOM event types.
json EventType(const AuditEntry& entry) {
  if (IsExport(entry)) return FhirCoding(kDicom, "110106", "Export");
  if (IsDirectory(entry)) return FhirCoding(kDicom, "110113", "Security Alert");
  if (IsAuditAction(entry) || IsRead(entry) || IsPatientSubject(entry)) {
    return FhirCoding(kEventType, "rest", "Restful Operation");
  }
  return FhirCoding(kDicom, "110100", "Application Activity");
}

// The interaction (what BALP's profiles slice on) first, then the
// careledger action.
json Subtypes(const AuditEntry& entry, const std::string& action_code) {
  json subtypes = json::array();
  if (IsAuditAction(entry)) {
    if (!IsExport(entry)) subtypes.push_back(FhirCoding(kRestful, "search", "search"));
    subtypes.push_back(FhirCoding(kDicom, "110101", "Audit Log Used"));
  } else if (IsDirectory(entry)) {
    if (entry.subject().starts_with("directory/user/")) {
      subtypes.push_back(FhirCoding(kDicom, "110137", "User security Attributes Changed"));
    } else {
      subtypes.push_back(FhirCoding(kDicom, "110129", "Security Configuration"));
    }
  } else if (action_code == "R") {
    subtypes.push_back(FhirCoding(kRestful, "read", "read"));
  } else if (action_code == "C") {
    subtypes.push_back(FhirCoding(kRestful, "create", "create"));
  } else {
    subtypes.push_back(FhirCoding(kRestful, "update", "update"));
  }
  subtypes.push_back(FhirCoding(kAction, entry.action()));
  return subtypes;
}

// "URGENT_CARE" -> "urgent care".
std::string RoleDisplay(careledger::v1::Role role) {
  std::string name = ShortEnum(careledger::v1::Role_Name(role), 5);
  for (char& c : name) {
    c = c == '_' ? ' ' : static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  }
  return name;
}

// The purpose of use a role acts under (v3-ActReason); null when none fits.
json RolePurpose(careledger::v1::Role role) {
  switch (role) {
    case careledger::v1::ROLE_CLINICIAN:
    case careledger::v1::ROLE_ADMINISTRATOR:
      return FhirCoding(kActReason, "TREAT", "treatment");
    case careledger::v1::ROLE_URGENT_CARE:
      return FhirCoding(kActReason, "ETREAT", "Emergency Treatment");
    case careledger::v1::ROLE_PATIENT:
      return FhirCoding(kActReason, "PATRQT", "patient requested");
    case careledger::v1::ROLE_PROXY_VIEWER:
      return FhirCoding(kActReason, "FAMRQT", "family requested");
    case careledger::v1::ROLE_AUDITOR:
    case careledger::v1::ROLE_SYSTEM:
      return FhirCoding(kActReason, "HOPERAT", "healthcare operations");
    default:
      return nullptr;
  }
}

bool BreakGlass(const AuditEntry& entry) {
  return entry.break_glass() || !entry.break_glass_reason().empty();
}

json Purposes(const AuditEntry& entry) {
  json purposes = json::array();
  const careledger::v1::Actor& actor = entry.actor();
  json role = RolePurpose(actor.role());
  if (!role.is_null()) {
    purposes.push_back(FhirConcept(role, actor.purpose()));
  } else if (!actor.purpose().empty()) {
    purposes.push_back({{"text", actor.purpose()}});
  }
  if (BreakGlass(entry)) {
    json glass = {{"coding", json::array()}};
    if (actor.role() != careledger::v1::ROLE_URGENT_CARE) {
      glass["coding"].push_back(FhirCoding(kActReason, "ETREAT", "Emergency Treatment"));
    }
    glass["coding"].push_back(FhirCoding(kActReason, "BTG", "break the glass"));
    glass["text"] = fmt::format("break-glass: {}", entry.break_glass_reason());
    purposes.push_back(std::move(glass));
  }
  return purposes;
}

bool LooksLikeIpAddress(const std::string& address) {
  if (address.empty()) return false;
  if (address.find(':') != std::string::npos) {
    return address.find_first_not_of("0123456789abcdefABCDEF:.%") == std::string::npos;
  }
  return address.find_first_not_of("0123456789.") == std::string::npos;
}

// AuditEvent.agent.network: type 2 an IP address, 1 a machine name.
json Network(const std::string& address) {
  return {{"address", address}, {"type", LooksLikeIpAddress(address) ? "2" : "1"}};
}

json Agents(const AuditEntry& entry, const std::string& action_code, const json& purposes,
            const FhirExportOptions& options) {
  const careledger::v1::Actor& actor = entry.actor();
  json agents = json::array();

  // The user: who did it, in which careledger role, for what purpose.
  json user = {{"requestor", true}};
  user["type"] = action_code == "C" || action_code == "U"
                     ? FhirConcept(FhirCoding(kParticipation, "AUT", "author"))
                     : FhirConcept(FhirCoding(kParticipation, "IRCP", "information recipient"));
  if (!actor.user_id().empty()) {
    // The person's name in the directory now, or their id when it does
    // not know them (AuditEntry.actor_name).
    const std::string& name = entry.actor_name().empty() ? actor.user_id() : entry.actor_name();
    user["who"] = {{"identifier", FhirIdentifier(kUser, actor.user_id())}, {"display", name}};
    user["name"] = name;
  } else {
    user["who"] = {{"display", "no user named"}};
  }
  if (actor.role() != careledger::v1::ROLE_UNSPECIFIED) {
    user["role"] = json::array({FhirConcept(
        FhirCoding(kRole, careledger::v1::Role_Name(actor.role()), RoleDisplay(actor.role())))});
  }
  if (!purposes.empty()) user["purposeOfUse"] = purposes;
  agents.push_back(std::move(user));

  // The organisation the user acted for, and its name then.
  if (!actor.organisation().empty()) {
    json who = {{"identifier", FhirIdentifier(kOds, actor.organisation())}};
    if (!entry.site().empty()) who["display"] = entry.site();
    agents.push_back(
        {{"type", FhirConcept(FhirCoding(kParticipation, "RESP", "responsible party"))},
         {"requestor", false},
         {"who", std::move(who)}});
  }

  // BALP (after DICOM): the data flows to the client on a read or an
  // export, so the client is the destination there and the source of a
  // change or a query.
  const bool data_to_client = action_code == "R";
  const json destination = FhirConcept(FhirCoding(kDicom, "110152", "Destination Role ID"));
  const json source = FhirConcept(FhirCoding(kDicom, "110153", "Source Role ID"));

  // The client: the registered device, from its network address.
  if (!actor.device_id().empty() || !actor.network_address().empty()) {
    json client = {{"type", data_to_client ? destination : source}, {"requestor", false}};
    if (!actor.device_id().empty()) {
      client["who"] = {{"identifier", FhirIdentifier(kDevice, actor.device_id())},
                       {"display", actor.device_id()}};
    }
    if (!actor.network_address().empty()) {
      client["network"] = Network(actor.network_address());
    }
    agents.push_back(std::move(client));
  }

  // The server: this ledger, which decided and recorded it.
  json server = {{"type", data_to_client ? source : destination},
                 {"requestor", false},
                 {"who",
                  {{"identifier", FhirIdentifier(kLedger, options.ledger)},
                   {"display", fmt::format("careledger {}", options.ledger)}}}};
  if (!options.server_address.empty()) server["network"] = Network(options.server_address);
  agents.push_back(std::move(server));
  return agents;
}

json Detail(const std::string& type, const std::string& value) {
  return {{"type", type}, {"valueString", value}};
}

json Entities(const AuditEntry& entry) {
  json entities = json::array();
  if (!entry.nhs_number().empty()) {
    entities.push_back(
        {{"what",
          {{"type", "Patient"}, {"identifier", FhirIdentifier(kNhsNumber, entry.nhs_number())}}},
         {"type", FhirCoding(kEntityType, "1", "Person")},
         {"role", FhirCoding(kObjectRole, "1", "Patient")}});
  }

  // What it was about, and the signed record that proves it.
  const careledger::v1::EventPosition& position = entry.position();
  json subject = {{"type", FhirCoding(kEntityType, "2", "System Object")}};
  if (entry.subject().starts_with("directory/user/")) {
    subject["role"] = FhirCoding(kObjectRole, "11", "Security User Entity");
  } else if (IsDirectory(entry)) {
    subject["role"] = FhirCoding(kObjectRole, "5", "Master file");
  } else {
    subject["role"] = FhirCoding(kObjectRole, "4", "Domain Resource");
  }
  const std::string what = entry.subject().empty()
                               ? fmt::format("log/{}/{}", position.partition(), position.offset())
                               : entry.subject();
  subject["what"] = {{"identifier", FhirIdentifier(kStream, what)}};
  if (entry.restricted()) {
    subject["securityLabel"] = json::array({FhirCoding(kConfidentiality, "R", "restricted")});
  }
  json details = json::array();
  if (entry.view() != careledger::v1::PLAN_VIEW_UNSPECIFIED) {
    details.push_back(Detail("view", ShortEnum(careledger::v1::PlanView_Name(entry.view()), 10)));
  }
  if (entry.version() > 0) details.push_back(Detail("version", std::to_string(entry.version())));
  if (entry.stream_seq() > 0) {
    details.push_back(Detail("stream_seq", std::to_string(entry.stream_seq())));
  }
  if (!entry.content_hash().empty()) {
    details.push_back(
        {{"type", "content_hash"}, {"valueBase64Binary", Base64(entry.content_hash())}});
  }
  if (!entry.section().empty()) details.push_back(Detail("section", entry.section()));
  if (!entry.note().empty()) details.push_back(Detail("note", entry.note()));
  if (entry.has_range_from()) details.push_back(Detail("range_from", Rfc3339(entry.range_from())));
  if (entry.has_range_to()) details.push_back(Detail("range_to", Rfc3339(entry.range_to())));
  details.push_back(
      Detail("log_position", fmt::format("{}/{}", position.partition(), position.offset())));
  if (!position.value_hash().empty()) {
    details.push_back(
        {{"type", "value_hash"}, {"valueBase64Binary", Base64(position.value_hash())}});
  }
  if (!entry.command_id().empty()) details.push_back(Detail("command_id", entry.command_id()));
  subject["detail"] = std::move(details);
  entities.push_back(std::move(subject));

  // An auditor's query: what was asked (BALP: the raw query in base64).
  if (IsAuditAction(entry)) {
    const std::string asked =
        fmt::format("{} {} {}", entry.action(), entry.subject(),
                    RangeText(entry.has_range_from() ? &entry.range_from() : nullptr,
                              entry.has_range_to() ? &entry.range_to() : nullptr));
    entities.push_back({{"type", FhirCoding(kEntityType, "2", "System Object")},
                        {"role", FhirCoding(kObjectRole, "24", "Query")},
                        {"description", asked},
                        {"query", Base64(asked)}});
  }
  return entities;
}

std::string Narrative(const AuditEntry& entry) {
  const careledger::v1::Actor& actor = entry.actor();
  std::string organisation = actor.organisation();
  if (!entry.site().empty()) organisation += fmt::format(" {}", entry.site());
  const std::string line = fmt::format(
      "{} {} {} ({}, {}): {}", TimeText(entry.at()),
      ShortEnum(careledger::v1::AuditKind_Name(entry.kind()), 11),
      actor.user_id().empty()      ? "-"
      : entry.actor_name().empty() ? actor.user_id()
                                   : fmt::format("{} {}", actor.user_id(), entry.actor_name()),
      RoleDisplay(actor.role()), organisation.empty() ? "-" : organisation, Describe(entry));
  return fmt::format("<div xmlns=\"http://www.w3.org/1999/xhtml\">{}</div>", XhtmlEscaped(line));
}

// A name-based UUID (RFC 9562 version 8) of the record: the same record of
// the same ledger always gets the same one.
std::string RecordUuid(const AuditEntry& entry, const FhirExportOptions& options) {
  const careledger::v1::EventPosition& position = entry.position();
  return NameUuid(fmt::format("careledger-audit\n{}\n{}/{}\n{}", options.ledger,
                              position.partition(), position.offset(),
                              LowerHex(position.value_hash())));
}

json BundleEntry(const AuditEntry& entry, const FhirExportOptions& options) {
  return {{"fullUrl", fmt::format("urn:uuid:{}", RecordUuid(entry, options))},
          {"resource", AuditEventOf(entry, options)}};
}

// The BALP profile the event conforms to, or "" when none: a granted
// read, create or update whose client (device and network address), user
// and server address are known. Refusals ("failures are recorded
// differently"), audit queries (their subject entity and the query entity
// would both fill BALP Query's one System Object slot), exports and
// directory changes have no BALP profile.
std::string BalpProfile(const AuditEntry& entry, const std::string& action_code,
                        const FhirExportOptions& options) {
  const careledger::v1::Actor& actor = entry.actor();
  if (entry.kind() == careledger::v1::AUDIT_KIND_REFUSED ||
      entry.outcome() == careledger::v1::ACCESS_OUTCOME_DENIED || IsAuditAction(entry) ||
      IsDirectory(entry) || !(IsRead(entry) || IsPatientSubject(entry))) {
    return "";
  }
  if (actor.user_id().empty() || actor.device_id().empty() || actor.network_address().empty() ||
      options.server_address.empty()) {
    return "";
  }
  const std::string_view pattern = action_code == "R"   ? "Read"
                                   : action_code == "C" ? "Create"
                                   : action_code == "U" ? "Update"
                                                        : "";
  if (pattern.empty()) return "";
  return fmt::format("{}IHE.BasicAudit.{}{}", kBalp, entry.nhs_number().empty() ? "" : "Patient",
                     pattern);
}

}  // namespace

std::string LocalHostName() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "";
  return name;
}

json AuditEventOf(const AuditEntry& entry, const FhirExportOptions& options) {
  const careledger::v1::EventPosition& position = entry.position();
  const std::string action_code = ActionCode(entry);
  json event = {{"resourceType", "AuditEvent"},
                {"id", fmt::format("cl-{}-{}", position.partition(), position.offset())},
                {"text", {{"status", "generated"}, {"div", Narrative(entry)}}},
                {"type", EventType(entry)},
                {"subtype", Subtypes(entry, action_code)},
                {"action", action_code},
                {"recorded", Rfc3339(entry.at())}};
  if (const std::string profile = BalpProfile(entry, action_code, options); !profile.empty()) {
    event["meta"] = {{"profile", json::array({profile})}};
  }
  if (entry.outcome() == careledger::v1::ACCESS_OUTCOME_DENIED ||
      entry.kind() == careledger::v1::AUDIT_KIND_REFUSED) {
    event["outcome"] = "4";
    event["outcomeDesc"] = entry.reason();
  } else {
    event["outcome"] = "0";
  }
  json purposes = Purposes(entry);
  if (!purposes.empty()) event["purposeOfEvent"] = purposes;
  event["agent"] = Agents(entry, action_code, purposes, options);
  json source = {{"observer",
                  {{"identifier", FhirIdentifier(kLedger, options.ledger)},
                   {"display", fmt::format("careledger {}", options.ledger)}}},
                 {"type", json::array({FhirCoding(kSourceType, "4", "Application Server")})}};
  if (!entry.site().empty()) source["site"] = entry.site();
  event["source"] = std::move(source);
  event["entity"] = Entities(entry);
  return event;
}

json AuditBundle(const std::vector<AuditEntry>& entries, const FhirExportOptions& options) {
  json bundle_entries = json::array();
  for (const AuditEntry& entry : entries) bundle_entries.push_back(BundleEntry(entry, options));
  return {{"resourceType", "Bundle"}, {"type", "collection"}, {"entry", std::move(bundle_entries)}};
}

FhirBundleWriter::FhirBundleWriter(std::ostream* out, FhirExportOptions options)
    : out_(out), options_(std::move(options)) {
  // The empty bundle, split where the entries go: the same bytes as
  // AuditBundle(...).dump().
  const std::string empty = FhirDump(AuditBundle({}, options_));
  *out_ << empty.substr(0, empty.find("[]") + 1);
}

void FhirBundleWriter::Add(const AuditEntry& entry) {
  if (!first_) *out_ << ",";
  first_ = false;
  *out_ << FhirDump(BundleEntry(entry, options_));
}

void FhirBundleWriter::Finish() {
  const std::string empty = FhirDump(AuditBundle({}, options_));
  *out_ << empty.substr(empty.find("[]") + 1) << "\n";
}

}  // namespace careledger::tools
