// Printing results for people (default) or programs (--json).
#ifndef CARELEDGER_TOOLS_OUTPUT_H_
#define CARELEDGER_TOOLS_OUTPUT_H_

#include <google/protobuf/message.h>

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace careledger::tools {

// The protobuf JSON mapping of `message` on one line (field names as in the
// .proto file), for JSON output and JSON Lines.
std::string ToJsonLine(const google::protobuf::Message& message);

// Parses the protobuf JSON mapping into `message`; INVALID_ARGUMENT with the
// parser's reason otherwise. Unknown fields are an error, and so are a
// boolean that is not true or false and an enum value the schema does not
// name (tools/strict_json.h).
absl::Status FromJson(const std::string& json, google::protobuf::Message* message);

// Prints `status` as "error: <message>" on stderr (or {"error": ...} on
// stdout with --json) and returns the exit code that fits it:
// DATA_LOSS -> integrity, INVALID_ARGUMENT -> usage, else error.
int ReportError(const absl::Status& status, bool json);

// Prints a JSON document on one line to stdout.
void PrintJson(const nlohmann::json& document);

// Every byte the program prints goes through the escape of events/text.h:
// NeutraliseStandardStreams (first thing in main) puts it on std::cout and
// std::cerr, so no output, whatever it echoes from stored data or from the
// command line, can carry a raw control character (docs/domain.md,
// "Characters"). Human output keeps \n and \t; after SetJsonOutput(true),
// std::cout is JSON, whose strings the encoders already escaped, and only
// DEL, C1 and bidirectional controls are escaped (as \uNNNN, still valid
// JSON). std::cerr stays human.
void NeutraliseStandardStreams();
void SetJsonOutput(bool json);

// `text` with control characters escaped as every human output shows them
// (for text that does not go to the standard streams, e.g. a file).
std::string ForTerminal(std::string_view text);

// Base64 (RFC 4648, with padding) through OpenSSL.
std::string Base64(std::string_view bytes);

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_OUTPUT_H_
