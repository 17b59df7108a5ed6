// Printing results for people (default) or programs (--json).
#ifndef CARELEDGER_TOOLS_OUTPUT_H_
#define CARELEDGER_TOOLS_OUTPUT_H_

#include <google/protobuf/message.h>

#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/status.h"

namespace careledger::tools {

// The protobuf JSON mapping of `message` on one line (field names as in the
// .proto file), for JSON output and JSON Lines.
std::string ToJsonLine(const google::protobuf::Message& message);

// Parses the protobuf JSON mapping into `message`; INVALID_ARGUMENT with the
// parser's reason otherwise. Unknown fields are an error.
absl::Status FromJson(const std::string& json, google::protobuf::Message* message);

// Prints `status` as "error: <message>" on stderr (or {"error": ...} on
// stdout with --json) and returns the exit code that fits it:
// DATA_LOSS -> integrity, INVALID_ARGUMENT -> usage, else error.
int ReportError(const absl::Status& status, bool json);

// Prints a JSON document on one line to stdout.
void PrintJson(const nlohmann::json& document);

// Base64 (RFC 4648, with padding) through OpenSSL.
std::string Base64(std::string_view bytes);

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_OUTPUT_H_
