// Writing a generated load (tools/load_generator.h) into a ledger: a writer on
// a simulated clock that starts at the next UTC midnight, one group commit
// per time slice. Used by `careledger load` and `careledger bench audit`.
#ifndef CARELEDGER_TOOLS_LOAD_RUNNER_H_
#define CARELEDGER_TOOLS_LOAD_RUNNER_H_

#include <cstddef>
#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "ledger/log.h"
#include "ledger/writer.h"
#include "tools/context.h"
#include "tools/load_generator.h"

namespace careledger::tools {

struct LoadReport {
  std::size_t commands = 0;
  std::size_t applied = 0;
  std::size_t rejected = 0;
  std::size_t duplicates = 0;
  // Access records the load appended: one per read (granted or refused) and
  // one per refused command of another kind.
  std::size_t access_records = 0;
  absl::Time from;  // simulated
  absl::Time to;
  double seconds = 0;  // wall time spent writing
  std::vector<PlantedCase> plants;
};

// Called after each slice is answered, with the writer and the report so
// far; an error stops the load and is returned.
using AfterSlice = std::function<absl::Status(ledger::Writer& writer, const LoadReport& so_far)>;

// Generates the load and submits it to a writer on `log` (the context's keys).
absl::StatusOr<LoadReport> WriteLoad(const Context& context, ledger::Log* log,
                                     const LoadOptions& options,
                                     const AfterSlice& after_slice = nullptr);

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_LOAD_RUNNER_H_
