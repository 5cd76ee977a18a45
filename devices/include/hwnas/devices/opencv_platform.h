#pragma once
/// The OpenCV DNN platform (`opencv-cpu-t1`): a second inference engine next to LibTorch, so kernel
/// predictors can be transferred across engines. A core::Graph is built layer by layer as a cv::dnn::Net
/// (LayerParams + addLayer/connect, no model file) and run by OpenCV's own CPU backend
/// (DNN_BACKEND_OPENCV, DNN_TARGET_CPU), with OpenCV's layer fusion on as in any OpenCV deployment.
/// OpenCV-free interface (PIMPL).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hwnas/core/graph.h"
#include "hwnas/core/shape.h"
#include "hwnas/devices/platform.h"

namespace hwnas::devices {

struct OpenCvNetOptions {
  std::uint64_t seed = 0;  ///< seeds the weights and the fixed input
  /// Unset: conv/linear weights ~ U(+-1/sqrt(fan_in)) (PyTorch's default init), biases likewise, batch
  /// norm with running mean ~ U(+-0.1), var ~ U(0.5, 1.5), scale ~ U(0.5, 1.5), shift ~ U(+-0.1).
  /// Set: every conv/linear weight is this value, every bias 0, and batch norm is mean 0, var 1,
  /// scale 1, shift 0 (y = x / sqrt(1 + eps)), so tests can derive outputs by hand.
  std::optional<float> constant_weights = std::nullopt;
};

/// A graph realised as a cv::dnn::Net with weights and a fixed input, ready to run again and again.
///
/// Supported ops: conv2d (any groups, stride, padding, dilation), batch_norm, relu, relu6, hardswish,
/// hardsigmoid, sigmoid, silu, zero, identity, add and mul (equal shapes, or one operand a per-channel
/// (N, C, 1, 1) tensor), concat, channel_shuffle, max_pool, avg_pool (count_include_pad and ceil_mode
/// honoured), global_avg_pool, linear (on the last dim), flatten. The graph's outputs are its marked
/// outputs, or its sinks when none is marked.
class OpenCvNet {
 public:
  /// Builds the net, sets the input and runs the first forward (OpenCV's fusion pass and buffer
  /// allocation happen there, not in later runs). Throws hwnas::Error naming the node of an op OpenCV
  /// cannot realise, or whose OpenCV output shape differs from the IR's.
  explicit OpenCvNet(const core::Graph& graph, OpenCvNetOptions options = {});
  ~OpenCvNet();
  OpenCvNet(OpenCvNet&&) noexcept;
  OpenCvNet& operator=(OpenCvNet&&) noexcept;
  OpenCvNet(const OpenCvNet&) = delete;
  OpenCvNet& operator=(const OpenCvNet&) = delete;

  /// `iterations` forwards back to back on the fixed input; the outputs stay in OpenCV's buffers.
  void run(int iterations = 1);
  /// Replaces the fixed input: one row-major float vector per graph input, in node-id order; throws
  /// hwnas::Error on a count or size mismatch.
  void set_inputs(const std::vector<std::vector<float>>& values);
  /// Shapes of the outputs of one forward.
  std::vector<core::Shape> output_shapes();
  /// Values of the outputs of one forward, flattened row-major.
  std::vector<std::vector<float>> output_values();
  /// Nodes OpenCV does not run as a layer of their own after its fusion pass: batch norms and
  /// activations folded into the layer before them, channel concats its producers write in place.
  /// Read from OpenCV after a forward (a skipped layer's time is exactly zero in getPerfProfile).
  std::vector<core::NodeId> skipped_nodes();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct OpenCvPlatformOptions {
  std::string name = "opencv-cpu-t1";  ///< registry name
  int threads = 1;                     ///< cv::setNumThreads (process-wide in OpenCV)
  std::uint64_t seed = 0;              ///< seeds the weights and input of every prepared graph
};

/// An OpenCV DNN platform; throws hwnas::Error when threads < 1 or the name is empty.
/// Fingerprint: engine "opencv-dnn <OpenCV version>", torch_version empty (LibTorch runs nothing here).
std::unique_ptr<Platform> make_opencv_platform(const OpenCvPlatformOptions& options = {});

/// The OpenCV version this build runs ("4.6.0").
std::string opencv_version();

}  // namespace hwnas::devices
