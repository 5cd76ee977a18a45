#include "hwnas/nn/graph_module.h"

#include <cmath>

#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>

#include "hwnas/core/error.h"

namespace hwnas::nn {
namespace {

using core::Node;
using core::NodeId;
using core::OpKind;

std::vector<NodeId> pick_outputs(const core::Graph& graph) {
  if (!graph.outputs().empty()) return graph.outputs();
  std::vector<NodeId> sinks;
  const auto consumers = graph.consumers();
  for (const auto& node : graph.nodes())
    if (consumers[static_cast<std::size_t>(node.id)].empty()) sinks.push_back(node.id);
  return sinks;
}

std::vector<std::int64_t> sizes_of(const core::Shape& shape) { return {shape.begin(), shape.end()}; }

// kaiming_uniform_(w, a=sqrt(5)) and the bias rule of nn.Conv2d / nn.Linear reset_parameters():
// gain = sqrt(2 / (1 + 5)), bound = gain * sqrt(3 / fan_in) = 1 / sqrt(fan_in), for both.
void init_fan_in(torch::Tensor& weight, torch::Tensor& bias, std::int64_t fan_in, at::Generator& gen) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
  weight.uniform_(-bound, bound, gen);
  if (bias.defined()) bias.uniform_(-bound, bound, gen);
}

}  // namespace

std::string describe_node(const core::Graph& graph, const core::Node& node) {
  return fmt::format("graph '{}', node {} '{}' ({})", graph.name(), node.id, node.name, core::op_name(node.kind));
}

GraphModuleImpl::GraphModuleImpl(core::Graph graph, std::uint64_t seed)
    : graph_(std::move(graph)), output_ids_(pick_outputs(graph_)), tensors_(graph_.size()) {
  for (const Node& node : graph_.nodes()) {
    NodeTensors& t = tensors_[static_cast<std::size_t>(node.id)];
    const auto name = [&](const char* what) { return fmt::format("n{}_{}", node.id, what); };
    const core::Shape* x = node.inputs.empty() ? nullptr : &graph_.shape(node.inputs[0]);
    switch (node.kind) {
      case OpKind::kConv2d: {
        const auto& a = std::get<core::Conv2dAttrs>(node.attrs);
        t.weight = register_parameter(name("weight"),
                                      torch::empty({a.out_channels, (*x)[1] / a.groups, a.kernel, a.kernel}));
        if (a.bias) t.bias = register_parameter(name("bias"), torch::empty({a.out_channels}));
        break;
      }
      case OpKind::kLinear: {
        const auto& a = std::get<core::LinearAttrs>(node.attrs);
        t.weight = register_parameter(name("weight"), torch::empty({a.out_features, x->back()}));
        if (a.bias) t.bias = register_parameter(name("bias"), torch::empty({a.out_features}));
        break;
      }
      case OpKind::kBatchNorm: {
        const std::int64_t channels = (*x)[1];
        if (std::get<core::NormAttrs>(node.attrs).affine) {
          t.weight = register_parameter(name("weight"), torch::empty({channels}));
          t.bias = register_parameter(name("bias"), torch::empty({channels}));
        }
        t.running_mean = register_buffer(name("running_mean"), torch::empty({channels}));
        t.running_var = register_buffer(name("running_var"), torch::empty({channels}));
        break;
      }
      case OpKind::kLayerNorm:
        if (std::get<core::NormAttrs>(node.attrs).affine) {
          t.weight = register_parameter(name("weight"), torch::empty({x->back()}));
          t.bias = register_parameter(name("bias"), torch::empty({x->back()}));
        }
        break;
      case OpKind::kParameter:
        t.weight = register_parameter(name("param"),
                                      torch::empty(sizes_of(std::get<core::ParameterAttrs>(node.attrs).shape)));
        break;
      default:
        break;
    }
  }
  reset_parameters(seed);
}

void GraphModuleImpl::reset_parameters(std::uint64_t seed) {
  torch::NoGradGuard no_grad;
  at::Generator gen = at::detail::createCPUGenerator(seed);
  for (const Node& node : graph_.nodes()) {
    NodeTensors& t = tensors_[static_cast<std::size_t>(node.id)];
    switch (node.kind) {
      case OpKind::kConv2d: {
        const auto& a = std::get<core::Conv2dAttrs>(node.attrs);
        init_fan_in(t.weight, t.bias, t.weight.size(1) * a.kernel * a.kernel, gen);
        break;
      }
      case OpKind::kLinear:
        init_fan_in(t.weight, t.bias, t.weight.size(1), gen);
        break;
      case OpKind::kBatchNorm:
      case OpKind::kLayerNorm:
        if (t.weight.defined()) t.weight.fill_(1.0);
        if (t.bias.defined()) t.bias.fill_(0.0);
        if (t.running_mean.defined()) t.running_mean.fill_(0.0);
        if (t.running_var.defined()) t.running_var.fill_(1.0);
        break;
      case OpKind::kParameter:
        // ViT class token / position embedding: trunc_normal_(std=.02) in timm, whose bounds (+-2) never bind.
        t.weight.normal_(0.0, 0.02, gen);
        break;
      default:
        break;
    }
  }
}

