// The clock the ledger stamps events with. Tests pass a ManualClock.
#ifndef CARELEDGER_LEDGER_CLOCK_H_
#define CARELEDGER_LEDGER_CLOCK_H_

#include <atomic>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace careledger::ledger {

class Clock {
 public:
  virtual ~Clock() = default;
  // The current UTC time. Must be safe to call from any thread.
  virtual absl::Time Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

// A clock that moves only when told to. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(absl::Time start) : nanos_(absl::ToUnixNanos(start)) {}
  absl::Time Now() const override { return absl::FromUnixNanos(nanos_.load()); }
  void Advance(absl::Duration by) { nanos_ += absl::ToInt64Nanoseconds(by); }

 private:
  std::atomic<std::int64_t> nanos_;
};

}  // namespace careledger::ledger

#endif  // CARELEDGER_LEDGER_CLOCK_H_
