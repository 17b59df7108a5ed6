#include "events/parallel.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace careledger::events {
namespace {

// Long-lived helper threads. Starting threads per call is not only slow in
// itself: OpenSSL 3 sets up and tears down per-thread state for every thread
// that signs, which costs more than the signatures of a small batch.
class WorkerPool {
 public:
  explicit WorkerPool(int helpers) {
    for (int i = 0; i < helpers; ++i) threads_.emplace_back([this] { Work(); });
  }
  ~WorkerPool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (std::thread& thread : threads_) thread.join();
  }

  int helpers() const { return static_cast<int>(threads_.size()); }

  void Post(std::function<void()> task) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      tasks_.push_back(std::move(task));
    }
    wake_.notify_one();
  }

 private:
  void Work() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return stopping_ || !tasks_.empty(); });
        if (tasks_.empty()) return;
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;  // guarded by mutex_
  bool stopping_ = false;                    // guarded by mutex_
  std::vector<std::thread> threads_;
};

WorkerPool& Pool() {
  static WorkerPool pool(HardwareThreads() - 1);
  return pool;
}

}  // namespace

void ParallelFor(std::size_t count, int threads, const std::function<void(std::size_t)>& fn) {
  const std::size_t workers =
      std::min<std::size_t>({count, static_cast<std::size_t>(std::max(threads, 1)),
                             static_cast<std::size_t>(Pool().helpers()) + 1});
  if (workers <= 1) {
    for (std::size_t i = 0; i < count; ++i) fn(i);
    return;
  }
  // Work is handed out in small chunks so uneven items still balance.
  std::atomic<std::size_t> next{0};
  const std::size_t chunk = std::max<std::size_t>(1, count / (workers * 8));
  auto run = [&] {
    for (;;) {
      const std::size_t begin = next.fetch_add(chunk);
      if (begin >= count) return;
      const std::size_t end = std::min(count, begin + chunk);
      for (std::size_t i = begin; i < end; ++i) fn(i);
    }
  };
  std::mutex done_mutex;
  std::condition_variable done;
  std::size_t running = workers - 1;
  for (std::size_t t = 1; t < workers; ++t) {
    Pool().Post([&] {
      run();
      std::lock_guard<std::mutex> lock(done_mutex);
      if (--running == 0) done.notify_one();
    });
  }
  run();
  std::unique_lock<std::mutex> lock(done_mutex);
  done.wait(lock, [&] { return running == 0; });
}

int HardwareThreads() { return std::max(1u, std::thread::hardware_concurrency()); }

}  // namespace careledger::events