std::vector<torch::Tensor> GraphModuleImpl::make_inputs(std::uint64_t seed) const {
  at::Generator gen = at::detail::createCPUGenerator(seed);
  std::vector<torch::Tensor> inputs;
  for (NodeId id : graph_.inputs()) inputs.push_back(torch::empty(sizes_of(graph_.shape(id))).normal_(0.0, 1.0, gen));
  return inputs;
}

const NodeTensors& GraphModuleImpl::tensors(core::NodeId id) const {
  HWNAS_CHECK(id >= 0 && static_cast<std::size_t>(id) < tensors_.size(), "graph '{}': no node {}", graph_.name(), id);
  return tensors_[static_cast<std::size_t>(id)];
}

std::vector<torch::Tensor> GraphModuleImpl::forward(std::vector<torch::Tensor> inputs) {
  // Interprets the graph keeping each value only until its last reader has run, as eager PyTorch frees
  // intermediates: the allocator then sees the same traffic as a hand-written model.
  const auto ids = graph_.inputs();
  HWNAS_CHECK(inputs.size() == ids.size(), "graph '{}': expects {} input tensor(s), got {}", graph_.name(), ids.size(),
              inputs.size());
  std::vector<int> uses(graph_.size(), 0);
  for (const Node& node : graph_.nodes())
    for (NodeId i : node.inputs) ++uses[static_cast<std::size_t>(i)];
  for (NodeId o : output_ids_) ++uses[static_cast<std::size_t>(o)];

  std::vector<torch::Tensor> values(graph_.size());
  std::size_t next_input = 0;
  std::vector<torch::Tensor> in;
  for (const Node& node : graph_.nodes()) {
    torch::Tensor out;
    if (node.kind == OpKind::kInput) {
      out = inputs[next_input++];
      HWNAS_CHECK(out.sizes() == torch::IntArrayRef(node.shape), "{}: input tensor has sizes {}, expected {}",
                  describe_node(graph_, node), core::to_string(out.sizes().vec()), core::to_string(node.shape));
    } else {
      in.clear();
      for (NodeId i : node.inputs) in.push_back(values[static_cast<std::size_t>(i)]);
      for (NodeId i : node.inputs)
        if (--uses[static_cast<std::size_t>(i)] == 0) values[static_cast<std::size_t>(i)].reset();
      out = compute(node, in);
    }
    values[static_cast<std::size_t>(node.id)] = std::move(out);
  }
  std::vector<torch::Tensor> outputs;
  for (NodeId o : output_ids_) outputs.push_back(values[static_cast<std::size_t>(o)]);
  return outputs;
}

std::vector<torch::Tensor> GraphModuleImpl::forward_all(std::vector<torch::Tensor> inputs, const NodeHook& hook) {
  const auto ids = graph_.inputs();
  HWNAS_CHECK(inputs.size() == ids.size(), "graph '{}': expects {} input tensor(s), got {}", graph_.name(), ids.size(),
              inputs.size());
  std::vector<torch::Tensor> values(graph_.size());
  std::size_t next_input = 0;
  for (const Node& node : graph_.nodes()) {
    std::vector<torch::Tensor> in;
    for (NodeId i : node.inputs) in.push_back(values[static_cast<std::size_t>(i)]);
    torch::Tensor out;
    if (node.kind == OpKind::kInput) {
      out = inputs[next_input++];
      HWNAS_CHECK(out.sizes() == torch::IntArrayRef(node.shape), "{}: input tensor has sizes {}, expected {}",
                  describe_node(graph_, node), core::to_string(out.sizes().vec()), core::to_string(node.shape));
    } else {
      out = compute(node, in);
    }
    if (hook) out = hook(node, in, std::move(out));
    values[static_cast<std::size_t>(node.id)] = std::move(out);
  }
  return values;
}

