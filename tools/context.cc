#include "tools/context.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <map>
#include <mutex>

#include "events/format.h"
#include "ledger/embedded_log.h"
#include "ledger/head_witness.h"
#include "ledger/head_witness_writer.h"
#include "ledger/kafka_log.h"
#include "tools/witnesses.h"

namespace careledger::tools {
namespace {

// The bootstrap list of a "kafka:..." or "kafka://..." log spec, or "".
std::string KafkaBootstrap(const std::string& spec) {
  for (const char* prefix : {"kafka://", "kafka:"}) {
    if (spec.rfind(prefix, 0) == 0) return spec.substr(std::string(prefix).size());
  }
  return "";
}

}  // namespace

void AddGlobalOptions(CLI::App& app, GlobalOptions* options) {
  app.add_option("--data", options->data_dir,
                 "Data directory: keys, the embedded log and projections")
      ->capture_default_str();
  app.add_option("--log", options->log,
                 "Log backend: 'embedded', or 'kafka:HOST:PORT[,HOST:PORT...]'")
      ->capture_default_str();
  app.add_option("--topic", options->topic, "Kafka topic")->capture_default_str();
  app.add_option("--partitions", options->partitions, "Partitions when creating a log")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  app.add_option("--replication-factor", options->replication_factor,
                 "Replication factor when creating a Kafka topic (production: 3)")
      ->check(CLI::Range(1, 16))
      ->capture_default_str();
  app.add_option("--min-insync-replicas", options->min_insync_replicas,
                 "min.insync.replicas when creating a Kafka topic (production: 2)")
      ->check(CLI::Range(0, 16))
      ->capture_default_str();
  app.add_option("--kafka-property", options->kafka_properties,
                 "A librdkafka property KEY=VALUE for every Kafka client (repeatable), e.g. "
                 "security.protocol=SSL or ssl.ca.location=/etc/careledger/ca.pem");
  app.add_option("--writer-id", options->writer_id,
                 "Stable writer shard id (Kafka transactional.id suffix)")
      ->capture_default_str();
  app.add_flag("--json", options->json, "Machine-readable JSON output");
}

void AddProjectionFlag(CLI::App* query, std::string* dir) {
  query->add_option("--projection", *dir,
                    "Answer from this replay projection (careledger project --until TIME --into "
                    "DIR) instead of the live one; it is read as it is, never brought forward");
}

Context Context::WithReplayProjection(const std::string& dir) const {
  if (dir.empty()) return *this;
  GlobalOptions options = options_;
  options.replay_projection = dir;
  return Context(options);
}

absl::StatusOr<std::unique_ptr<projections::ProjectionStore>> Context::OpenReplayProjection()
    const {
  std::error_code error;
  if (!std::filesystem::exists(options_.replay_projection + "/CURRENT", error)) {
    return absl::NotFoundError(fmt::format(
        "--projection {} holds no projection (build one with careledger project --until TIME "
        "--into {})",
        options_.replay_projection, options_.replay_projection));
  }
  return projections::ProjectionStore::OpenFollower(options_.replay_projection);
}

std::string Context::ProjectionDir() const {
  const std::string bootstrap = KafkaBootstrap(options_.log);
  return options_.data_dir + "/projection/" +
         (bootstrap.empty() ? std::string("embedded") : "kafka-" + options_.topic);
}

std::string Context::SnapshotName() const {
  return "writer-" + std::filesystem::path(ProjectionDir()).filename().string();
}

absl::StatusOr<std::unique_ptr<ledger::Log>> Context::OpenLog(bool read_only) const {
  absl::StatusOr<std::unique_ptr<ledger::Log>> log =
      OpenLogIn(read_only ? LogMode::kFollower : LogMode::kOwner);
  if (log.status().code() != absl::StatusCode::kNotFound) return log;
  std::error_code error;
  if (std::filesystem::exists(KeysDir(), error)) {
    return absl::DataLossError(fmt::format(
        "{}; but {} was initialised (it has keys): the log is missing. Nothing was created: "
        "restore it from a backup ('careledger restore'), or find where it went",
        log.status().message(), options_.data_dir));
  }
  return absl::FailedPreconditionError(fmt::format("{}: run 'careledger --data {} init' first",
                                                   log.status().message(), options_.data_dir));
}

absl::StatusOr<std::unique_ptr<ledger::Log>> Context::CreateLog() const {
  return OpenLogIn(LogMode::kCreate);
}

absl::StatusOr<std::unique_ptr<ledger::Log>> Context::OpenLogIn(LogMode mode) const {
  if (options_.log == "embedded") {
    ledger::EmbeddedLogOptions embedded;
    embedded.path = options_.data_dir + "/log";
    embedded.partitions = options_.partitions;
    embedded.mode = mode == LogMode::kCreate     ? ledger::EmbeddedLogMode::kCreate
                    : mode == LogMode::kFollower ? ledger::EmbeddedLogMode::kFollower
                                                 : ledger::EmbeddedLogMode::kOwner;
    return ledger::OpenEmbeddedLog(embedded);
  }
  const std::string bootstrap = KafkaBootstrap(options_.log);
  if (bootstrap.empty()) {
    return absl::InvalidArgumentError(
        fmt::format("--log must be 'embedded' or 'kafka:HOST:PORT[,...]', not '{}'", options_.log));
  }
  ledger::KafkaLogOptions kafka;
  kafka.bootstrap_servers = bootstrap;
  kafka.topic = options_.topic;
  kafka.partitions = options_.partitions;
  kafka.replication_factor = static_cast<std::int16_t>(options_.replication_factor);
  kafka.min_insync_replicas = options_.min_insync_replicas;
  kafka.create_topic = mode == LogMode::kCreate;  // only init creates a ledger
  for (const std::string& property : options_.kafka_properties) {
    const std::size_t equals = property.find('=');
    if (equals == std::string::npos || equals == 0) {
      return absl::InvalidArgumentError(
          fmt::format("--kafka-property '{}' is not KEY=VALUE", property));
    }
    kafka.extra_config[property.substr(0, equals)] = property.substr(equals + 1);
  }
  return ledger::OpenKafkaLog(kafka);
}

absl::StatusOr<ledger::KeyStore> Context::OpenKeys() const {
  absl::StatusOr<ledger::KeyStore> keys = ledger::KeyStore::Open(KeysDir());
  if (keys.status().code() == absl::StatusCode::kNotFound) {
    return absl::FailedPreconditionError(fmt::format(
        "no keys in {}: run 'careledger --data {} init' first", KeysDir(), options_.data_dir));
  }
  return keys;
}

absl::StatusOr<std::shared_ptr<ledger::DataKeyStore>> Context::OpenDataKeys(
    bool create_if_missing) const {
  std::map<std::string, std::shared_ptr<ledger::DataKeyStore>>& opened = opened_data_keys_->stores;
  const std::string dir = DataKeysDir();
  std::lock_guard lock(opened_data_keys_->mutex);
  if (auto it = opened.find(dir); it != opened.end()) return it->second;
  absl::StatusOr<std::unique_ptr<ledger::DataKeyStore>> store =
      ledger::DataKeyStore::Open(dir, ledger::DataKeyMode::kOpen);
  if (absl::IsNotFound(store.status()) && create_if_missing) {
    std::error_code error;
    if (!std::filesystem::exists(dir + "/master.key", error)) {
      spdlog::info("creating the data key store {}: plan events are sealed from now on", dir);
      store = ledger::DataKeyStore::Open(dir, ledger::DataKeyMode::kCreate);
    }
  }
  if (absl::IsInternal(store.status())) {
    // Locked by another process (a running service): read the keys it has.
    store = ledger::DataKeyStore::Open(dir, ledger::DataKeyMode::kReadOnly);
  }
  if (!store.ok()) return store.status();
  std::shared_ptr<ledger::DataKeyStore> shared = *std::move(store);
  opened.emplace(dir, shared);
  return shared;
}

absl::StatusOr<std::shared_ptr<ledger::DataKeyStore>> Context::DataKeysForReading() const {
  absl::StatusOr<std::shared_ptr<ledger::DataKeyStore>> keys = OpenDataKeys();
  if (absl::IsNotFound(keys.status())) return std::shared_ptr<ledger::DataKeyStore>();
  return keys;
}

absl::StatusOr<std::shared_ptr<ledger::DataKeyStore>> Context::DataKeysReadOnly() const {
  const std::string dir = DataKeysDir();
  std::lock_guard lock(opened_data_keys_->mutex);
  auto& opened = opened_data_keys_->stores;
  if (auto it = opened.find(dir); it != opened.end()) return it->second;
  absl::StatusOr<std::unique_ptr<ledger::DataKeyStore>> store =
      ledger::DataKeyStore::Open(dir, ledger::DataKeyMode::kReadOnly);
  if (absl::IsNotFound(store.status())) return std::shared_ptr<ledger::DataKeyStore>();
  if (!store.ok()) return store.status();
  std::shared_ptr<ledger::DataKeyStore> shared = *std::move(store);
  opened.emplace(dir, shared);
  return shared;
}

absl::StatusOr<std::unique_ptr<ledger::Writer>> Context::OpenWriter(ledger::Log* log,
                                                                    const ledger::Clock* clock,
                                                                    WriterStart start) const {
  absl::StatusOr<ledger::KeyStore> keys = OpenKeys();
  if (!keys.ok()) return keys.status();
  // Fail early, and clearly, when no key can sign now.
  if (absl::StatusOr<ledger::ActiveKey> active = keys->Active(absl::Now()); !active.ok()) {
    return active.status();
  }
  ledger::WriterOptions writer;
  writer.writer_id = options_.writer_id;
  // Each batch asks for the key valid at its time, so `keys rotate` or
  // `keys revoke` in another process takes effect at the next batch.
  auto key_directory = std::make_shared<ledger::KeyDirectory>(KeysDir());
  writer.key_at = [key_directory](absl::Time at) { return key_directory->KeyAt(at); };
  writer.clock = clock;
  // Read replicas' access records on the log are checked against the
  // keyring as it is when the writer meets them (docs/replicas.md).
  writer.keyring = [keys_dir = KeysDir()]() -> absl::StatusOr<events::Keyring> {
    absl::StatusOr<ledger::KeyStore> store = ledger::KeyStore::Open(keys_dir);
    if (!store.ok()) return store.status();
    return store->keyring();
  };
  DataDirWitnesses witnesses = CollectWitnesses(*this, log->partition_count());
  for (const std::string& missing : witnesses.missing) spdlog::debug("witness: {}", missing);
  writer.witnesses = std::move(witnesses.witnesses);
  const std::string heads_path = HeadWitnessPath(*this);
  std::error_code error;
  std::filesystem::create_directories(std::filesystem::path(heads_path).parent_path(), error);
  // Written from a thread of its own (ledger/head_witness_writer.h), the last
  // digests before the writer is gone.
  auto heads = std::make_shared<ledger::HeadWitnessWriter>(heads_path);
  writer.on_durable = [heads](std::span<const events::PartitionDigest> digests) {
    heads->Update(digests);
  };
  // Writer snapshots of this log (docs/snapshots.md), named like its
  // projection; `careledger checkpoint` writes them.
  writer.snapshot_dir = SnapshotDir();
  writer.snapshot_name = SnapshotName();
  writer.open_from_snapshot = start == WriterStart::kSnapshot;
  absl::StatusOr<std::shared_ptr<ledger::DataKeyStore>> data_keys =
      OpenDataKeys(/*create_if_missing=*/true);
  if (!data_keys.ok()) return data_keys.status();
  writer.data_keys = *std::move(data_keys);
  writer.own_signatures = own_signatures_;
  return ledger::Writer::Open(log, std::move(writer));
}

}  // namespace careledger::tools
