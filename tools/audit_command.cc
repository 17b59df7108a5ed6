#include "tools/audit_command.h"

#include <optional>

#include "access/log_lookup.h"
#include "events/envelope.h"
#include "events/time_util.h"
#include "projections/plan_queries.h"
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

access::RecordTime RecordTimeReader(AuditSession* session) {
  auto lookup = std::make_shared<std::optional<access::LogLookup>>();
  return [session, lookup](std::int32_t partition,
                           std::int64_t offset) -> absl::StatusOr<absl::Time> {
    if (!*lookup) {
      absl::StatusOr<std::vector<std::int64_t>> ends =
          projections::PlanQueries(&session->feed->store()).Offsets();
      if (!ends.ok()) return ends.status();
      absl::StatusOr<access::LogLookup> opened =
          access::LogLookup::Open(session->submitter->log(), *ends);
      if (!opened.ok()) return opened.status();
      lookup->emplace(*std::move(opened));
    }
    absl::StatusOr<events::LogRecord> record = (*lookup)->Read(partition, offset);
    if (!record.ok()) return absl::NotFoundError(record.status().message());
    absl::StatusOr<events::OpenedRecord> opened = events::OpenRecord(record->key, record->value);
    if (!opened.ok()) return opened.status();
    return events::FromTimestamp(opened->event.recorded_at());
  };
}

absl::StatusOr<RecordSession> RecordSession::Open(std::int32_t partition, std::int64_t offset,
                                                  const Context& context) {
  if (partition < 0 || offset < 0) {
    return absl::InvalidArgumentError("--partition and --offset name the record");
  }
  absl::StatusOr<ledger::KeyStore> keys = context.OpenKeys();
  if (!keys.ok()) return keys.status();
  absl::StatusOr<AuditSession> session = AuditSession::Open(context);
  if (!session.ok()) return session.status();
  return RecordSession{*std::move(keys), *std::move(session)};
}

}  // namespace careledger::tools
