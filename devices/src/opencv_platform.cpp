#include "hwnas/devices/opencv_platform.h"

#include <climits>
#include <cmath>
#include <map>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <opencv2/core.hpp>
#include <opencv2/core/utility.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/dnn/shape_utils.hpp>

#include "hwnas/core/error.h"

namespace hwnas::devices {
namespace {

using core::Node;
using core::NodeId;
using core::OpKind;

/// An output of a layer: (layer id, output index). Layer 0 is the net's input layer, one output per graph input.
using Pin = std::pair<int, int>;

constexpr const char* kSupportedOps =
    "conv2d, batch_norm, relu, relu6, hardswish, hardsigmoid, sigmoid, silu, zero, identity, add, mul, concat, "
    "channel_shuffle, max_pool, avg_pool, global_avg_pool, linear, flatten";

std::string describe(const core::Graph& graph, const Node& node) {
  return fmt::format("graph '{}', node {} '{}' ({})", graph.name(), node.id, node.name, core::op_name(node.kind));
}

std::vector<NodeId> pick_outputs(const core::Graph& graph) {
  if (!graph.outputs().empty()) return graph.outputs();
  std::vector<NodeId> sinks;
  const auto consumers = graph.consumers();
  for (const Node& node : graph.nodes())
    if (consumers[static_cast<std::size_t>(node.id)].empty()) sinks.push_back(node.id);
  return sinks;
}

std::vector<int> to_int_shape(const core::Graph& graph, const Node& node, const core::Shape& shape) {
  std::vector<int> out;
  for (std::int64_t d : shape) {
    if (d <= 0 || d > INT_MAX)
      fail("{}: dimension {} of {} does not fit OpenCV", describe(graph, node), d, core::to_string(shape));
    out.push_back(static_cast<int>(d));
  }
  return out;
}

core::Shape to_shape(const cv::Mat& m) {
  core::Shape shape;
  for (int i = 0; i < m.dims; ++i) shape.push_back(m.size[i]);
  return shape;
}

cv::Mat filled(const std::vector<int>& shape, float value) { return cv::Mat(shape, CV_32F, cv::Scalar(value)); }

cv::Mat uniform(const std::vector<int>& shape, cv::RNG& rng, double low, double high) {
  cv::Mat m(shape, CV_32F);
  rng.fill(m, cv::RNG::UNIFORM, low, high);
  return m;
}

/// True when `small` is a per-channel tensor (N, C, 1, 1) of the rank-4 tensor `big` (N, C, H, W).
bool per_channel_of(const core::Shape& small, const core::Shape& big) {
  return big.size() == 4 && small.size() == 4 && small[0] == big[0] && small[1] == big[1] && small[2] == 1 &&
         small[3] == 1 && (big[2] != 1 || big[3] != 1);
}

}  // namespace

std::string opencv_version() { return cv::getVersionString(); }

struct OpenCvNet::Impl {
  core::Graph graph;
  cv::dnn::Net net;
  std::vector<cv::Mat> inputs;  // one per graph input, in node-id order
  std::vector<std::string> input_names;
  std::vector<cv::String> output_names;  // layer names; forward() returns output 0 of each
  std::vector<std::vector<cv::Mat>> outputs;
  std::map<int, NodeId> node_of_layer;
  std::map<int, std::string> layer_names;

