// Rate limit on recording refused attempts, per user id and device id, so
// that a flood of bad commands can neither bury the log nor bloat it, and
// nothing is silently lost: every refusal is either recorded in full or
// counted into a summary access record that is on the log.
//
// Per (user id, device id), in fixed windows of kRefusalWindow starting at
// the first refusal: the first kRefusalBudget refusals are recorded in full;
// later ones are answered (REJECTED) without a record of their own and
// counted. The count goes on the log as one summary record:
//   - when the key's next refusal comes after its window ended (the summary
//     is appended before that refusal's own record);
//   - every kRefusalSummaryEvery counted refusals (the summary stands for the
//     refusal that reached the count, and answers it);
//   - when the writer stops (Writer::Impl flushes TakeAll()).
// Deterministic given the times passed in (ledger/clock.h). The state lives
// in memory only and restarts empty; the writer answers a counted refusal
// only after a summary holding its count is on the log (Writer's
// FlushHeldRefusals), so a crash loses no answered refusal. Not thread-safe:
// the writer's commit thread owns it.
#ifndef CARELEDGER_LEDGER_REFUSAL_LIMITER_H_
#define CARELEDGER_LEDGER_REFUSAL_LIMITER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "careledger/v1/access.pb.h"
#include "careledger/v1/envelope.pb.h"
#include "ledger/limits.h"

namespace careledger::ledger {

// Refusals counted but not recorded one by one.
struct RefusalSummary {
  careledger::v1::Actor actor;  // as recorded (ledger/decide.h: RecordableActor)
  std::uint64_t count = 0;
  absl::Time first;  // the first and the last refusal counted
  absl::Time last;
};

// The summary as an access record (outcome DENIED, action
// kSuppressedRefusalsAction, the count and the times in `reason`, the times
// also in range_from and range_to).
inline constexpr char kSuppressedRefusalsAction[] = "refusals_suppressed";
careledger::v1::AccessRecorded SummaryRecord(const RefusalSummary& summary);

class RefusalLimiter {
 public:
  struct Options {
    int budget = kRefusalBudget;
    absl::Duration window = kRefusalWindow;
    int summary_every = kRefusalSummaryEvery;
    std::size_t max_keys = kRefusalLimiterKeys;
  };

  // What to append for one refusal.
  struct Verdict {
    bool record_in_full = true;  // append the refusal's own record
    // Append this summary (before the refusal's record, when there is one;
    // otherwise it stands for the refusal).
    std::optional<RefusalSummary> summary;
  };

  RefusalLimiter() : RefusalLimiter(Options{}) {}
  explicit RefusalLimiter(Options options) : options_(options) {}

  // One refusal by `actor` (as recorded) at `now`.
  Verdict Admit(const careledger::v1::Actor& actor, absl::Time now);

  // The counts not yet recorded, one summary per key; forgets them.
  std::vector<RefusalSummary> TakeAll();

 private:
  struct Window {
    absl::Time start;
    int recorded = 0;
    RefusalSummary counted;  // count 0: nothing waiting
  };
  // Drops windows that ended with nothing waiting; true when there is room.
  bool MakeRoom(absl::Time now);

  Options options_;
  absl::flat_hash_map<std::pair<std::string, std::string>, Window> windows_;
};

}  // namespace careledger::ledger

#endif  // CARELEDGER_LEDGER_REFUSAL_LIMITER_H_
