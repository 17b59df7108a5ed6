// Decoding the body and headers of POST /v1/commands into a Command, before
// anyone is authenticated or anything is recorded: what the caller may say
// (a careledger.v1.Command in strict JSON, If-Match, Idempotency-Key) and
// what it may not (a read, which is a GET; the actor, which comes from the
// credentials). Pure, so the fuzzer (tests/fuzz/command_request_fuzzer.cc)
// drives it with any bytes.
#ifndef CARELEDGER_SERVICE_COMMAND_REQUEST_H_
#define CARELEDGER_SERVICE_COMMAND_REQUEST_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "careledger/v1/commands.pb.h"

namespace careledger::service {

struct CommandRequest {
  std::string_view content_type;
  std::string_view body;
  std::optional<std::string_view> if_match;  // the header, when sent
  std::string_view idempotency_key;          // "" when not sent
};

struct DecodedCommand {
  // The command with its actor cleared but for the purpose, and no command
  // id: the caller's identity and the scoped id are set once it is known.
  careledger::v1::Command command;
  // The actor the body named (to refuse a body naming someone else).
  careledger::v1::Actor named;
  // The id the caller asked for (Idempotency-Key, else the body's), or "".
  std::string asked_id;
};

// Either `decoded`, or the problem to answer: `status` (400 or 415),
// `title` and `detail`, safe to show.
struct CommandDecoding {
  std::optional<DecodedCommand> decoded;
  int status = 0;
  std::string title;
  std::string detail;
};

CommandDecoding DecodeCommandRequest(const CommandRequest& request);

// The command id for an id the caller asked for (Idempotency-Key or the
// body's), scoped to the caller so that no one can collide with another's
// commands: "<user_id>:<asked_id>". INVALID_ARGUMENT when it would be longer
// than the ledger's id limit.
absl::StatusOr<std::string> ScopedCommandId(std::string_view user_id, std::string_view asked_id);

}  // namespace careledger::service

#endif  // CARELEDGER_SERVICE_COMMAND_REQUEST_H_