  Impl(const core::Graph& g, const OpenCvNetOptions& options) : graph(g) {
    cv::RNG weights_rng(2 * options.seed + 1);
    cv::RNG input_rng(2 * options.seed + 2);
    std::vector<Pin> pin(graph.size(), Pin{-1, -1});
    int next_input = 0;
    for (const Node& node : graph.nodes()) {
      if (node.kind == OpKind::kInput) {
        pin[static_cast<std::size_t>(node.id)] = {0, next_input++};
        cv::Mat x(to_int_shape(graph, node, node.shape), CV_32F);
        input_rng.fill(x, cv::RNG::NORMAL, 0.0, 1.0);
        inputs.push_back(x);
        input_names.push_back(fmt::format("input{}", inputs.size() - 1));
        continue;
      }
      if (node.kind == OpKind::kIdentity) {  // runs nothing: its value is its input's
        pin[static_cast<std::size_t>(node.id)] = pin[static_cast<std::size_t>(node.inputs[0])];
        continue;
      }
      std::vector<Pin> in;
      for (NodeId i : node.inputs) in.push_back(pin[static_cast<std::size_t>(i)]);
      pin[static_cast<std::size_t>(node.id)] = {add_layer(node, in, options, weights_rng), 0};
    }

    // A graph output that is a graph input (directly or through identities) needs a layer to name it. A max
    // pool nobody reads also gets one: OpenCV gives a max pooling layer a second output, the argmax indices,
    // unless a consumer asks for its first output only, and computing them made a 56x56x256 3x3 pool 3.7x
    // slower; inside a network (and as a kernel measured on its own) the pool must cost what it does there.
    const auto consumers = graph.consumers();
    const auto output_ids = pick_outputs(graph);
    for (std::size_t k = 0; k < output_ids.size(); ++k) {
      const NodeId id = output_ids[k];
      Pin p = pin[static_cast<std::size_t>(id)];
      const bool unread_max_pool =
          graph.node(id).kind == OpKind::kMaxPool && consumers[static_cast<std::size_t>(id)].empty();
      if (p.first == 0 || unread_max_pool) {
        cv::dnn::LayerParams params;
        const std::string name = fmt::format("{}:{}:output{}", id, graph.node(id).name, k);
        const int layer = net.addLayer(name, "Identity", params);
        net.connect(p.first, p.second, layer, 0);
        layer_names[layer] = name;
        p = {layer, 0};
      }
      output_names.push_back(layer_names.at(p.first));
    }

    std::vector<cv::String> names(input_names.begin(), input_names.end());
    net.setInputsNames(names);
    net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    check_shapes();
    set_net_inputs();
    // The first forward runs OpenCV's fusion pass and allocates every buffer; timed runs never see it.
    forward();
  }

