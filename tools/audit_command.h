// What the audit commands share (cmd_audit.cc, cmd_audit_alerts.cc,
// cmd_audit_export.cc). The use-cases themselves (record the auditor's
// AuditQuery through the writer before anything is shown, then read the
// projection brought up to that record) are access/audit_read.h's, which
// the service calls too; this is only the CLI's side of them: the writer
// and the projection feed of one command, and how a refusal is reported.
#ifndef CARELEDGER_TOOLS_AUDIT_COMMAND_H_
#define CARELEDGER_TOOLS_AUDIT_COMMAND_H_

#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "access/alert_review.h"
#include "careledger/v1/commands.pb.h"
#include "tools/cli_feed.h"
#include "tools/command_flags.h"
#include "tools/commands.h"
#include "tools/context.h"

namespace careledger::tools {

// The protobuf JSON mapping of `message` as a JSON value.
nlohmann::json MessageJson(const google::protobuf::Message& message);

// How long an audit command waits for the projection (its own projector,
// or another process's followed) to reach the query's record.
inline constexpr absl::Duration kAuditProjectionWait = absl::Seconds(30);

// The writer and the projection of one audit command. Opening records
// nothing.
struct AuditSession {
  std::unique_ptr<CommandSubmitter> submitter;  // owns the log `feed` reads
  std::unique_ptr<CliFeed> feed;

  static absl::StatusOr<AuditSession> Open(const Context& context);
  ledger::Writer& writer() { return submitter->writer(); }
  absl::Time deadline() const { return absl::Now() + kAuditProjectionWait; }
  // Prints the ledger's refusal as `submit` would, and returns kExitRejected.
  int Refused(const careledger::v1::CommandResult& refusal);
};

// The recorded time of a log record (access::RecordTime), read from the
// session's log up to where its projection is (an alert's raising record is
// behind it). `session` must outlive the function.
access::RecordTime RecordTimeReader(AuditSession* session);

// The keys (to verify records with) and the session of a command about one
// record (`audit access`, `audit proof`): INVALID_ARGUMENT when --partition or
// --offset is missing, before anything is opened. Opening records nothing.
struct RecordSession {
  ledger::KeyStore keys;
  AuditSession session;
  static absl::StatusOr<RecordSession> Open(std::int32_t partition, std::int64_t offset,
                                            const Context& context);
};

// `audit export` (cmd_audit_export.cc), registered under `audit`.
void RegisterAuditExport(CLI::App* audit, Runner* run);
// `audit proof` (cmd_audit_proof.cc), registered under `audit`.
void RegisterAuditProof(CLI::App* audit, Runner* run);

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_AUDIT_COMMAND_H_
