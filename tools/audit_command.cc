#include "tools/audit_command.h"

#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <thread>

#include "events/time_util.h"
#include "projections/plan_queries.h"
#include "tools/audit_view.h"
#include "tools/exit_codes.h"
#include "tools/output.h"

namespace careledger::tools {

using careledger::v1::CommandResult;

nlohmann::json MessageJson(const google::protobuf::Message& message) {
  return nlohmann::json::parse(ToJsonLine(message));
}

absl::StatusOr<std::unique_ptr<AuditStore>> AuditStore::Open(const Context& context,
                                                             ledger::Log* log,
                                                             const CommandResult* wait_for) {
  auto opened = std::unique_ptr<AuditStore>(new AuditStore());
  if (!context.ReplayProjection().empty()) {
    // A replay ends where it ended: the query's own record is after it.
    absl::StatusOr<std::unique_ptr<projections::ProjectionStore>> replay =
        context.OpenReplayProjection();
    if (!replay.ok()) return replay.status();
    opened->follower_ = *std::move(replay);
    return opened;
  }
  ProjectionSessionOptions options;
  options.log = log;
  absl::StatusOr<std::unique_ptr<ProjectionSession>> session =
      ProjectionSession::Open(context, options);
  if (session.ok()) {
    absl::StatusOr<projections::ProjectionReport> report = (*session)->projector().CatchUp();
    if (!report.ok()) return report.status();
    for (const projections::PartitionStop& stop : report->stops) {
      std::cerr << "warning: projection partition stopped: " << stop.reason << "\n";
    }
    opened->session_ = *std::move(session);
    return opened;
  }
  if (session.status().code() != absl::StatusCode::kFailedPrecondition) {
    return session.status();
  }
  absl::StatusOr<std::unique_ptr<projections::ProjectionStore>> follower =
      projections::ProjectionStore::OpenFollower(context.ProjectionDir());
  if (!follower.ok()) return session.status();
  opened->follower_ = *std::move(follower);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (;;) {
    if (absl::Status refreshed = opened->follower_->Refresh(); !refreshed.ok()) return refreshed;
    if (wait_for == nullptr) return opened;
    absl::StatusOr<std::vector<std::int64_t>> offsets =
        projections::PlanQueries(opened->follower_.get()).Offsets();
    if (!offsets.ok()) return offsets.status();
    const auto partition = static_cast<std::size_t>(wait_for->partition());
    if (partition < offsets->size() && (*offsets)[partition] > wait_for->offset()) {
      return opened;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return absl::DeadlineExceededError(
          "the projection (followed from `project --follow`) has not caught up with the log");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

std::optional<CommandResult> RecordAuditQuery(CommandSubmitter& submitter,
                                              const careledger::v1::Command& command,
                                              const Context& context, int* exit_code) {
  absl::StatusOr<CommandResult> result = submitter.SubmitQuietly(command);
  if (!result.ok()) {
    *exit_code = ReportError(result.status(), context.json());
    return std::nullopt;
  }
  if (result->outcome() == careledger::v1::OUTCOME_REJECTED) {
    submitter.Print(*result);
    *exit_code = kExitRejected;
    return std::nullopt;
  }
  return *std::move(result);
}

std::optional<RecordedAuditQuery> RecordAndOpenAudit(const careledger::v1::Command& command,
                                                     const Context& context, int* exit_code) {
  absl::StatusOr<CommandSubmitter> submitter = CommandSubmitter::Open(context);
  if (!submitter.ok()) {
    *exit_code = ReportError(submitter.status(), context.json());
    return std::nullopt;
  }
  RecordedAuditQuery audit;
  audit.submitter = std::make_unique<CommandSubmitter>(*std::move(submitter));
  std::optional<CommandResult> recorded =
      RecordAuditQuery(*audit.submitter, command, context, exit_code);
  if (!recorded) return std::nullopt;
  audit.recorded = *std::move(recorded);
  absl::StatusOr<std::unique_ptr<AuditStore>> store =
      AuditStore::Open(context, audit.submitter->log(), &audit.recorded);
  if (!store.ok()) {
    *exit_code = ReportError(store.status(), context.json());
    return std::nullopt;
  }
  audit.store = *std::move(store);
  return audit;
}

std::string ScopeName(careledger::v1::AuditScope scope) {
  switch (scope) {
    case careledger::v1::AUDIT_SCOPE_PATIENT:
      return "patient";
    case careledger::v1::AUDIT_SCOPE_USER:
      return "user";
    case careledger::v1::AUDIT_SCOPE_ORGANISATION:
      return "organisation";
    default:
      return "access";
  }
}

absl::Status SetAuditRange(const std::string& from, const std::string& to,
                           projections::AuditPageRequest* request,
                           careledger::v1::AuditQuery* query) {
  if (!from.empty()) {
    absl::StatusOr<absl::Time> parsed = ParseWhen("from", from, /*end_of_day=*/false);
    if (!parsed.ok()) return parsed.status();
    request->from = *parsed;
    *query->mutable_range_from() = events::ToTimestamp(*parsed);
  }
  if (!to.empty()) {
    absl::StatusOr<absl::Time> parsed = ParseWhen("to", to, /*end_of_day=*/true);
    if (!parsed.ok()) return parsed.status();
    request->to = *parsed;
    *query->mutable_range_to() = events::ToTimestamp(*parsed);
  }
  if (request->from >= request->to) {
    return absl::InvalidArgumentError("--from must be before --to");
  }
  return absl::OkStatus();
}

absl::StatusOr<projections::AuditPage> ListScope(const projections::AuditQueries& queries,
                                                 careledger::v1::AuditScope scope,
                                                 const std::string& subject,
                                                 const projections::AuditPageRequest& request) {
  switch (scope) {
    case careledger::v1::AUDIT_SCOPE_PATIENT:
      return queries.ListByPatient(subject, request);
    case careledger::v1::AUDIT_SCOPE_USER:
      return queries.ListByUser(subject, request);
    case careledger::v1::AUDIT_SCOPE_ORGANISATION:
      return queries.ListByOrganisation(subject, request);
    default:
      return absl::InvalidArgumentError(fmt::format(
          "an audit trail is listed by patient, user or organisation, not {}", ScopeName(scope)));
  }
}

}  // namespace careledger::tools
