// What the protobuf JSON parser lets through but careledger does not
// (docs/domain.md, "Strict input"): it reads the strings "yes", "no", "1",
// "t" and others as booleans, and any integer as an open enum's value.
// CheckStrictJson walks the JSON document along the message's descriptor
// first and refuses, naming the field, a boolean given as anything but true
// or false and an enum value the schema does not name.
#ifndef CARELEDGER_TOOLS_STRICT_JSON_H_
#define CARELEDGER_TOOLS_STRICT_JSON_H_

#include <google/protobuf/descriptor.h>

#include <string_view>

#include "absl/status/status.h"

namespace careledger::tools {

// OK when `json` is valid UTF-8 and, if it parses as JSON, every boolean and
// enum field of `type` in it (at any depth) holds a value of its kind;
// INVALID_ARGUMENT naming the field otherwise. Anything else wrong (bad
// syntax, unknown fields) is left to the protobuf parser to report.
absl::Status CheckStrictJson(std::string_view json, const google::protobuf::Descriptor& type);

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_STRICT_JSON_H_
