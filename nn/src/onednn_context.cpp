#include "onednn_context.h"

#include <algorithm>
#include <optional>

#include "hwnas/nn/graph_module.h"
#include "hwnas/nn/script_module.h"

namespace hwnas::nn {
namespace {

bool starts_a_group(core::OpKind kind) { return kind == core::OpKind::kConv2d || kind == core::OpKind::kLinear; }

/// `graph` with a 1x1 conv (channels to channels) and a relu between each NCHW input and its readers;
/// nullopt when an input is not NCHW (oneDNN groups here are convolutional). The relu, which joins any
/// group, keeps the kernel's first op from following the conv directly: freezing would fold a bn into
/// the conv, and a folded bn is not one that runs inside a group.
std::optional<core::Graph> conv_fed_probe(const core::Graph& graph) {
  core::Graph probe(graph.name() + "_onednn_probe");
  std::vector<core::NodeId> map(graph.size(), -1);
  for (const auto& node : graph.nodes()) {
    if (node.kind == core::OpKind::kInput) {
      if (node.shape.size() != 4) return std::nullopt;
      const core::NodeId x = probe.input(node.shape, node.name);
      const core::NodeId conv = probe.conv2d(x, {.out_channels = node.shape[1], .kernel = 1});
      map[static_cast<std::size_t>(node.id)] = probe.unary(core::OpKind::kRelu, conv);
      continue;
    }
    std::vector<core::NodeId> inputs;
    for (core::NodeId in : node.inputs) inputs.push_back(map[static_cast<std::size_t>(in)]);
    map[static_cast<std::size_t>(node.id)] = probe.add_node(node.kind, inputs, node.attrs, node.name);
  }
  for (core::NodeId out : graph.outputs()) probe.mark_output(map[static_cast<std::size_t>(out)]);
  return probe;
}

}  // namespace

bool runs_inside_onednn_group(const core::Graph& graph) {
  if (graph.outputs().empty()) return false;
  if (std::any_of(graph.nodes().begin(), graph.nodes().end(), [](const core::Node& n) { return starts_a_group(n.kind); }))
    return false;
  const auto probe = conv_fed_probe(graph);
  if (!probe) return false;
  GraphModule module(*probe, /*seed=*/0);
  module->eval();
  const torch::jit::Module script = build_script_module(*module);
  // Inside the group every value stays oneDNN until the outputs: one aten::to_dense per output, each
  // producing it. A group that ended earlier leaves a to_dense after a conv, and dense outputs.
  const auto optimised = script.get_method("forward").graph();
  std::size_t conversions = 0;
  for (const torch::jit::Node* node : optimised->nodes())
    conversions += node->kind() == c10::Symbol::fromQualString("aten::to_dense");
  if (conversions != graph.outputs().size()) return false;
  for (const torch::jit::Value* out : optimised->outputs()) {
    const torch::jit::Node* producer = out->node();
    if (producer->kind() == c10::Symbol::fromQualString("prim::TupleConstruct")) {
      for (const torch::jit::Value* v : producer->inputs())
        if (v->node()->kind() != c10::Symbol::fromQualString("aten::to_dense")) return false;
    } else if (producer->kind() != c10::Symbol::fromQualString("aten::to_dense")) {
      return false;
    }
  }
  return true;
}

}  // namespace hwnas::nn
