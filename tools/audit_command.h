// What the audit commands share (cmd_audit.cc, cmd_audit_export.cc): record
// the auditor's AuditQuery through the writer before anything is shown
// (auditors are audited), open the audit projection brought up to that
// record, and read a trail by scope.
#ifndef CARELEDGER_TOOLS_AUDIT_COMMAND_H_
#define CARELEDGER_TOOLS_AUDIT_COMMAND_H_

#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "careledger/v1/commands.pb.h"
#include "projections/audit_queries.h"
#include "projections/projection_store.h"
#include "tools/command_flags.h"
#include "tools/commands.h"
#include "tools/context.h"
#include "tools/projection_session.h"

namespace careledger::tools {

// The protobuf JSON mapping of `message` as a JSON value.
nlohmann::json MessageJson(const google::protobuf::Message& message);

// The projection, brought up to the log's end by this process or, while
// `project --follow` holds it, followed until it has applied the record at
// `wait_for` (the auditor's own access record, so it is in the answer). With
// a replay projection (Context::ReplayProjection) that replay, as it is.
class AuditStore {
 public:
  static absl::StatusOr<std::unique_ptr<AuditStore>> Open(
      const Context& context, ledger::Log* log, const careledger::v1::CommandResult* wait_for);

  const projections::ProjectionStore& store() const {
    return session_ ? session_->store() : *follower_;
  }

 private:
  AuditStore() = default;
  std::unique_ptr<ProjectionSession> session_;
  std::unique_ptr<projections::ProjectionStore> follower_;
};

// Submits `command` (an AuditQuery) and returns its result; nullopt after
// reporting a refusal or an error, with `*exit_code` set.
std::optional<careledger::v1::CommandResult> RecordAuditQuery(
    CommandSubmitter& submitter, const careledger::v1::Command& command, const Context& context,
    int* exit_code);

// An audit query recorded by the ledger, and the audit projection brought up
// to include its record.
struct RecordedAuditQuery {
  std::unique_ptr<CommandSubmitter> submitter;  // owns the log `store` reads
  careledger::v1::CommandResult recorded;
  std::unique_ptr<AuditStore> store;
};

// Opens a submitter, records `command` (RecordAuditQuery) and opens the audit
// store (AuditStore::Open); nullopt after reporting a refusal or an error,
// with `*exit_code` set. Every audit command starts here.
std::optional<RecordedAuditQuery> RecordAndOpenAudit(const careledger::v1::Command& command,
                                                     const Context& context, int* exit_code);

// "patient", "user", "organisation" or "access".
std::string ScopeName(careledger::v1::AuditScope scope);

// --from / --to (audit_view.h's ParseWhen) into both the page request and
// the recorded query. INVALID_ARGUMENT for an unreadable time or an empty
// range.
absl::Status SetAuditRange(const std::string& from, const std::string& to,
                           projections::AuditPageRequest* request,
                           careledger::v1::AuditQuery* query);

// One page of the trail of a PATIENT, USER or ORGANISATION scope.
absl::StatusOr<projections::AuditPage> ListScope(const projections::AuditQueries& queries,
                                                 careledger::v1::AuditScope scope,
                                                 const std::string& subject,
                                                 const projections::AuditPageRequest& request);

// `audit export` (cmd_audit_export.cc), registered under `audit`.
void RegisterAuditExport(CLI::App* audit, Runner* run);

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_AUDIT_COMMAND_H_
