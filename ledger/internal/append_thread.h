// AppendThread: one long-lived thread that runs the writer's appends, one at
// a time, so the commit loop can decide and seal the next batch while the
// previous one is being made durable (ledger/writer.cc, CommitLoop).
//
// It replaces a std::async per batch: that created and joined a thread for
// every group commit, hundreds a second under load (up to 900/s on the
// embedded log), each a clone, a fresh stack and a join.
//
// Contract: at most one task is outstanding. Run may be called again only
// once the previous task's future is ready (the commit loop waits for it
// before it starts the next append). Thread safety: Run from one thread.
#ifndef CARELEDGER_LEDGER_INTERNAL_APPEND_THREAD_H_
#define CARELEDGER_LEDGER_INTERNAL_APPEND_THREAD_H_

#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/log.h"

namespace careledger::ledger::internal {

class AppendThread {
 public:
  using Result = absl::StatusOr<std::vector<LogPosition>>;

  // The thread starts here and waits for tasks.
  AppendThread();
  // Finishes the outstanding task, if any, then joins the thread.
  ~AppendThread();
  AppendThread(const AppendThread&) = delete;
  AppendThread& operator=(const AppendThread&) = delete;

  // Runs `task` on the thread; its result comes out of the future.
  std::future<Result> Run(std::function<Result()> task);

 private:
  void Loop();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::optional<std::packaged_task<Result()>> task_;  // guarded by mutex_
  bool stopping_ = false;                             // guarded by mutex_
  std::thread thread_;
};

}  // namespace careledger::ledger::internal

#endif  // CARELEDGER_LEDGER_INTERNAL_APPEND_THREAD_H_
