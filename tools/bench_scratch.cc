#include "tools/bench_scratch.h"

#include <fmt/format.h>

#include <filesystem>
#include <iostream>

#include "events/ids.h"

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

void PrintBaseline(const CryptoBaseline& baseline) {
  std::cout << fmt::format(
      "machine limits (OpenSSL Ed25519, this run):\n"
      "  sign    {:>10.0f}/s one core, {:>10.0f}/s on {} threads\n"
      "  verify  {:>10.0f}/s one core, {:>10.0f}/s on {} threads\n",
      baseline.sign_per_second_one_core, baseline.sign_per_second, baseline.threads,
      baseline.verify_per_second_one_core, baseline.verify_per_second, baseline.threads);
}

nlohmann::json BaselineJson(const CryptoBaseline& baseline) {
  return {{"threads", baseline.threads},
          {"sign_per_second_one_core", baseline.sign_per_second_one_core},
          {"verify_per_second_one_core", baseline.verify_per_second_one_core},
          {"sign_per_second", baseline.sign_per_second},
          {"verify_per_second", baseline.verify_per_second}};
}

}  // namespace careledger::tools