  /// Adds the layer realising `node`; returns its id.
  int add_layer(const Node& node, const std::vector<Pin>& in, const OpenCvNetOptions& options, cv::RNG& rng) {
    const std::string where = describe(graph, node);
    const core::Shape& x = graph.shape(node.inputs[0]);
    const std::optional<float>& constant = options.constant_weights;
    cv::dnn::LayerParams p;
    std::string type;
    std::vector<Pin> sources = in;
    switch (node.kind) {
      case OpKind::kConv2d: {
        const auto& a = std::get<core::Conv2dAttrs>(node.attrs);
        type = "Convolution";
        p.set("num_output", static_cast<int>(a.out_channels));
        p.set("kernel_size", static_cast<int>(a.kernel));
        p.set("stride", static_cast<int>(a.stride));
        p.set("pad", static_cast<int>(a.padding));
        p.set("dilation", static_cast<int>(a.dilation));
        p.set("group", static_cast<int>(a.groups));
        p.set("bias_term", a.bias);
        const std::vector<int> w = {static_cast<int>(a.out_channels), static_cast<int>(x[1] / a.groups),
                                    static_cast<int>(a.kernel), static_cast<int>(a.kernel)};
        // PyTorch's default init (kaiming_uniform_(a=sqrt(5)) and its bias rule): U(+-1/sqrt(fan_in)).
        const double bound = 1.0 / std::sqrt(static_cast<double>(w[1] * w[2] * w[3]));
        p.blobs.push_back(constant ? filled(w, *constant) : uniform(w, rng, -bound, bound));
        if (a.bias) p.blobs.push_back(constant ? filled({w[0]}, 0) : uniform({w[0]}, rng, -bound, bound));
        break;
      }
      case OpKind::kBatchNorm: {
        const auto& a = std::get<core::NormAttrs>(node.attrs);
        type = "BatchNorm";
        const std::vector<int> c = {static_cast<int>(x[1])};
        p.set("eps", a.eps);
        p.set("has_weight", a.affine);
        p.set("has_bias", a.affine);
        // Running stats of a trained net: near, not at, the identity.
        p.blobs.push_back(constant ? filled(c, 0) : uniform(c, rng, -0.1, 0.1));  // mean
        p.blobs.push_back(constant ? filled(c, 1) : uniform(c, rng, 0.5, 1.5));   // variance
        if (a.affine) {
          p.blobs.push_back(constant ? filled(c, 1) : uniform(c, rng, 0.5, 1.5));   // scale
          p.blobs.push_back(constant ? filled(c, 0) : uniform(c, rng, -0.1, 0.1));  // shift
        }
        break;
      }
      case OpKind::kRelu: type = "ReLU"; break;
      case OpKind::kRelu6:
        type = "ReLU6";
        p.set("min_value", 0.0f);
        p.set("max_value", 6.0f);
        break;
      case OpKind::kHardswish: type = "HardSwish"; break;  // x * clip(x / 6 + 1/2, 0, 1), as PyTorch's
      case OpKind::kHardsigmoid:
        // OpenCV's default slope is ONNX's 0.2; PyTorch's hardsigmoid is relu6(x + 3) / 6.
        type = "HardSigmoid";
        p.set("alpha", 1.0f / 6.0f);
        p.set("beta", 0.5f);
        break;
      case OpKind::kSigmoid: type = "Sigmoid"; break;
      case OpKind::kSilu: type = "Swish"; break;  // x * sigmoid(x)
      case OpKind::kZero:
        // NB201's x.mul(0.): (shift + scale * x)^power with scale 0.
        type = "Power";
        p.set("power", 1.0f);
        p.set("scale", 0.0f);
        p.set("shift", 0.0f);
        break;
      case OpKind::kAdd:
      case OpKind::kMul: {
        const core::Shape& b = graph.shape(node.inputs[1]);
        if (x == b) {
          type = "Eltwise";
          p.set("operation", node.kind == OpKind::kAdd ? "sum" : "prod");
        } else if (per_channel_of(b, x) || per_channel_of(x, b)) {
          // A per-channel operand (SE scaling): Scale with the factor (or shift) as its second input. Axis 0
          // matches the operand's N*C values against the first two dims, so any batch size works.
          if (per_channel_of(x, b)) std::swap(sources[0], sources[1]);
          type = "Scale";
          p.set("axis", 0);
          p.set("bias_term", node.kind == OpKind::kAdd);
        } else {
          fail("{}: OpenCV DNN cannot broadcast {} with {} (supported: equal shapes, or a per-channel (N, C, 1, 1) "
               "operand of an (N, C, H, W) tensor)",
               where, core::to_string(x), core::to_string(b));
        }
        break;
      }
      case OpKind::kConcat:
        type = "Concat";
        p.set("axis", static_cast<int>(std::get<core::AxisAttrs>(node.attrs).axis));
        break;
      case OpKind::kChannelShuffle:
        // OpenCV's ShuffleChannel: (N, g, C/g, H, W) -> transpose(1, 2), as PyTorch's channel_shuffle.
        type = "ShuffleChannel";
        p.set("group", static_cast<int>(std::get<core::AxisAttrs>(node.attrs).groups));
        break;
      case OpKind::kMaxPool:
      case OpKind::kAvgPool: {
        const auto& a = std::get<core::PoolAttrs>(node.attrs);
        type = "Pooling";
        p.set("pool", node.kind == OpKind::kMaxPool ? "max" : "ave");
        p.set("kernel_size", static_cast<int>(a.kernel));
        p.set("stride", static_cast<int>(a.stride));
        p.set("pad", static_cast<int>(a.padding));
        p.set("ceil_mode", a.ceil_mode);  // OpenCV's default is Caffe's ceil mode
        // Divide by the window clipped to the padded input (PyTorch's count_include_pad) or to the input.
        p.set("ave_pool_padded_area", a.count_include_pad);
        break;
      }
      case OpKind::kGlobalAvgPool:
        type = "Pooling";
        p.set("pool", "ave");
        p.set("global_pooling", true);
        break;
      case OpKind::kLinear: {
        const auto& a = std::get<core::LinearAttrs>(node.attrs);
        type = "InnerProduct";
        const int in_features = static_cast<int>(x.back());
        const int out_features = static_cast<int>(a.out_features);
        p.set("num_output", out_features);
        p.set("bias_term", a.bias);
        p.set("axis", static_cast<int>(x.size()) - 1);
        const double bound = 1.0 / std::sqrt(static_cast<double>(in_features));
        p.blobs.push_back(constant ? filled({out_features, in_features}, *constant)
                                   : uniform({out_features, in_features}, rng, -bound, bound));
        if (a.bias)
          p.blobs.push_back(constant ? filled({1, out_features}, 0) : uniform({1, out_features}, rng, -bound, bound));
        break;
      }
      case OpKind::kFlatten:
        type = "Flatten";
        p.set("axis", 1);
        break;
      default:
        fail("{}: op '{}' is not supported by OpenCV DNN (supported: {})", where, core::op_name(node.kind),
             kSupportedOps);
    }
    const std::string name = fmt::format("{}:{}", node.id, node.name);
    const int layer = net.addLayer(name, type, p);
    layer_names[layer] = name;
    for (std::size_t i = 0; i < sources.size(); ++i)
      net.connect(sources[i].first, sources[i].second, layer, static_cast<int>(i));
    node_of_layer[layer] = node.id;
    return layer;
  }

