#include "tools/projection_session.h"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>

namespace careledger::tools {

absl::StatusOr<std::unique_ptr<ProjectionSession>> ProjectionSession::Open(
    const Context& context, const ProjectionSessionOptions& options) {
  std::unique_ptr<ProjectionSession> session(new ProjectionSession());
  session->projection_dir_ =
      options.projection_dir.empty() ? context.ProjectionDir() : options.projection_dir;
  absl::StatusOr<ledger::KeyStore> keys = context.OpenKeys();
  if (!keys.ok()) return keys.status();
  session->keyring_ = std::make_unique<events::Keyring>(keys->keyring());
  if (options.log != nullptr) {
    session->log_ = options.log;
  } else {
    absl::StatusOr<std::unique_ptr<ledger::Log>> log = context.OpenLog(/*read_only=*/true);
    if (!log.ok()) return log.status();
    session->owned_log_ = *std::move(log);
    session->log_ = session->owned_log_.get();
  }
  absl::StatusOr<std::unique_ptr<ledger::LogReader>> reader = session->log_->OpenReader();
  if (!reader.ok()) return reader.status();
  session->reader_ = *std::move(reader);
  if (options.rebuild) std::filesystem::remove_all(session->projection_dir_);
  absl::StatusOr<std::unique_ptr<projections::ProjectionStore>> store =
      projections::ProjectionStore::Open(session->projection_dir_);
  if (!store.ok()) return store.status();
  session->store_ = *std::move(store);
  projections::ProjectorOptions projector_options;
  if (options.verify_threads > 0) projector_options.verify_threads = options.verify_threads;
  projector_options.end_offsets = options.end_offsets;
  projector_options.until = options.until;
  absl::StatusOr<std::shared_ptr<ledger::DataKeyStore>> data_keys = context.DataKeysForReading();
  if (!data_keys.ok()) return data_keys.status();
  session->data_keys_ = *std::move(data_keys);
  projector_options.data_keys = session->data_keys_.get();
  if (options.skip_own_signatures) {
    session->own_signatures_ = context.own_signatures();
    projector_options.own_signatures = session->own_signatures_.get();
  }
  session->projector_ = std::make_unique<projections::Projector>(
      session->reader_.get(), session->store_.get(), session->keyring_.get(), projector_options);
  return session;
}

absl::StatusOr<ProjectOnceResult> ProjectOnce(const Context& context,
                                              const ProjectionSessionOptions& options,
                                              bool fingerprint) {
  absl::StatusOr<std::unique_ptr<ProjectionSession>> session =
      ProjectionSession::Open(context, options);
  if (!session.ok()) return session.status();
  if (!options.end_offsets.empty() &&
      options.end_offsets.size() != static_cast<std::size_t>((*session)->partition_count())) {
    return absl::InvalidArgumentError(
        fmt::format("--until-offsets gives {} offsets; the log has {} partitions",
                    options.end_offsets.size(), (*session)->partition_count()));
  }
  ProjectOnceResult result;
  result.log_description = (*session)->log_description();
  result.projection_dir = (*session)->projection_dir();
  absl::StatusOr<projections::ProjectionReport> report = (*session)->projector().CatchUp();
  if (!report.ok()) return report.status();
  result.report = *std::move(report);
  if (fingerprint) {
    const auto began = std::chrono::steady_clock::now();
    absl::StatusOr<events::Hash> hash = (*session)->store().Fingerprint();
    if (!hash.ok()) return hash.status();
    result.fingerprint = *hash;
    result.fingerprint_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  }
  return result;
}

}  // namespace careledger::tools
