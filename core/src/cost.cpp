#include "hwnas/core/cost.h"

#include <variant>

namespace hwnas::core {

OpCost& OpCost::operator+=(const OpCost& other) {
  flops += other.flops;
  params += other.params;
  bytes_read += other.bytes_read;
  bytes_written += other.bytes_written;
  return *this;
}

OpCost node_cost(const Graph& graph, NodeId id) {
  constexpr double kBytesPerElement = 4;  // float32
  const Node& node = graph.node(id);
  const double out = static_cast<double>(numel(node.shape));
  double in = 0;
  for (NodeId i : node.inputs) in += static_cast<double>(numel(graph.shape(i)));
  const Shape* x = node.inputs.empty() ? nullptr : &graph.shape(node.inputs[0]);

  OpCost cost;
  switch (node.kind) {
    case OpKind::kConv2d: {
      const auto& a = std::get<Conv2dAttrs>(node.attrs);
      const std::int64_t per_output = ((*x)[1] / a.groups) * a.kernel * a.kernel;
      cost.params = a.out_channels * per_output + (a.bias ? a.out_channels : 0);
      cost.flops = 2.0 * out * static_cast<double>(per_output) + (a.bias ? out : 0);
      break;
    }
    case OpKind::kLinear: {
      const auto& a = std::get<LinearAttrs>(node.attrs);
      const std::int64_t in_features = x->back();
      cost.params = in_features * a.out_features + (a.bias ? a.out_features : 0);
      cost.flops = 2.0 * out * static_cast<double>(in_features) + (a.bias ? out : 0);
      break;
    }
    case OpKind::kMatmul: {
      const auto& a = graph.shape(node.inputs[0]);
      cost.flops = 2.0 * out * static_cast<double>(a.back());
      break;
    }
    case OpKind::kBatchNorm:
      cost.params = std::get<NormAttrs>(node.attrs).affine ? 2 * (*x)[1] : 0;
      cost.flops = 2 * out;  // folded to scale + shift at inference
      break;
    case OpKind::kLayerNorm:
      cost.params = std::get<NormAttrs>(node.attrs).affine ? 2 * x->back() : 0;
      cost.flops = 5 * out;  // mean, variance, normalize, scale, shift
      break;
    case OpKind::kSoftmax:
      cost.flops = 3 * out;  // exp, sum, divide
      break;
    case OpKind::kMaxPool:
    case OpKind::kAvgPool: {
      const auto& a = std::get<PoolAttrs>(node.attrs);
      cost.flops = out * static_cast<double>(a.kernel * a.kernel);
      break;
    }
    case OpKind::kGlobalAvgPool:
    case OpKind::kMean:
      cost.flops = in;
      break;
    case OpKind::kParameter: {
      const auto& a = std::get<ParameterAttrs>(node.attrs);
      cost.params = numel(a.shape);
      cost.flops = a.concat_axis < 0 ? out : 0;
      break;
    }
    case OpKind::kAdd:
    case OpKind::kMul:
    case OpKind::kRelu:
    case OpKind::kRelu6:
    case OpKind::kHardswish:
    case OpKind::kHardsigmoid:
    case OpKind::kSigmoid:
    case OpKind::kSilu:
    case OpKind::kGelu:
    case OpKind::kZero:
      cost.flops = out;
      break;
    default:  // data movement only: input, identity, concat, shuffle, reshape, permute, flatten, slice
      break;
  }
  if (node.kind != OpKind::kInput) {
    cost.bytes_read = (in + static_cast<double>(cost.params)) * kBytesPerElement;
    cost.bytes_written = out * kBytesPerElement;
  }
  return cost;
}

OpCost graph_cost(const Graph& graph) {
  OpCost total;
  for (const auto& n : graph.nodes()) total += node_cost(graph, n.id);
  return total;
}

}  // namespace hwnas::core
