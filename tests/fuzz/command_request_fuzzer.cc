// Fuzzes the decoding of POST /v1/commands (service/command_request.h): the
// Content-Type, the body, If-Match and Idempotency-Key as a caller may send
// them, before anyone is authenticated.
//
// Proves, for any bytes: decoding never crashes; a refusal is a 400 or 415
// with a title and a detail; an accepted request is a command with a body
// that is not a read, with no command id and no actor but the purpose (the
// service fills both from the credentials), whose expected version is the
// If-Match when one was sent, whose asked id is the Idempotency-Key when one
// was sent, and which re-encodes to JSON that decodes to the same command.
//
// Input: five pieces (tests/fuzz/fuzz_input.h): the Content-Type, the body,
// whether If-Match was sent ("" = no), its value, the Idempotency-Key.
#include <cstdint>

#include "events/envelope.h"
#include "service/command_request.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/fuzz/quiet_protobuf.h"
#include "tools/output.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  careledger::fuzz::QuietProtobufLogs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using careledger::service::CommandDecoding;
  careledger::fuzz::FuzzInput input(data, size);
  const std::string_view content_type = input.Piece();
  const std::string_view body = input.Piece();
  const bool if_match_sent = !input.Piece().empty();
  const std::string_view if_match = input.Piece();
  const std::string_view key = input.Piece();
  const CommandDecoding decoding = careledger::service::DecodeCommandRequest(
      {.content_type = content_type,
       .body = body,
       .if_match = if_match_sent ? std::optional<std::string_view>(if_match) : std::nullopt,
       .idempotency_key = key});
  if (!decoding.decoded) {
    CARELEDGER_FUZZ_CHECK(decoding.status == 400 || decoding.status == 415);
    CARELEDGER_FUZZ_CHECK(!decoding.title.empty() && !decoding.detail.empty());
    return 0;
  }
  const careledger::v1::Command& command = decoding.decoded->command;
  CARELEDGER_FUZZ_CHECK(content_type.rfind("application/json", 0) == 0);
  CARELEDGER_FUZZ_CHECK(command.body_case() != careledger::v1::Command::BODY_NOT_SET);
  CARELEDGER_FUZZ_CHECK(!command.has_view_plan());
  CARELEDGER_FUZZ_CHECK(command.command_id().empty());
  careledger::v1::Actor purpose_only;
  purpose_only.set_purpose(decoding.decoded->named.purpose());
  CARELEDGER_FUZZ_CHECK(careledger::events::SerializeDeterministic(command.actor()) ==
                        careledger::events::SerializeDeterministic(purpose_only));
  if (if_match_sent) CARELEDGER_FUZZ_CHECK(command.has_expected_version());
  if (!key.empty()) CARELEDGER_FUZZ_CHECK(decoding.decoded->asked_id == key);
  careledger::v1::Command again;
  CARELEDGER_FUZZ_CHECK(
      careledger::tools::FromJson(careledger::tools::ToJsonLine(command), &again).ok());
  CARELEDGER_FUZZ_CHECK(careledger::events::SerializeDeterministic(again) ==
                        careledger::events::SerializeDeterministic(command));
  return 0;
}
