// The FHIR R4 JSON building blocks careledger's two FHIR exports share: the
// audit trail's AuditEvents (audit_fhir.cc) and the UCP migration's Bundles
// (migrate_fhir.cc). Pure functions: the same input gives the same bytes.
#ifndef CARELEDGER_TOOLS_FHIR_JSON_H_
#define CARELEDGER_TOOLS_FHIR_JSON_H_

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace careledger::tools {

// Identifier systems careledger writes.
inline constexpr std::string_view kFhirNhsNumber = "https://fhir.nhs.uk/Id/nhs-number";
inline constexpr std::string_view kFhirOdsCode = "https://fhir.nhs.uk/Id/ods-organization-code";
inline constexpr std::string_view kFhirUser = "urn:careledger:user";
inline constexpr std::string_view kFhirRole = "urn:careledger:role";

// A Coding {system, code[, display]}.
nlohmann::json FhirCoding(std::string_view system, std::string_view code,
                          std::string_view display = {});
// A CodeableConcept of one coding [and text].
nlohmann::json FhirConcept(nlohmann::json coding, const std::string& text = "");
// An Identifier {system, value}.
nlohmann::json FhirIdentifier(std::string_view system, const std::string& value);
// `text` with &, <, > and " escaped, for a narrative's XHTML div.
std::string XhtmlEscaped(const std::string& text);
// A narrative {"status": "generated", "div": <div xmlns=XHTML>text</div>}.
nlohmann::json FhirNarrative(const std::string& text);
// A name-based UUID (RFC 9562 version 8) of `name`: its SHA-256, with the
// version and variant bits set. The same name always gives the same UUID.
std::string NameUuid(std::string_view name);
// `document` on one line, as JSON whose strings escape C0 (the encoder's),
// DEL, C1 and bidirectional controls (as \uNNNN): still valid JSON, never a
// raw control character in a file a person may open.
std::string FhirDump(const nlohmann::json& document);

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_FHIR_JSON_H_