torch::Tensor GraphModuleImpl::compute(const core::Node& node, const std::vector<torch::Tensor>& in) const {
  const NodeTensors& t = tensors_[static_cast<std::size_t>(node.id)];
  try {
    switch (node.kind) {
      case OpKind::kConv2d: {
        const auto& a = std::get<core::Conv2dAttrs>(node.attrs);
        return torch::conv2d(in[0], t.weight, t.bias, {a.stride, a.stride}, {a.padding, a.padding},
                             {a.dilation, a.dilation}, a.groups);
      }
      case OpKind::kBatchNorm: {
        const auto& a = std::get<core::NormAttrs>(node.attrs);
        // nn.BatchNorm2d(track_running_stats=True): running stats in eval, batch stats (and updates) in train.
        return torch::batch_norm(in[0], t.weight, t.bias, t.running_mean, t.running_var, is_training(), 0.1, a.eps,
                                 /*cudnn_enabled=*/true);
      }
      case OpKind::kLayerNorm: {
        const auto& a = std::get<core::NormAttrs>(node.attrs);
        return torch::layer_norm(in[0], {in[0].size(-1)}, t.weight, t.bias, a.eps);
      }
      case OpKind::kRelu: return torch::relu(in[0]);
      case OpKind::kRelu6: return torch::hardtanh(in[0], 0.0, 6.0);  // F.relu6 is hardtanh(0, 6)
      case OpKind::kHardswish: return torch::hardswish(in[0]);
      case OpKind::kHardsigmoid: return torch::hardsigmoid(in[0]);
      case OpKind::kSigmoid: return torch::sigmoid(in[0]);
      case OpKind::kSilu: return torch::silu(in[0]);
      case OpKind::kGelu: return torch::gelu(in[0]);  // nn.GELU(): exact erf form
      case OpKind::kZero: return in[0].mul(0.0);       // NB201 Zero: x.mul(0.)
      case OpKind::kIdentity: return in[0];
      case OpKind::kAdd: return torch::add(in[0], in[1]);
      case OpKind::kMul: return torch::mul(in[0], in[1]);
      case OpKind::kConcat: return torch::cat(in, std::get<core::AxisAttrs>(node.attrs).axis);
      case OpKind::kChannelShuffle: {
        const std::int64_t groups = std::get<core::AxisAttrs>(node.attrs).groups;
        const auto n = in[0].size(0), c = in[0].size(1), h = in[0].size(2), w = in[0].size(3);
        return in[0].reshape({n, groups, c / groups, h, w}).transpose(1, 2).contiguous().view({n, c, h, w});
      }
      case OpKind::kMaxPool: {
        const auto& a = std::get<core::PoolAttrs>(node.attrs);
        return torch::max_pool2d(in[0], {a.kernel, a.kernel}, {a.stride, a.stride}, {a.padding, a.padding}, {1, 1},
                                 a.ceil_mode);
      }
      case OpKind::kAvgPool: {
        const auto& a = std::get<core::PoolAttrs>(node.attrs);
        return torch::avg_pool2d(in[0], {a.kernel, a.kernel}, {a.stride, a.stride}, {a.padding, a.padding},
                                 a.ceil_mode, a.count_include_pad);
      }
      case OpKind::kGlobalAvgPool: return torch::adaptive_avg_pool2d(in[0], {1, 1});
      case OpKind::kLinear: return torch::linear(in[0], t.weight, t.bias);
      case OpKind::kFlatten: return torch::flatten(in[0], 1);
      // reshape() is a view when the strides allow it and copies otherwise, so a permute followed by a
      // reshape gets its contiguous copy exactly where PyTorch code would make one.
      case OpKind::kReshape: return in[0].reshape(std::get<core::DimsAttrs>(node.attrs).dims);
      case OpKind::kPermute: return in[0].permute(std::get<core::DimsAttrs>(node.attrs).dims);
      case OpKind::kMatmul: return torch::matmul(in[0], in[1]);
      case OpKind::kSoftmax: return torch::softmax(in[0], std::get<core::AxisAttrs>(node.attrs).axis);
      case OpKind::kMean: return torch::mean(in[0], {std::get<core::AxisAttrs>(node.attrs).axis});
      case OpKind::kSlice: {
        const auto& a = std::get<core::AxisAttrs>(node.attrs);
        return in[0].narrow(a.axis, a.start, a.end - a.start);
      }
      case OpKind::kParameter: {
        const auto& a = std::get<core::ParameterAttrs>(node.attrs);
        if (a.concat_axis < 0) return torch::add(in[0], t.weight);
        std::vector<std::int64_t> sizes(static_cast<std::size_t>(t.weight.dim()), -1);
        sizes[0] = in[0].size(0);
        return torch::cat({t.weight.expand(sizes), in[0]}, a.concat_axis);
      }
      default:
        break;
    }
  } catch (const c10::Error& e) {
    fail("{}: LibTorch rejected the op: {}", describe_node(graph_, node), e.what_without_backtrace());
  }
  fail("{}: op '{}' is not supported by the LibTorch bridge", describe_node(graph_, node), core::op_name(node.kind));
}

}  // namespace hwnas::nn
