#include "tools/bench_scratch.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <vector>

#include "absl/time/clock.h"
#include "events/ids.h"
#include "tools/allocator.h"

namespace careledger::tools {

ScratchLedger::~ScratchLedger() {
  if (!keep) {
    std::error_code ignored;
    std::filesystem::remove_all(data_dir, ignored);
  }
}

std::unique_ptr<ScratchLedger> MakeScratch(const Context& context, bool keep) {
  auto scratch = std::make_unique<ScratchLedger>();
  scratch->options = context.options();
  scratch->data_dir = (std::filesystem::temp_directory_path() /
                       fmt::format("careledger-bench-{}", events::RandomUuid().substr(0, 8)))
                          .string();
  scratch->options.data_dir = scratch->data_dir;
  scratch->options.topic = fmt::format("careledger.bench.{}", events::RandomUuid().substr(0, 8));
  scratch->keep = keep;
  return scratch;
}

BenchLedger ScratchOrReuse(const Context& context, const std::string& reuse, bool keep) {
  BenchLedger ledger;
  if (reuse.empty()) {
    ledger.scratch = MakeScratch(context, keep);
    ledger.options = ledger.scratch->options;
  } else {
    ledger.options = context.options();
    ledger.options.data_dir = reuse;
    ledger.fresh = false;
  }
  return ledger;
}

absl::StatusOr<ledger::WriterOptions> BenchWriterOptions(const Context& context, int threads) {
  absl::StatusOr<ledger::KeyStore> keys = context.OpenKeys();
  if (!keys.ok()) return keys.status();
  absl::StatusOr<ledger::ActiveKey> active = keys->Active(absl::Now());
  if (!active.ok()) return active.status();
  ledger::WriterOptions options;
  options.key_id = active->key_id;
  options.signing_key = active->key;
  options.sign_threads = threads;
  return options;
}

LoadOptions BenchLoadOptions(std::uint64_t records, std::size_t patients) {
  LoadOptions load;
  load.days = 40;
  load.grain_minutes = 60;
  load.patients = patients > 0 ? patients : std::clamp<std::size_t>(records / 200, 100, 50'000);
  load.practices = std::max<std::size_t>(10, load.patients / 1000);
  load.reads_per_day = std::max<std::size_t>(1, records / load.days);
  return load;
}

absl::Status ReadWholeLog(
    ledger::Log& log,
    const std::function<absl::Status(std::span<const events::LogRecord>)>& visit) {
  absl::StatusOr<std::unique_ptr<ledger::LogReader>> reader = log.OpenReader();
  if (!reader.ok()) return reader.status();
  if (absl::Status seek =
          (*reader)->Seek(std::vector<std::int64_t>((*reader)->partition_count(), 0));
      !seek.ok()) {
    return seek;
  }
  for (;;) {
    absl::StatusOr<ledger::ReadBatch> batch = (*reader)->Read(8192, std::chrono::milliseconds(0));
    if (!batch.ok()) return batch.status();
    if (absl::Status visited = visit(batch->records); !visited.ok()) return visited;
    if (batch->caught_up) return absl::OkStatus();
  }
}

void PrintBaseline(const CryptoBaseline& baseline) {
  std::cout << fmt::format(
      "machine limits (OpenSSL Ed25519, this run):\n"
      "  sign    {:>10.0f}/s one core, {:>10.0f}/s on {} threads\n"
      "  verify  {:>10.0f}/s one core, {:>10.0f}/s on {} threads\n"
      "  allocator: {}\n",
      baseline.sign_per_second_one_core, baseline.sign_per_second, baseline.threads,
      baseline.verify_per_second_one_core, baseline.verify_per_second, baseline.threads,
      AllocatorName());
}

nlohmann::json BaselineJson(const CryptoBaseline& baseline) {
  return {{"threads", baseline.threads},
          {"sign_per_second_one_core", baseline.sign_per_second_one_core},
          {"verify_per_second_one_core", baseline.verify_per_second_one_core},
          {"sign_per_second", baseline.sign_per_second},
          {"verify_per_second", baseline.verify_per_second},
          {"allocator", AllocatorName()}};
}

void PrintAeadBaseline(const AeadBaseline& baseline) {
  std::cout << fmt::format(
      "  AES-256-GCM on {} B (OpenSSL EVP, as sealed bodies): seal {:>10.0f}/s, open {:>10.0f}/s "
      "on {} threads\n",
      baseline.bytes, baseline.seal_per_second, baseline.open_per_second, baseline.threads);
}

nlohmann::json AeadBaselineJson(const AeadBaseline& baseline) {
  return {{"threads", baseline.threads},
          {"bytes", baseline.bytes},
          {"seal_per_second", baseline.seal_per_second},
          {"open_per_second", baseline.open_per_second}};
}

}  // namespace careledger::tools