  /// OpenCV's shape inference against the IR's, node by node: catches any difference in semantics
  /// (pooling rounding, padding) before it can silently time a different network.
  void check_shapes() {
    std::vector<cv::dnn::MatShape> in_shapes;
    for (const cv::Mat& m : inputs) in_shapes.push_back(cv::dnn::shape(m));
    std::vector<int> ids;
    std::vector<std::vector<cv::dnn::MatShape>> in_layer_shapes, out_layer_shapes;
    net.getLayersShapes(in_shapes, ids, in_layer_shapes, out_layer_shapes);
    for (std::size_t i = 0; i < ids.size(); ++i) {
      const auto it = node_of_layer.find(ids[i]);
      if (it == node_of_layer.end() || out_layer_shapes[i].empty()) continue;
      const Node& node = graph.node(it->second);
      const core::Shape got(out_layer_shapes[i][0].begin(), out_layer_shapes[i][0].end());
      if (got != node.shape)
        fail("{}: OpenCV DNN computes output shape {}, the graph says {}", describe(graph, node), core::to_string(got),
             core::to_string(node.shape));
    }
  }

  void set_net_inputs() {
    for (std::size_t i = 0; i < inputs.size(); ++i) net.setInput(inputs[i], input_names[i]);
  }

  void forward() { net.forward(outputs, output_names); }
};

OpenCvNet::OpenCvNet(const core::Graph& graph, OpenCvNetOptions options) {
  try {
    impl_ = std::make_unique<Impl>(graph, options);
  } catch (const cv::Exception& e) {
    fail("graph '{}': OpenCV DNN rejected the net: {}", graph.name(), e.what());
  }
}
OpenCvNet::~OpenCvNet() = default;
OpenCvNet::OpenCvNet(OpenCvNet&&) noexcept = default;
OpenCvNet& OpenCvNet::operator=(OpenCvNet&&) noexcept = default;

void OpenCvNet::run(int iterations) {
  // forward() into a vector of vectors hands back OpenCV's own output buffers; the flat-vector overload
  // would copy every output on every run.
  for (int i = 0; i < iterations; ++i) impl_->forward();
}

void OpenCvNet::set_inputs(const std::vector<std::vector<float>>& values) {
  HWNAS_CHECK(values.size() == impl_->inputs.size(), "graph '{}': expects {} input(s), got {}", impl_->graph.name(),
              impl_->inputs.size(), values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    cv::Mat& m = impl_->inputs[i];
    HWNAS_CHECK(values[i].size() == m.total(), "graph '{}': input {} has {} values, expected {} ({})",
                impl_->graph.name(), i, values[i].size(), m.total(), core::to_string(to_shape(m)));
    std::copy(values[i].begin(), values[i].end(), m.ptr<float>());
  }
  impl_->set_net_inputs();
}

std::vector<core::Shape> OpenCvNet::output_shapes() {
  impl_->forward();
  std::vector<core::Shape> shapes;
  for (const auto& out : impl_->outputs) shapes.push_back(to_shape(out.front()));
  return shapes;
}

std::vector<std::vector<float>> OpenCvNet::output_values() {
  impl_->forward();
  std::vector<std::vector<float>> values;
  for (const auto& out : impl_->outputs) {
    const cv::Mat m = out.front().isContinuous() ? out.front() : out.front().clone();
    values.emplace_back(m.ptr<float>(), m.ptr<float>() + m.total());
  }
  return values;
}

std::vector<core::NodeId> OpenCvNet::skipped_nodes() {
  impl_->forward();
  std::vector<double> timings;  // per layer after the input layer: timings[i] is layer i + 1
  impl_->net.getPerfProfile(timings);
  std::vector<core::NodeId> skipped;
  for (const auto& [layer, node] : impl_->node_of_layer)
    if (static_cast<std::size_t>(layer) <= timings.size() && timings[static_cast<std::size_t>(layer - 1)] == 0)
      skipped.push_back(node);
  return skipped;
}

namespace {

class OpenCvPrepared final : public PreparedGraph {
 public:
  OpenCvPrepared(const core::Graph& graph, OpenCvNetOptions options, int threads)
      : net_(graph, options), threads_(threads) {}
  // OpenCV's thread count is process-wide and other platforms or libraries may change it: set it
  // again before each block (setNumThreads rebuilds OpenCV's TBB arena, so only when it differs).
  void activate() override {
    if (cv::getNumThreads() != threads_) cv::setNumThreads(threads_);
  }
  void run(int iterations) override { net_.run(iterations); }
  // With setNumThreads(1), cv::parallel_for_ runs its body on the calling thread (measured: a 3x3 conv
  // of 128 channels at 56x56 used as much thread CPU time as process CPU time, and no thread was added).
  bool single_threaded() const override { return threads_ == 1; }

