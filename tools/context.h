// What every careledger command shares: the global options and how to open
// the data directory's parts (keys, log, writer, projection) from them.
#ifndef CARELEDGER_TOOLS_CONTEXT_H_
#define CARELEDGER_TOOLS_CONTEXT_H_

#include <CLI/CLI.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "events/own_signatures.h"
#include "ledger/clock.h"
#include "ledger/data_keys.h"
#include "ledger/key_store.h"
#include "ledger/log.h"
#include "ledger/writer.h"
#include "projections/projection_store.h"

namespace careledger::tools {

struct GlobalOptions {
  std::string data_dir = "careledger-data";
  // "embedded" (RocksDB in <data>/log) or "kafka:HOST:PORT[,HOST:PORT...]".
  std::string log = "embedded";
  std::string topic = "careledger.events";
  int partitions = 4;           // when creating a log
  int replication_factor = 1;   // when creating a Kafka topic; production: 3
  int min_insync_replicas = 0;  // when creating a Kafka topic; production: 2
  // librdkafka properties for every Kafka client, e.g. security.protocol=SSL.
  std::vector<std::string> kafka_properties;
  std::string writer_id = "0";
  bool json = false;
  // A replay projection (`project --until ... --into DIR`) that a read-only
  // query reads instead of the live one: set by that query's --projection
  // flag (AddProjectionFlag), never globally.
  std::string replay_projection;
};

// Registers the global options on the top-level app.
void AddGlobalOptions(CLI::App& app, GlobalOptions* options);

// Registers --projection DIR on a read-only query (worklist, audit ...): the
// query reads that replay projection as it is, never bringing it forward.
void AddProjectionFlag(CLI::App* query, std::string* dir);

class Context {
 public:
  explicit Context(const GlobalOptions& options) : options_(options) {}

  const GlobalOptions& options() const { return options_; }
  bool json() const { return options_.json; }
  // The records this process's writers signed (events/own_signatures.h),
  // shared by the copies of this Context: its projections do not verify
  // their signatures again. Empty in a process that opens no writer
  // (`careledger verify` checks every signature).
  const std::shared_ptr<events::OwnSignatures>& own_signatures() const { return own_signatures_; }

  std::string KeysDir() const { return options_.data_dir + "/keys"; }
  // Patients' data keys and their master key (ledger/data_keys.h), made by init.
  std::string DataKeysDir() const { return options_.data_dir + "/data-keys"; }
  // This data directory's data key store, opened once per process and shared
  // by its writer and readers: read-write, or read-only when another process
  // (a running service) owns it. With `create_if_missing` (a writer) a data
  // directory initialised before sealed bodies existed gets one, and the log
  // is written sealed from then on. NOT_FOUND when there is none otherwise.
  absl::StatusOr<std::shared_ptr<ledger::DataKeyStore>> OpenDataKeys(
      bool create_if_missing = false) const;
  // OpenDataKeys for a reader: nullptr when the directory has no store (a log
  // written before sealed bodies); other errors as they come.
  absl::StatusOr<std::shared_ptr<ledger::DataKeyStore>> DataKeysForReading() const;
  // For a process that never makes keys (a read replica, docs/replicas.md):
  // the store opened read-only (ledger::DataKeyMode::kReadOnly), so that it
  // never locks out a writer that starts later; this command's later
  // OpenDataKeys calls return it. nullptr when there is none.
  absl::StatusOr<std::shared_ptr<ledger::DataKeyStore>> DataKeysReadOnly() const;
  // Writer snapshots (docs/snapshots.md), beside the log, not in it.
  std::string SnapshotDir() const { return options_.data_dir + "/snapshots"; }
  // Their name, one per log the data directory serves (like ProjectionDir).
  std::string SnapshotName() const;
  // The projection of this log: <data>/projection/embedded or .../kafka-<topic>.
  std::string ProjectionDir() const;
  // The replay projection a query reads instead (--projection DIR); "" for
  // the live one. Read it with OpenReplayProjection, as it is: it is never
  // brought forward (it ends where its replay ended).
  const std::string& ReplayProjection() const { return options_.replay_projection; }
  // This context with ReplayProjection() = `dir` ("" = unchanged).
  Context WithReplayProjection(const std::string& dir) const;
  // The replay projection, read-only. NOT_FOUND when `dir` holds none.
  absl::StatusOr<std::unique_ptr<projections::ProjectionStore>> OpenReplayProjection() const;

  // The existing log named by --log; nothing is ever created here. With
  // `read_only`, an embedded log is opened as a RocksDB secondary, which never
  // locks out a writer in another process. DATA_LOSS (exit 4) when this data
  // directory was initialised (it has keys) but its log is missing or damaged;
  // FAILED_PRECONDITION when it was never initialised.
  absl::StatusOr<std::unique_ptr<ledger::Log>> OpenLog(bool read_only = false) const;
  // Creates the log (embedded directory or Kafka topic): `careledger init`
  // only. ALREADY_EXISTS when there is one.
  absl::StatusOr<std::unique_ptr<ledger::Log>> CreateLog() const;
  absl::StatusOr<ledger::KeyStore> OpenKeys() const;
  // How a writer recovers its state (docs/snapshots.md).
  enum class WriterStart {
    // Read and check the whole log: every command of the program, so damage
    // anywhere in the log refuses it (exit 4).
    kWholeLog,
    // From the newest writer snapshot that matches the log, reading only
    // the log after it: a long-running service, which cannot re-read a
    // large log at each start (the log before the snapshot is then
    // `careledger verify`'s to check).
    kSnapshot,
  };
  // Opens a writer on `log` signing with the active key, stamping events
  // with `clock` (nullptr = the system clock; `careledger load` simulates).
  // Its Snapshot() writes to SnapshotDir() in either case.
  absl::StatusOr<std::unique_ptr<ledger::Writer>> OpenWriter(
      ledger::Log* log, const ledger::Clock* clock = nullptr,
      WriterStart start = WriterStart::kWholeLog) const;

 private:
  enum class LogMode { kCreate, kOwner, kFollower };
  absl::StatusOr<std::unique_ptr<ledger::Log>> OpenLogIn(LogMode mode) const;

  GlobalOptions options_;
  // The data key stores this command opened (OpenDataKeys), shared by the
  // copies of this Context and closed with the last of them: before the
  // program exits, not by a static destructor after RocksDB's own are gone.
  struct OpenedDataKeys {
    std::mutex mutex;
    std::map<std::string, std::shared_ptr<ledger::DataKeyStore>> stores;
  };
  std::shared_ptr<OpenedDataKeys> opened_data_keys_ = std::make_shared<OpenedDataKeys>();
  std::shared_ptr<events::OwnSignatures> own_signatures_ =
      std::make_shared<events::OwnSignatures>();
};

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_CONTEXT_H_
