// What every benchmark shares: a scratch ledger of its own (so runs never mix
// with real data), or a kept one measured again; the writer a benchmark
// times; the `careledger load` workload of a given size; and the machine's
// limits printed beside its figures.
#ifndef CARELEDGER_TOOLS_BENCH_SCRATCH_H_
#define CARELEDGER_TOOLS_BENCH_SCRATCH_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>

#include "absl/status/statusor.h"
#include "events/record.h"
#include "ledger/log.h"
#include "ledger/writer.h"
#include "tools/context.h"
#include "tools/crypto_baseline.h"
#include "tools/load_generator.h"

namespace careledger::tools {

// A context on a fresh ledger: a temporary data directory and, on Kafka, a
// new topic. The directory is removed when this goes, unless `keep`.
struct ScratchLedger {
  GlobalOptions options;
  std::string data_dir;
  bool keep = false;
  ~ScratchLedger();
};

// The caller's options, pointed at a new temporary directory and topic.
std::unique_ptr<ScratchLedger> MakeScratch(const Context& context, bool keep);

// The ledger a benchmark measures: a new scratch ledger (`reuse` empty; kept
// after the run when `keep`), or the data directory `reuse` that an earlier
// `--keep` left, measured again (`fresh` false: nothing to initialise or write).
struct BenchLedger {
  std::unique_ptr<ScratchLedger> scratch;  // null when reused
  GlobalOptions options;
  bool fresh = true;
};
BenchLedger ScratchOrReuse(const Context& context, const std::string& reuse, bool keep);

// Options for a writer that a benchmark times: the context's active key,
// signing on `threads`, the writer's defaults otherwise (no snapshots,
// witnesses or data keys: the caller adds what it measures).
absl::StatusOr<ledger::WriterOptions> BenchWriterOptions(const Context& context, int threads);

// A `careledger load` workload of about `records` records over 40 simulated
// days, mostly background reads (each one access record); `patients` 0 = one
// per 200 records (at least 100, at most 50,000).
LoadOptions BenchLoadOptions(std::uint64_t records, std::size_t patients);

// Reads `log` once from its first record to its end as of now, handing each
// batch to `visit`; the first error (the reader's or `visit`'s) stops it.
absl::Status ReadWholeLog(
    ledger::Log& log, const std::function<absl::Status(std::span<const events::LogRecord>)>& visit);

// "machine limits (OpenSSL Ed25519, this run): ..." on stdout, with the
// allocator malloc reaches (tools/allocator.h).
void PrintBaseline(const CryptoBaseline& baseline);
nlohmann::json BaselineJson(const CryptoBaseline& baseline);
// "  AES-256-GCM ... seal N/s, open M/s on T threads" on stdout.
void PrintAeadBaseline(const AeadBaseline& baseline);
nlohmann::json AeadBaselineJson(const AeadBaseline& baseline);

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_BENCH_SCRATCH_H_
