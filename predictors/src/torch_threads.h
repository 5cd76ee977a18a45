#pragma once
// LibTorch's intra-op thread count set for a scope and restored after it: training is run
// single-threaded (bit-for-bit reproducible) whatever the process had. Private to the predictors library.

#include <torch/torch.h>

namespace hwnas::predictors {

class TorchThreads {
 public:
  /// threads <= 0 leaves the count as it is.
  explicit TorchThreads(int threads) : previous_(torch::get_num_threads()) {
    if (threads > 0 && threads != previous_) torch::set_num_threads(threads);
  }
  ~TorchThreads() {
    if (torch::get_num_threads() != previous_) torch::set_num_threads(previous_);
  }
  TorchThreads(const TorchThreads&) = delete;
  TorchThreads& operator=(const TorchThreads&) = delete;

 private:
  int previous_;
};

}  // namespace hwnas::predictors
