#include "hwnas/devices/libtorch_platform.h"

#include "hwnas/core/error.h"

namespace hwnas::devices {
namespace {

/// The engine as kernels are measured on it. TorchScript kernels that run inside a network's oneDNN
/// group are timed on oneDNN-layout inputs (nn/src/onednn_context.h); before that they were timed on
/// dense inputs, up to 30x slower for pooling. The name differs so stores of the two never mix.
std::string measured_engine(nn::Engine engine) {
  return engine == nn::Engine::kTorchScript ? "torchscript/onednn-groups" : std::string(nn::engine_name(engine));
}

class LibTorchPrepared final : public PreparedGraph {
 public:
  LibTorchPrepared(const core::Graph& graph, nn::RunnableOptions options, int threads)
      : runnable_(graph, options), threads_(threads) {}
  // The intra-op thread count is per calling thread and shared by every platform in the process, so
  // it is set again before each block.
  void activate() override { nn::set_intra_op_threads(threads_); }
  void run(int iterations) override { runnable_.run(iterations); }
  bool single_threaded() const override { return threads_ == 1; }

 private:
  nn::RunnableGraph runnable_;
  int threads_;
};

class LibTorchPlatform final : public Platform {
 public:
  explicit LibTorchPlatform(LibTorchPlatformOptions options) : options_(std::move(options)) {
    HWNAS_CHECK(!options_.name.empty(), "a LibTorch platform needs a name");
    HWNAS_CHECK(options_.threads >= 1, "platform '{}': threads must be >= 1, got {}", options_.name,
                options_.threads);
    fingerprint_ = {.platform = options_.name,
                    .cpu_model = read_cpu_model(),
                    .cores = logical_cores(),
                    .torch_version = nn::torch_version(),
                    .threads = options_.threads,
                    .engine = measured_engine(options_.engine)};
  }

  std::string name() const override { return options_.name; }
  PlatformFingerprint fingerprint() const override { return fingerprint_; }

  std::unique_ptr<PreparedGraph> prepare(const core::Graph& graph) override {
    // Optimisation passes (oneDNN weight prepacking) may look at the thread count: build under it.
    nn::set_intra_op_threads(options_.threads);
    return std::make_unique<LibTorchPrepared>(graph, nn::RunnableOptions{.engine = options_.engine, .seed = options_.seed},
                                              options_.threads);
  }

 private:
  LibTorchPlatformOptions options_;
  PlatformFingerprint fingerprint_;
};

}  // namespace

std::unique_ptr<Platform> make_libtorch_platform(const LibTorchPlatformOptions& options) {
  return std::make_unique<LibTorchPlatform>(options);
}

}  // namespace hwnas::devices
