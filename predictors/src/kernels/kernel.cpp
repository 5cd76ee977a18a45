#include "hwnas/predictors/kernels/kernel.h"

#include <algorithm>
#include <map>

#include "hwnas/core/error.h"

namespace hwnas::predictors {

using core::OpKind;

std::string kernel_token(const core::Graph& graph, core::NodeId id) {
  const core::Node& node = graph.node(id);
  switch (node.kind) {
    case OpKind::kConv2d: {
      const auto& a = std::get<core::Conv2dAttrs>(node.attrs);
      const auto cin = graph.shape(node.inputs[0])[1];
      return a.groups > 1 && a.groups == cin ? "dwconv" : "conv";
    }
    case OpKind::kBatchNorm: return "bn";
    case OpKind::kRelu: return "relu";
    case OpKind::kRelu6: return "relu6";
    case OpKind::kHardswish: return "hswish";
    case OpKind::kHardsigmoid: return "hsigmoid";
    case OpKind::kSigmoid: return "sigmoid";
    case OpKind::kSilu: return "swish";
    case OpKind::kGelu: return "gelu";
    case OpKind::kAdd: return "add";
    case OpKind::kMul: return "mul";
    case OpKind::kConcat: return "concat";
    case OpKind::kChannelShuffle: return "shuffle";
    case OpKind::kMaxPool: return "maxpool";
    case OpKind::kAvgPool: return "avgpool";
    case OpKind::kGlobalAvgPool: return "gap";
    case OpKind::kLinear: return "fc";
    case OpKind::kFlatten: return "flatten";
    case OpKind::kReshape: return "reshape";
    case OpKind::kPermute: return "permute";
    case OpKind::kLayerNorm: return "ln";
    case OpKind::kMatmul: return "matmul";
    case OpKind::kSoftmax: return "softmax";
    case OpKind::kZero: return "zero";
    case OpKind::kMean: return "mean";
    case OpKind::kSlice: return "slice";
    case OpKind::kParameter: return "param";
    case OpKind::kInput:
    case OpKind::kIdentity: return "";
  }
  HWNAS_ASSERT(false, "no kernel token for op {}", static_cast<int>(node.kind));
  return "";
}

const std::vector<std::string>& kernel_tokens() {
  static const std::vector<std::string> tokens = {
      "conv",  "dwconv",  "bn",    "relu",   "relu6",   "hswish", "hsigmoid", "sigmoid", "swish", "gelu",
      "add",   "mul",     "concat", "shuffle", "maxpool", "avgpool", "gap",     "fc",      "flatten", "reshape",
      "permute", "ln",    "matmul", "softmax", "zero",    "mean",   "slice",    "param"};
  return tokens;
}

core::Graph kernel_graph(const core::Graph& source, const Kernel& kernel) {
  core::Graph g(kernel.type);
  std::map<core::NodeId, core::NodeId> local;  // source node -> kernel graph node
  for (core::NodeId id : kernel.nodes) {
    const core::Node& node = source.node(id);
    std::vector<core::NodeId> inputs;
    for (core::NodeId in : node.inputs) {
      auto it = local.find(in);
      if (it == local.end())
        it = local.emplace(in, g.input(source.shape(in), "in" + std::to_string(local.size()))).first;
      inputs.push_back(it->second);
    }
    local[id] = g.add_node(node.kind, std::move(inputs), node.attrs, node.name);
  }
  g.mark_output(local.at(kernel.nodes.back()));
  return g;
}

}  // namespace hwnas::predictors
