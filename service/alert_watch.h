// The alert scan behind /metrics' careledger_alerts_raised_total: every
// interval, the investigation rules (projections/investigation.h) run over
// the audit records recorded since the previous run (the first run: since
// the scan started), and the alerts they raise are counted into Metrics by
// rule and severity. The rules read two windows back from a run's start, so
// a window rule's alerts do not depend on where runs split the trail.
//
// A run covers records recorded until kSettle before the projection last
// reached the log's end: a record whose append took longer than that to
// become durable after it was stamped is not counted. A failed run is
// logged and its records are tried again by the next one.
//
// Thread safety: Start once, Stop once (or at destruction); the scan runs on
// its own thread, reading the store as request threads do.
#ifndef CARELEDGER_SERVICE_ALERT_WATCH_H_
#define CARELEDGER_SERVICE_ALERT_WATCH_H_

#include <thread>

#include "absl/time/time.h"
#include "service/background_projection.h"
#include "service/metrics.h"

namespace careledger::service {

class AlertWatch {
 public:
  // `projection` and `metrics` outlive the watch.
  AlertWatch(BackgroundProjection* projection, Metrics* metrics, absl::Duration interval)
      : projection_(projection), metrics_(metrics), interval_(interval) {}
  ~AlertWatch() { Stop(); }

  // Counts alerts raised by records recorded from now on.
  void Start();
  void Stop();

 private:
  static constexpr absl::Duration kSettle = absl::Seconds(5);

  // One run over [from_, the projection's caught-up time - kSettle).
  void ScanOnce();

  BackgroundProjection* projection_;
  Metrics* metrics_;
  absl::Duration interval_;
  absl::Time from_;  // the scan thread's only
  std::jthread thread_;
};

}  // namespace careledger::service

#endif  // CARELEDGER_SERVICE_ALERT_WATCH_H_
