// Everything a projector run needs, opened from the global options in one
// place: the keyring to trust, the log, a reader and the projection store;
// and one run of it to the end (`careledger project` without --follow, and
// its replays, which `careledger bench replay` times).
#ifndef CARELEDGER_TOOLS_PROJECTION_SESSION_H_
#define CARELEDGER_TOOLS_PROJECTION_SESSION_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "events/sha256.h"
#include "projections/projection_store.h"
#include "projections/projector.h"
#include "tools/context.h"

namespace careledger::tools {

struct ProjectionSessionOptions {
  std::string projection_dir;  // "" = Context::ProjectionDir()
  bool rebuild = false;        // delete the projection first
  int verify_threads = 0;      // 0 = all cores
  // A log the caller already has open (not owned); nullptr = open the
  // context's log, following its owner if another process writes it.
  ledger::Log* log = nullptr;
  // A replay's end (projections::ProjectorOptions::end_offsets, until).
  std::vector<std::int64_t> end_offsets;
  absl::Time until = absl::InfiniteFuture();
  // Whether records this process's writers signed skip the signature check
  // (Context::own_signatures); a benchmark of verification says false.
  bool skip_own_signatures = true;
};

class ProjectionSession {
 public:
  static absl::StatusOr<std::unique_ptr<ProjectionSession>> Open(
      const Context& context, const ProjectionSessionOptions& options = {});

  projections::Projector& projector() { return *projector_; }
  projections::ProjectionStore& store() { return *store_; }
  std::string log_description() const { return log_->Describe(); }
  std::int32_t partition_count() const { return log_->partition_count(); }
  // The keyring the projector trusts (loaded from the data directory).
  const events::Keyring& keyring() const { return *keyring_; }
  const std::string& projection_dir() const { return projection_dir_; }
  // The data key store the projector opens sealed events with (nullptr when
  // the data directory has none: a log written before sealed bodies).
  const ledger::DataKeyStore* data_keys() const { return data_keys_.get(); }

 private:
  ProjectionSession() = default;

  std::string projection_dir_;
  std::unique_ptr<events::Keyring> keyring_;
  std::unique_ptr<ledger::Log> owned_log_;
  ledger::Log* log_ = nullptr;
  std::unique_ptr<ledger::LogReader> reader_;
  std::unique_ptr<projections::ProjectionStore> store_;
  std::shared_ptr<ledger::DataKeyStore> data_keys_;  // opens sealed events; may be null
  // What this process's writers signed: not verified again (Context::own_signatures).
  std::shared_ptr<events::OwnSignatures> own_signatures_;
  std::unique_ptr<projections::Projector> projector_;
};

struct ProjectOnceResult {
  projections::ProjectionReport report;
  std::string log_description;
  std::string projection_dir;
  std::optional<events::Hash> fingerprint;  // when asked for
  double fingerprint_seconds = 0;           // computing it (not in report.elapsed)
};

// Opens a session with `options` and applies the log until caught up, or for
// a replay (options.until, options.end_offsets) to its end; then, when
// `fingerprint`, the SHA-256 over the whole projection. Records that fail
// verification are in report.stops (not an error). INVALID_ARGUMENT when
// end_offsets does not give one offset per partition; the session's and the
// projector's errors as they come.
absl::StatusOr<ProjectOnceResult> ProjectOnce(const Context& context,
                                              const ProjectionSessionOptions& options,
                                              bool fingerprint);

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_PROJECTION_SESSION_H_
