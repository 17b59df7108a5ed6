#include "ledger/internal/append_thread.h"

#include <utility>

namespace careledger::ledger::internal {

AppendThread::AppendThread() : thread_([this] { Loop(); }) {}

AppendThread::~AppendThread() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

std::future<AppendThread::Result> AppendThread::Run(std::function<Result()> task) {
  std::packaged_task<Result()> packaged(std::move(task));
  std::future<Result> result = packaged.get_future();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    task_ = std::move(packaged);
  }
  wake_.notify_all();
  return result;
}

void AppendThread::Loop() {
  for (;;) {
    std::packaged_task<Result()> task;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      // A task given before the stop still runs: its caller waits for it.
      wake_.wait(lock, [&] { return stopping_ || task_.has_value(); });
      if (!task_.has_value()) return;
      task = std::move(*task_);
      task_.reset();
    }
    task();
  }
}

}  // namespace careledger::ledger::internal
