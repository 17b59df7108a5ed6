#include "tools/audit_command.h"

#include "tools/exit_codes.h"
#include "tools/output.h"

namespace careledger::tools {

nlohmann::json MessageJson(const google::protobuf::Message& message) {
  return nlohmann::json::parse(ToJsonLine(message));
}

absl::StatusOr<AuditSession> AuditSession::Open(const Context& context) {
  absl::StatusOr<CommandSubmitter> submitter = CommandSubmitter::Open(context);
  if (!submitter.ok()) return submitter.status();
  AuditSession session;
  session.submitter = std::make_unique<CommandSubmitter>(*std::move(submitter));
  absl::StatusOr<std::unique_ptr<CliFeed>> feed = CliFeed::Open(context, session.submitter->log());
  if (!feed.ok()) return feed.status();
  session.feed = *std::move(feed);
  return session;
}

int AuditSession::Refused(const careledger::v1::CommandResult& refusal) {
  submitter->Print(refusal);
  return kExitRejected;
}

}  // namespace careledger::tools