 private:
  OpenCvNet net_;
  int threads_;
};

class OpenCvPlatform final : public Platform {
 public:
  explicit OpenCvPlatform(OpenCvPlatformOptions options) : options_(std::move(options)) {
    HWNAS_CHECK(!options_.name.empty(), "an OpenCV platform needs a name");
    HWNAS_CHECK(options_.threads >= 1, "platform '{}': threads must be >= 1, got {}", options_.name,
                options_.threads);
    fingerprint_ = {.platform = options_.name,
                    .cpu_model = read_cpu_model(),
                    .cores = logical_cores(),
                    .torch_version = "",
                    .threads = options_.threads,
                    .engine = "opencv-dnn " + opencv_version()};
  }

  std::string name() const override { return options_.name; }
  PlatformFingerprint fingerprint() const override { return fingerprint_; }

  std::unique_ptr<PreparedGraph> prepare(const core::Graph& graph) override {
    // Layers size their stripes from the thread count at the first forward: build under it.
    cv::setNumThreads(options_.threads);
    try {
      return std::make_unique<OpenCvPrepared>(graph, OpenCvNetOptions{.seed = options_.seed}, options_.threads);
    } catch (const Error& e) {
      fail("platform '{}': {}", options_.name, e.what());
    }
  }

 private:
  OpenCvPlatformOptions options_;
  PlatformFingerprint fingerprint_;
};

}  // namespace

std::unique_ptr<Platform> make_opencv_platform(const OpenCvPlatformOptions& options) {
  return std::make_unique<OpenCvPlatform>(options);
}

}  // namespace hwnas::devices
