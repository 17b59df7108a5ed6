// What every benchmark shares: a scratch ledger of its own (so runs never mix
// with real data) and the machine's Ed25519 limits printed beside its figures.
#ifndef CARELEDGER_TOOLS_BENCH_SCRATCH_H_
#define CARELEDGER_TOOLS_BENCH_SCRATCH_H_

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "tools/context.h"
#include "tools/crypto_baseline.h"

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

// "machine limits (OpenSSL Ed25519, this run): ..." on stdout.
void PrintBaseline(const CryptoBaseline& baseline);
nlohmann::json BaselineJson(const CryptoBaseline& baseline);

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_BENCH_SCRATCH_H_
