#pragma once
/// A small fixed thread pool for evaluating batches: parallel_for runs task(i) for every i on the
/// workers and the calling thread, and returns when all are done.

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace hwnas::core {

class ThreadPool {
 public:
  /// `threads` = total threads that run tasks, the caller included; 0 or 1 runs everything inline.
  explicit ThreadPool(std::size_t threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  std::size_t size() const { return workers_.size() + 1; }

  /// Runs task(0..n-1), in any order and on any thread, and waits for all. If tasks throw, every task
  /// still runs and the exception of the lowest index is rethrown (so the error does not depend on
  /// scheduling). Not reentrant: one parallel_for at a time.
  void parallel_for(std::size_t n, const std::function<void(std::size_t)>& task);

 private:
  struct Job;
  void worker_loop();
  static void work(Job& job);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  Job* job_ = nullptr;
  std::size_t generation_ = 0;
  std::size_t active_ = 0;
  bool stop_ = false;
};

}  // namespace hwnas::core
