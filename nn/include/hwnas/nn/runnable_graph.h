#pragma once
/// A core::Graph realised as a runnable LibTorch model (torch-free interface, PIMPL).
///
/// The graph gets real, PyTorch-initialised weights (deterministic under `seed`) and a fixed random
/// input made at construction; run() is one no-grad inference forward on that input, which is what
/// the profiler times.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hwnas/core/graph.h"
#include "hwnas/core/shape.h"

namespace hwnas::nn {

/// How the graph is executed.
enum class Engine {
  kEager,        ///< aten ops called one by one, as PyTorch eager mode does (module in eval mode)
  kTorchScript,  ///< a TorchScript module, frozen and passed through optimize_for_inference (a graph of
                 ///< ops that would run inside a network's oneDNN group is run on oneDNN inputs instead)
};

/// "eager" or "torchscript".
std::string_view engine_name(Engine engine);
/// Inverse of engine_name; throws hwnas::Error listing the valid names.
Engine engine_from_name(std::string_view name);

struct RunnableOptions {
  Engine engine = Engine::kEager;
  std::uint64_t seed = 0;  ///< seeds the weights and the fixed input
};

class RunnableGraph {
 public:
  /// Builds the model; throws hwnas::Error naming the node if an op cannot be realised.
  explicit RunnableGraph(const core::Graph& graph, RunnableOptions options = {});
  ~RunnableGraph();
  RunnableGraph(RunnableGraph&&) noexcept;
  RunnableGraph& operator=(RunnableGraph&&) noexcept;
  RunnableGraph(const RunnableGraph&) = delete;
  RunnableGraph& operator=(const RunnableGraph&) = delete;

  /// One no-grad inference forward on the fixed input; the outputs are discarded.
  void run();
  /// `iterations` forwards back to back (what a timed sample of the profiler runs).
  void run(int iterations);

  /// Shapes of the outputs of one forward (the graph's marked outputs, or its sinks when none is marked).
  std::vector<core::Shape> output_shapes();
  /// Values of the outputs of one forward, flattened row-major (float32).
  std::vector<std::vector<float>> output_values();

  /// Number of learned parameters (weights, biases, norm scale/shift, parameter nodes).
  std::int64_t parameter_count() const;
  Engine engine() const;
  /// kTorchScript: whether the graph is timed on oneDNN-layout inputs, as its ops run inside the oneDNN
  /// group of a network (an op with no conv or linear, fed by one: see nn/src/onednn_context.h).
  bool onednn_inputs() const;
  /// The optimised TorchScript graph of `forward` (empty for the eager engine), for inspection.
  std::string ir_text() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Sets LibTorch's intra-op thread count for the calling thread's parallel regions.
void set_intra_op_threads(int threads);
/// LibTorch's current intra-op thread count.
int intra_op_threads();
/// The LibTorch version this build was compiled against ("1.13.0").
std::string torch_version();

}  // namespace hwnas::nn
