#include "hwnas/core/thread_pool.h"

#include <atomic>
#include <exception>

namespace hwnas::core {

struct ThreadPool::Job {
  const std::function<void(std::size_t)>* task = nullptr;
  std::size_t n = 0;
  std::atomic<std::size_t> next{0};
  std::vector<std::exception_ptr> errors;
};

ThreadPool::ThreadPool(std::size_t threads) {
  for (std::size_t i = 1; i < threads; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& w : workers_) w.join();
}

void ThreadPool::work(Job& job) {
  for (std::size_t i; (i = job.next.fetch_add(1)) < job.n;) {
    try {
      (*job.task)(i);
    } catch (...) {
      job.errors[i] = std::current_exception();
    }
  }
}

void ThreadPool::worker_loop() {
  std::size_t seen = 0;
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [&] { return stop_ || (job_ != nullptr && generation_ != seen); });
    if (stop_) return;
    seen = generation_;
    Job* job = job_;
    ++active_;
    lock.unlock();
    work(*job);
    lock.lock();
    --active_;
    idle_.notify_all();
  }
}

void ThreadPool::parallel_for(std::size_t n, const std::function<void(std::size_t)>& task) {
  if (n == 0) return;
  Job job;
  job.task = &task;
  job.n = n;
  job.errors.resize(n);
  if (!workers_.empty() && n > 1) {
    {
      std::lock_guard lock(mutex_);
      job_ = &job;
      ++generation_;
    }
    wake_.notify_all();
    work(job);
    // Every index is claimed once work() returns; wait for workers still running theirs. A worker that
    // has not taken the job yet never will: job_ is cleared under the same lock.
    std::unique_lock lock(mutex_);
    idle_.wait(lock, [&] { return active_ == 0; });
    job_ = nullptr;
  } else {
    work(job);
  }
  for (auto& e : job.errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace hwnas::core
