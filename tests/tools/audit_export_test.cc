// The audit export (tools/audit_export.h): every kind of audit entry maps to
// a FHIR R4 AuditEvent with the resource's required elements (type,
// recorded, agent with requestor, source with observer) and the IHE BALP
// patterns (a requestor user with who, the patient entity by NHS number,
// outcome codes, purpose of use, break-glass); the Bundle's shape and its
// streaming writer; CSV quoting (RFC 4180) and one column per header field.
#include "tools/audit_export.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <set>
#include <sstream>

#include "events/sha256.h"

namespace careledger::tools {
namespace {

using careledger::v1::AuditEntry;
using nlohmann::json;

constexpr char kNhs[] = "9990000026";

google::protobuf::Timestamp At(std::int64_t seconds, std::int32_t nanos = 0) {
  google::protobuf::Timestamp at;
  at.set_seconds(seconds);
  at.set_nanos(nanos);
  return at;
}

AuditEntry Base(std::int64_t offset) {
  AuditEntry entry;
  *entry.mutable_at() = At(1781515800 + offset, 123456000);  // 2026-06-15T09:30:..
  careledger::v1::Actor* actor = entry.mutable_actor();
  actor->set_user_id("crew.lee");
  actor->set_role(careledger::v1::ROLE_URGENT_CARE);
  actor->set_organisation("AMB001");
  actor->set_device_id("dev-AMB001");
  actor->set_network_address("10.1.2.3");
  actor->set_purpose("emergency care");
  entry.set_site("London Ambulance Service");
  entry.set_nhs_number(kNhs);
  entry.set_subject(std::string("patient/") + kNhs);
  entry.set_outcome(careledger::v1::ACCESS_OUTCOME_GRANTED);
  entry.set_command_id("cmd-1");
  entry.mutable_position()->set_partition(2);
  entry.mutable_position()->set_offset(offset);
  entry.mutable_position()->set_value_hash(events::HashBytes(events::Sha256("record")));
  return entry;
}

AuditEntry Read() {
  AuditEntry entry = Base(10);
  entry.set_kind(careledger::v1::AUDIT_KIND_READ);
  entry.set_action("view_plan");
  entry.set_view(careledger::v1::PLAN_VIEW_PUBLISHED);
  entry.set_version(2);
  entry.set_stream_seq(9);
  entry.set_content_hash(events::HashBytes(events::Sha256("plan")));
  return entry;
}

AuditEntry BreakGlassRead() {
  AuditEntry entry = Read();
  entry.mutable_position()->set_offset(11);
  entry.mutable_actor()->set_role(careledger::v1::ROLE_CLINICIAN);
  entry.mutable_actor()->set_user_id("dr.jones");
  entry.set_restricted(true);
  entry.set_break_glass(true);
  entry.set_break_glass_reason("unconscious, no GP reachable");
  return entry;
}

AuditEntry Change(std::uint64_t stream_seq, const std::string& action) {
  AuditEntry entry = Base(20 + static_cast<std::int64_t>(stream_seq));
  entry.set_kind(careledger::v1::AUDIT_KIND_CHANGE);
  entry.set_action(action);
  entry.mutable_actor()->set_role(careledger::v1::ROLE_CLINICIAN);
  entry.mutable_actor()->set_user_id("dr.patel");
  entry.mutable_actor()->set_purpose("");
  entry.set_stream_seq(stream_seq);
  if (action == "plan_section_updated") entry.set_section("demographics");
  return entry;
}

AuditEntry Refused() {
  AuditEntry entry = Base(30);
  entry.set_kind(careledger::v1::AUDIT_KIND_REFUSED);
  entry.set_action("approve_plan");
  entry.mutable_actor()->set_role(careledger::v1::ROLE_ADMINISTRATOR);
  entry.set_outcome(careledger::v1::ACCESS_OUTCOME_DENIED);
  entry.set_reason("role ROLE_ADMINISTRATOR may not approve_plan");
  return entry;
}

AuditEntry RefusedRead() {
  AuditEntry entry = Refused();
  entry.mutable_position()->set_offset(31);
  entry.set_action("view_plan");
  entry.set_view(careledger::v1::PLAN_VIEW_DRAFT);
  entry.set_reason("urgent care never sees a working draft");
  return entry;
}

AuditEntry AuditQuery(const std::string& action) {
  AuditEntry entry = Base(40);
  entry.set_kind(careledger::v1::AUDIT_KIND_AUDIT_QUERY);
  entry.set_action(action);
  entry.mutable_actor()->set_role(careledger::v1::ROLE_AUDITOR);
  entry.mutable_actor()->set_user_id("auditor.cmc");
  entry.mutable_actor()->set_organisation("CMC001");
  entry.mutable_actor()->set_purpose("complaint 42");
  *entry.mutable_range_from() = At(1780000000);
  return entry;
}

AuditEntry Export() {
  AuditEntry entry = AuditQuery("audit_export_patient");
  entry.mutable_position()->set_offset(41);
  return entry;
}

AuditEntry DirectoryChange() {
  AuditEntry entry = Base(50);
  entry.set_kind(careledger::v1::AUDIT_KIND_CHANGE);
  entry.set_action("user_recorded");
  entry.set_nhs_number("");
  entry.set_subject("directory/user/crew.lee");
  entry.mutable_actor()->set_role(careledger::v1::ROLE_AUDITOR);
  entry.mutable_actor()->set_user_id("auditor.cmc");
  entry.set_stream_seq(1);
  return entry;
}

std::vector<AuditEntry> EveryKind() {
  return {Read(),
          BreakGlassRead(),
          Change(1, "plan_started"),
          Change(2, "plan_section_updated"),
          Refused(),
          RefusedRead(),
          AuditQuery("audit_patient"),
          Export(),
          DirectoryChange()};
}

bool HasCoding(const json& coding, const std::string& system, const std::string& code) {
  return coding.is_object() && coding.value("system", "") == system &&
         coding.value("code", "") == code;
}

bool ConceptHas(const json& concept_json, const std::string& system, const std::string& code) {
  if (!concept_json.contains("coding")) return false;
  for (const json& coding : concept_json["coding"]) {
    if (HasCoding(coding, system, code)) return true;
  }
  return false;
}

// FHIR R4 instant.
const std::regex kInstant(
    R"(([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)-(0[1-9]|1[0-2])-(0[1-9]|[1-2][0-9]|3[0-1])T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00)))");
const std::regex kId(R"([A-Za-z0-9\-\.]{1,64})");

// The AuditEvent resource's required elements (R4: type 1..1, recorded
// 1..1, agent 1..* each with requestor 1..1, source 1..1 with observer
// 1..1), and the BALP user: one requestor with who.
void ExpectValidAuditEvent(const json& event) {
  SCOPED_TRACE(event.dump(2));
  EXPECT_EQ(event.value("resourceType", ""), "AuditEvent");
  EXPECT_TRUE(std::regex_match(event.value("id", ""), kId));
  ASSERT_TRUE(event.contains("type"));
  EXPECT_FALSE(event["type"].value("system", "").empty());
  EXPECT_FALSE(event["type"].value("code", "").empty());
  ASSERT_TRUE(event.contains("recorded"));
  EXPECT_TRUE(std::regex_match(event["recorded"].get<std::string>(), kInstant))
      << event["recorded"];
  EXPECT_THAT(event.value("action", ""), testing::AnyOf("C", "R", "U", "D", "E"));
  EXPECT_THAT(event.value("outcome", ""), testing::AnyOf("0", "4", "8", "12"));
  ASSERT_TRUE(event.contains("agent") && event["agent"].is_array() && !event["agent"].empty());
  int requestors = 0;
  for (const json& agent : event["agent"]) {
    ASSERT_TRUE(agent.contains("requestor") && agent["requestor"].is_boolean());
    if (agent["requestor"].get<bool>()) {
      ++requestors;
      ASSERT_TRUE(agent.contains("who"));
      const json& who = agent["who"];
      EXPECT_TRUE(who.contains("identifier") ? !who["identifier"].value("value", "").empty()
                                             : !who.value("display", "").empty());
    }
    EXPECT_TRUE(agent.contains("type"));
  }
  EXPECT_EQ(requestors, 1);
  ASSERT_TRUE(event.contains("source"));
  ASSERT_TRUE(event["source"].contains("observer"));
  EXPECT_FALSE(event["source"]["observer"].empty());
  ASSERT_TRUE(event.contains("entity"));
  for (const json& entity : event["entity"]) {
    for (const char* coded : {"type", "role"}) {
      if (entity.contains(coded)) {
        EXPECT_FALSE(entity[coded].value("system", "").empty());
      }
    }
  }
  EXPECT_EQ(event["text"].value("status", ""), "generated");
  EXPECT_EQ(event["text"].value("div", "").rfind("<div xmlns=\"http://www.w3.org/1999/xhtml\">", 0),
            0u);
}

const json* Requestor(const json& event) {
  for (const json& agent : event["agent"]) {
    if (agent.value("requestor", false)) return &agent;
  }
  return nullptr;
}

const json* EntityWithRole(const json& event, const std::string& role) {
  for (const json& entity : event["entity"]) {
    if (entity.contains("role") && entity["role"].value("code", "") == role) return &entity;
  }
  return nullptr;
}

std::string DetailOf(const json& entity, const std::string& type) {
  for (const json& detail : entity["detail"]) {
    if (detail.value("type", "") != type) continue;
    if (detail.contains("valueString")) return detail["valueString"];
    return detail.value("valueBase64Binary", "");
  }
  return "";
}

TEST(AuditExportTest, EveryKindOfEntryIsAValidAuditEvent) {
  for (const AuditEntry& entry : EveryKind()) {
    SCOPED_TRACE(entry.action());
    ExpectValidAuditEvent(AuditEventOf(entry));
  }
  AuditEntry bare;  // nothing but a position: still valid
  bare.mutable_position()->set_offset(1);
  bare.set_kind(careledger::v1::AUDIT_KIND_CHANGE);
  ExpectValidAuditEvent(AuditEventOf(bare));
}

// The options of a server whose address is known: what BALP's profiles need.
FhirExportOptions Server() {
  FhirExportOptions options;
  options.server_address = "ledger.example.nhs.uk";
  return options;
}

TEST(AuditExportTest, ReadFollowsBalp) {
  const json event = AuditEventOf(Read(), Server());
  EXPECT_EQ(event["id"], "cl-2-10");
  EXPECT_EQ(event["meta"]["profile"],
            json::array({"https://profiles.ihe.net/ITI/BALP/StructureDefinition/"
                         "IHE.BasicAudit.PatientRead"}));
  EXPECT_TRUE(
      HasCoding(event["type"], "http://terminology.hl7.org/CodeSystem/audit-event-type", "rest"));
  EXPECT_EQ(event["action"], "R");
  EXPECT_EQ(event["outcome"], "0");
  EXPECT_FALSE(event.contains("outcomeDesc"));
  EXPECT_EQ(event["recorded"], "2026-06-15T09:30:10.123456Z");
  bool read = false;
  bool action = false;
  for (const json& subtype : event["subtype"]) {
    read |= HasCoding(subtype, "http://hl7.org/fhir/restful-interaction", "read");
    action |= HasCoding(subtype, "urn:careledger:action", "view_plan");
  }
  EXPECT_TRUE(read && action) << event["subtype"];

  const json* user = Requestor(event);
  ASSERT_NE(user, nullptr);
  EXPECT_EQ((*user)["who"]["identifier"]["system"], "urn:careledger:user");
  EXPECT_EQ((*user)["who"]["identifier"]["value"], "crew.lee");
  EXPECT_EQ((*user)["who"]["display"], "crew.lee");  // no name in the directory: the id
  EXPECT_EQ((*user)["name"], "crew.lee");
  AuditEntry named = Read();
  named.set_actor_name("Lee Patel");
  const json named_event = AuditEventOf(named, Server());
  const json* named_user = Requestor(named_event);
  ASSERT_NE(named_user, nullptr);
  EXPECT_EQ((*named_user)["who"]["display"], "Lee Patel");
  EXPECT_EQ((*named_user)["name"], "Lee Patel");
  EXPECT_EQ((*named_user)["who"]["identifier"]["value"], "crew.lee");
  EXPECT_TRUE(ConceptHas((*user)["role"][0], "urn:careledger:role", "ROLE_URGENT_CARE"));
  EXPECT_TRUE(ConceptHas((*user)["type"],
                         "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "IRCP"));
  bool organisation = false;
  bool device = false;
  bool server = false;
  for (const json& agent : event["agent"]) {
    const json who = agent.value("who", json::object());
    if (who.contains("identifier") &&
        who["identifier"].value("system", "") == "https://fhir.nhs.uk/Id/ods-organization-code") {
      organisation = who["identifier"]["value"] == "AMB001" &&
                     who.value("display", "") == "London Ambulance Service";
    }
    // BALP Read: the client receives the data (DCM 110152 Destination Role
    // ID), the server sends it (110153 Source Role ID), each with an address.
    if (ConceptHas(agent["type"], "http://dicom.nema.org/resources/ontology/DCM", "110152")) {
      device = who["identifier"]["value"] == "dev-AMB001" &&
               agent["network"]["address"] == "10.1.2.3" && agent["network"]["type"] == "2";
    }
    if (ConceptHas(agent["type"], "http://dicom.nema.org/resources/ontology/DCM", "110153")) {
      server = who["identifier"]["system"] == "urn:careledger:ledger" &&
               agent["network"]["address"] == "ledger.example.nhs.uk" &&
               agent["network"]["type"] == "1";
    }
  }
  EXPECT_TRUE(organisation && device && server) << event["agent"].dump(2);
  EXPECT_EQ(event["source"]["site"], "London Ambulance Service");
  EXPECT_EQ(event["source"]["type"][0]["code"], "4");

  // Purpose: urgent care is emergency treatment; the stated purpose as text.
  ASSERT_TRUE(event.contains("purposeOfEvent"));
  EXPECT_TRUE(ConceptHas(event["purposeOfEvent"][0],
                         "http://terminology.hl7.org/CodeSystem/v3-ActReason", "ETREAT"));
  EXPECT_EQ(event["purposeOfEvent"][0]["text"], "emergency care");

  // The patient, and the plan with what was shown and the proving record.
  const json* patient = EntityWithRole(event, "1");
  ASSERT_NE(patient, nullptr);
  EXPECT_EQ((*patient)["what"]["type"], "Patient");  // BALP: Reference(Patient)
  EXPECT_EQ((*patient)["what"]["identifier"]["system"], "https://fhir.nhs.uk/Id/nhs-number");
  EXPECT_EQ((*patient)["what"]["identifier"]["value"], kNhs);
  EXPECT_EQ((*patient)["type"]["code"], "1");
  const json* plan = EntityWithRole(event, "4");
  ASSERT_NE(plan, nullptr);
  EXPECT_EQ((*plan)["what"]["identifier"]["value"], std::string("patient/") + kNhs);
  EXPECT_EQ((*plan)["type"]["code"], "2");
  EXPECT_EQ(DetailOf(*plan, "view"), "PUBLISHED");
  EXPECT_EQ(DetailOf(*plan, "version"), "2");
  EXPECT_EQ(DetailOf(*plan, "stream_seq"), "9");
  EXPECT_EQ(DetailOf(*plan, "content_hash"), "ZIeffWuWCgGQl2LZEaMtRYLCABDFZB7pAni2RKnjtSU=");
  EXPECT_EQ(DetailOf(*plan, "log_position"), "2/10");
  EXPECT_FALSE(DetailOf(*plan, "value_hash").empty());
  EXPECT_EQ(DetailOf(*plan, "command_id"), "cmd-1");

  // Without a known server address (or client device and address) the read
  // claims no BALP profile, since it would not conform; it is still a read.
  EXPECT_FALSE(AuditEventOf(Read()).contains("meta"));
  AuditEntry anonymous = Read();
  anonymous.mutable_actor()->clear_network_address();
  EXPECT_FALSE(AuditEventOf(anonymous, Server()).contains("meta"));
}

TEST(AuditExportTest, BreakGlassIsEmergencyTreatmentAndBtg) {
  const json event = AuditEventOf(BreakGlassRead());
  bool treat = false;
  bool etreat = false;
  bool btg = false;
  std::string reason;
  for (const json& purpose : event["purposeOfEvent"]) {
    treat |= ConceptHas(purpose, "http://terminology.hl7.org/CodeSystem/v3-ActReason", "TREAT");
    etreat |= ConceptHas(purpose, "http://terminology.hl7.org/CodeSystem/v3-ActReason", "ETREAT");
    if (ConceptHas(purpose, "http://terminology.hl7.org/CodeSystem/v3-ActReason", "BTG")) {
      btg = true;
      reason = purpose.value("text", "");
    }
  }
  EXPECT_TRUE(treat && etreat && btg) << event["purposeOfEvent"];
  EXPECT_NE(reason.find("unconscious, no GP reachable"), std::string::npos);
  EXPECT_EQ(Requestor(event)->value("purposeOfUse", json()), event["purposeOfEvent"]);
  const json* plan = EntityWithRole(event, "4");
  ASSERT_NE(plan, nullptr);
  EXPECT_EQ((*plan)["securityLabel"][0]["code"], "R");

  // No break-glass, no BTG.
  EXPECT_EQ(AuditEventOf(Read()).dump().find("BTG"), std::string::npos);
}

TEST(AuditExportTest, ChangesAreCreateOrUpdateByAnAuthor) {
  const json started = AuditEventOf(Change(1, "plan_started"), Server());
  EXPECT_EQ(started["action"], "C");
  EXPECT_TRUE(
      HasCoding(started["type"], "http://terminology.hl7.org/CodeSystem/audit-event-type", "rest"));
  EXPECT_TRUE(
      HasCoding(started["subtype"][0], "http://hl7.org/fhir/restful-interaction", "create"));
  EXPECT_EQ(started["meta"]["profile"][0],
            "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientCreate");
  // BALP Create: the client sends (110153 Source), the server receives (110152).
  bool client = false;
  for (const json& agent : started["agent"]) {
    client |= ConceptHas(agent["type"], "http://dicom.nema.org/resources/ontology/DCM", "110153") &&
              agent["who"]["identifier"]["value"] == "dev-AMB001";
  }
  EXPECT_TRUE(client) << started["agent"].dump(2);
  EXPECT_TRUE(ConceptHas(Requestor(started)->at("type"),
                         "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "AUT"));
  EXPECT_TRUE(ConceptHas(started["purposeOfEvent"][0],
                         "http://terminology.hl7.org/CodeSystem/v3-ActReason", "TREAT"));
  EXPECT_FALSE(started["purposeOfEvent"][0].contains("text"));  // no purpose stated
  const json edited = AuditEventOf(Change(2, "plan_section_updated"), Server());
  EXPECT_EQ(edited["action"], "U");
  EXPECT_TRUE(HasCoding(edited["subtype"][0], "http://hl7.org/fhir/restful-interaction", "update"));
  EXPECT_EQ(edited["meta"]["profile"][0],
            "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientUpdate");
  EXPECT_EQ(DetailOf(*EntityWithRole(edited, "4"), "section"), "demographics");

  const json directory = AuditEventOf(DirectoryChange(), Server());
  EXPECT_FALSE(directory.contains("meta"));  // no BALP pattern for it
  EXPECT_TRUE(
      HasCoding(directory["type"], "http://dicom.nema.org/resources/ontology/DCM", "110113"));
  EXPECT_EQ(directory["action"], "C");
  EXPECT_EQ(EntityWithRole(directory, "1"), nullptr);  // no patient
  const json* user = EntityWithRole(directory, "11");
  ASSERT_NE(user, nullptr);
  EXPECT_EQ((*user)["what"]["identifier"]["value"], "directory/user/crew.lee");
}

TEST(AuditExportTest, RefusalsAreMinorFailuresWithTheReason) {
  const json refused = AuditEventOf(Refused(), Server());
  EXPECT_EQ(refused["outcome"], "4");
  EXPECT_FALSE(refused.contains("meta"));  // BALP: failures are recorded differently
  EXPECT_EQ(refused["outcomeDesc"], "role ROLE_ADMINISTRATOR may not approve_plan");
  EXPECT_EQ(refused["action"], "U");
  const json read = AuditEventOf(RefusedRead());
  EXPECT_EQ(read["outcome"], "4");
  EXPECT_EQ(read["action"], "R");
  EXPECT_EQ(read["outcomeDesc"], "urgent care never sees a working draft");
}

TEST(AuditExportTest, AuditQueriesAreQueriesOfTheAuditLog) {
  const json query = AuditEventOf(AuditQuery("audit_patient"), Server());
  EXPECT_TRUE(
      HasCoding(query["type"], "http://terminology.hl7.org/CodeSystem/audit-event-type", "rest"));
  EXPECT_EQ(query["action"], "E");
  EXPECT_FALSE(query.contains("meta"));  // two System Objects: not BALP's Query (docs/fhir.md)
  bool audit_log_used = false;
  bool search = false;
  for (const json& subtype : query["subtype"]) {
    audit_log_used |= HasCoding(subtype, "http://dicom.nema.org/resources/ontology/DCM", "110101");
    search |= HasCoding(subtype, "http://hl7.org/fhir/restful-interaction", "search");
  }
  EXPECT_TRUE(audit_log_used && search);
  EXPECT_TRUE(ConceptHas(query["purposeOfEvent"][0],
                         "http://terminology.hl7.org/CodeSystem/v3-ActReason", "HOPERAT"));
  EXPECT_EQ(query["purposeOfEvent"][0]["text"], "complaint 42");
  const json* asked = EntityWithRole(query, "24");
  ASSERT_NE(asked, nullptr);
  EXPECT_EQ((*asked)["type"]["code"], "2");
  EXPECT_FALSE(asked->value("query", "").empty());
  EXPECT_NE(asked->value("description", "").find("audit_patient patient/9990000026 [2026-"),
            std::string::npos)
      << asked->dump();
  EXPECT_NE(EntityWithRole(query, "1"), nullptr);  // the audited patient

  const json exported = AuditEventOf(Export());
  EXPECT_TRUE(
      HasCoding(exported["type"], "http://dicom.nema.org/resources/ontology/DCM", "110106"));
  EXPECT_EQ(exported["action"], "R");
}

TEST(AuditExportTest, BundleIsACollectionOfTheEventsInOrder) {
  const std::vector<AuditEntry> entries = EveryKind();
  const json bundle = AuditBundle(entries);
  EXPECT_EQ(bundle["resourceType"], "Bundle");
  EXPECT_EQ(bundle["type"], "collection");
  ASSERT_EQ(bundle["entry"].size(), entries.size());
  std::set<std::string> urls;
  const std::regex uuid(
      "urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const json& item = bundle["entry"][i];
    EXPECT_TRUE(std::regex_match(item["fullUrl"].get<std::string>(), uuid)) << item["fullUrl"];
    urls.insert(item["fullUrl"]);
    EXPECT_EQ(item["resource"], AuditEventOf(entries[i]));
  }
  EXPECT_EQ(urls.size(), entries.size());
  EXPECT_EQ(AuditBundle(entries), bundle);  // deterministic
  FhirExportOptions other;
  other.ledger = "another.topic";
  EXPECT_NE(AuditBundle(entries, other)["entry"][0]["fullUrl"], bundle["entry"][0]["fullUrl"]);
  EXPECT_EQ(AuditBundle(entries,
                        other)["entry"][0]["resource"]["source"]["observer"]["identifier"]["value"],
            "another.topic");
}

TEST(AuditExportTest, StreamingWriterWritesTheSameBundle) {
  for (const std::vector<AuditEntry>& entries :
       {std::vector<AuditEntry>{}, std::vector<AuditEntry>{Read()}, EveryKind()}) {
    std::ostringstream out;
    FhirBundleWriter writer(&out, {});
    for (const AuditEntry& entry : entries) writer.Add(entry);
    writer.Finish();
    EXPECT_EQ(out.str(), AuditBundle(entries).dump() + "\n");
  }
}

// RFC 4180 records, parsed: fields split on commas outside quotes, records
// on CRLF outside quotes, doubled quotes inside.
std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().push_back(field);
      field.clear();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      rows.back().push_back(field);
      field.clear();
      rows.emplace_back();
      ++i;
    } else {
      field += c;
    }
  }
  EXPECT_FALSE(quoted);
  EXPECT_TRUE(field.empty() && rows.back().empty()) << "no CRLF at the end";
  rows.pop_back();
  return rows;
}

TEST(AuditExportTest, CsvQuotesCommasQuotesAndNewlines) {
  EXPECT_EQ(CsvField("plain"), "plain");
  EXPECT_EQ(CsvField(""), "");
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvField("two\nlines"), "\"two\nlines\"");
  // Other control characters are escaped, never raw in a cell.
  EXPECT_EQ(CsvField("cr\rhere"), "cr\\x0dhere");
  EXPECT_EQ(CsvField("\x1b[2Jgone\xc2\x9b"), "\\x1b[2Jgone\\u009b");
  EXPECT_EQ(CsvField("\t=1+1"), "\\x09=1+1");
  // Spreadsheet formulas are defused.
  EXPECT_EQ(CsvField("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
  EXPECT_EQ(CsvField("+1"), "'+1");
  EXPECT_EQ(CsvField("@SUM(A1)"), "'@SUM(A1)");
  EXPECT_EQ(CsvField("-2+3"), "'-2+3");
  EXPECT_EQ(CsvField("  =1+1"), "'  =1+1");
  EXPECT_EQ(CsvField("+cmd|' /C calc'!A0"), "'+cmd|' /C calc'!A0");

  AuditEntry awkward = BreakGlassRead();
  awkward.mutable_actor()->set_purpose("review, \"urgent\"\nsecond line");
  awkward.set_break_glass_reason("patient said \"go ahead\", unconscious\r\nnow");
  awkward.set_site("St Mary's, Paddington");
  awkward.set_actor_name("Lee \"Jr\" Patel, locum");
  const std::string csv = CsvHeader() + CsvRow(Read()) + CsvRow(awkward);
  const std::vector<std::vector<std::string>> rows = ParseCsv(csv);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], CsvColumns());
  for (const auto& row : rows) EXPECT_EQ(row.size(), CsvColumns().size());
  const std::vector<std::string> columns = CsvColumns();
  const auto column = [&](const std::string& name) {
    return static_cast<std::size_t>(std::find(columns.begin(), columns.end(), name) -
                                    columns.begin());
  };
  EXPECT_EQ(rows[2][column("purpose")], "review, \"urgent\"\nsecond line");
  EXPECT_EQ(rows[2][column("break_glass_reason")],
            "patient said \"go ahead\", unconscious\\x0d\nnow");
  EXPECT_EQ(rows[2][column("site")], "St Mary's, Paddington");
  EXPECT_EQ(rows[2][column("user_id")], "dr.jones");
  EXPECT_EQ(rows[2][column("user_name")], "Lee \"Jr\" Patel, locum");
  EXPECT_EQ(rows[1][column("user_name")], "");
  EXPECT_EQ(rows[2][column("break_glass")], "true");
  EXPECT_EQ(rows[1][column("break_glass")], "false");
  EXPECT_EQ(rows[1][column("recorded_at")], "2026-06-15T09:30:10.123456Z");
  EXPECT_EQ(rows[1][column("kind")], "READ");
  EXPECT_EQ(rows[1][column("outcome")], "GRANTED");
  EXPECT_EQ(rows[1][column("role")], "URGENT_CARE");
  EXPECT_EQ(rows[1][column("view")], "PUBLISHED");
  EXPECT_EQ(rows[1][column("version")], "2");
  EXPECT_EQ(rows[1][column("content_hash_hex")],
            "64879f7d6b960a01909762d911a32d4582c20010c5641ee90278b644a9e3b525");
  EXPECT_EQ(rows[1][column("partition")], "2");
  EXPECT_EQ(rows[1][column("offset")], "10");
  EXPECT_EQ(rows[1][column("nhs_number")], kNhs);

  for (const AuditEntry& entry : EveryKind()) {
    const auto parsed = ParseCsv(CsvRow(entry));
    ASSERT_EQ(parsed.size(), 1u);
    EXPECT_EQ(parsed[0].size(), CsvColumns().size()) << entry.action();
  }
}

}  // namespace
}  // namespace careledger::tools
