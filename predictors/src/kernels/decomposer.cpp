#include "hwnas/predictors/kernels/decomposer.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "hwnas/core/cost.h"
#include "hwnas/core/error.h"
#include "hwnas/devices/fingerprint.h"

namespace hwnas::predictors {
namespace {

using core::NodeId;
using core::OpKind;

/// Compact canonical text of one op's attributes (names excluded: they do not change the computation).
std::string attrs_key(const core::OpAttrs& attrs) {
  struct Writer {
    std::string operator()(std::monostate) const { return ""; }
    std::string operator()(const core::Conv2dAttrs& a) const {
      return fmt::format("o{}k{}s{}p{}d{}g{}{}", a.out_channels, a.kernel, a.stride, a.padding, a.dilation,
                         a.groups, a.bias ? "b" : "");
    }
    std::string operator()(const core::PoolAttrs& a) const {
      return fmt::format("k{}s{}p{}{}{}", a.kernel, a.stride, a.padding, a.count_include_pad ? "" : "x",
                         a.ceil_mode ? "c" : "");
    }
    std::string operator()(const core::LinearAttrs& a) const {
      return fmt::format("o{}{}", a.out_features, a.bias ? "b" : "");
    }
    std::string operator()(const core::NormAttrs& a) const { return fmt::format("e{}{}", a.eps, a.affine ? "a" : ""); }
    std::string operator()(const core::AxisAttrs& a) const {
      return fmt::format("a{}:{}:{}g{}", a.axis, a.start, a.end, a.groups);
    }
    std::string operator()(const core::DimsAttrs& a) const { return fmt::format("[{}]", fmt::join(a.dims, ",")); }
    std::string operator()(const core::ParameterAttrs& a) const {
      return fmt::format("{}@{}", core::to_string(a.shape), a.concat_axis);
    }
  };
  return std::visit(Writer{}, attrs);
}

KernelConfig describe(const core::Graph& graph, const std::vector<NodeId>& nodes,
                      const std::vector<NodeId>& external_inputs) {
  KernelConfig c;
  // The first op of a fused sequence is the one that sets its shape (conv in conv-bn-relu).
  const core::Node& lead = graph.node(nodes.front());
  const core::Shape& in = lead.inputs.empty() ? lead.shape : graph.shape(lead.inputs[0]);
  const core::Shape& out = graph.shape(nodes.back());
  if (in.size() == 4) {
    c.cin = in[1];
    c.h = in[2];
    c.w = in[3];
  } else if (in.size() == 3) {
    c.seq_len = in[1];
    c.cin = in[2];
  } else if (!in.empty()) {
    c.cin = in.back();
  }
  c.cout = out.size() == 4 ? out[1] : out.back();
  if (const auto* conv = std::get_if<core::Conv2dAttrs>(&lead.attrs)) {
    c.kernel = conv->kernel;
    c.stride = conv->stride;
    c.groups = conv->groups;
  } else if (const auto* pool = std::get_if<core::PoolAttrs>(&lead.attrs)) {
    c.kernel = pool->kernel;
    c.stride = pool->stride;
  } else if (const auto* axis = std::get_if<core::AxisAttrs>(&lead.attrs);
             axis && lead.kind == OpKind::kChannelShuffle) {
    c.groups = axis->groups;
  }
  if (lead.kind == OpKind::kMatmul) {
    const core::Shape& a = graph.shape(lead.inputs[0]);
    const core::Shape& b = graph.shape(lead.inputs[1]);
    c.seq_len = a[a.size() - 2];
    c.cin = a.back();
    c.cout = b.back();
    c.groups = core::numel(a) / (c.seq_len * c.cin);
    c.h = c.w = 0;
  }
  c.inputs = static_cast<std::int64_t>(external_inputs.size());
  for (NodeId id : nodes) {
    const core::OpCost cost = core::node_cost(graph, id);
    c.flops += cost.flops;
    c.params += static_cast<double>(cost.params);
  }
  // Memory traffic of the fused kernel: what it reads from outside plus its weights, and its one output.
  for (NodeId id : external_inputs) c.bytes_read += 4.0 * static_cast<double>(core::numel(graph.shape(id)));
  c.bytes_read += 4.0 * c.params;
  c.bytes_written = 4.0 * static_cast<double>(core::numel(out));
  return c;
}

std::string kernel_key(const core::Graph& graph, const std::string& type, const std::vector<NodeId>& nodes,
                       const std::vector<NodeId>& external_inputs) {
  std::string key = type + ":";
  for (NodeId id : external_inputs) key += core::to_string(graph.shape(id)) + ",";
  for (NodeId id : nodes) {
    const core::Node& node = graph.node(id);
    key += "|";
    key += core::op_name(node.kind);
    key += attrs_key(node.attrs);
    key += "(";
    for (NodeId in : node.inputs) {
      auto local = std::find(nodes.begin(), nodes.end(), in);
      key += local != nodes.end() ? fmt::format("n{}", local - nodes.begin())
                                  : fmt::format("x{}", std::find(external_inputs.begin(), external_inputs.end(), in) -
                                                           external_inputs.begin());
      key += ",";
    }
    key += ")";
  }
  return key;
}

}  // namespace

std::vector<Kernel> decompose(const core::Graph& graph, const FusionRules& rules) {
  const auto consumers = graph.consumers();
  std::vector<bool> is_output(graph.size(), false);
  for (NodeId id : graph.outputs()) is_output[static_cast<std::size_t>(id)] = true;
  std::vector<std::string> tokens(graph.size());
  for (const auto& node : graph.nodes()) tokens[static_cast<std::size_t>(node.id)] = kernel_token(graph, node.id);

  std::vector<bool> assigned(graph.size(), false);
  std::vector<Kernel> kernels;
  for (const auto& node : graph.nodes()) {
    const auto start = static_cast<std::size_t>(node.id);
    if (assigned[start] || tokens[start].empty()) continue;

    // Grow along the single-consumer chain while the sequence can still become a rule.
    std::vector<NodeId> chain = {node.id};
    FusionPattern sequence = {tokens[start]};
    std::size_t longest_match = 1;  // a single op is always a kernel of its own
    while (true) {
      const auto tail = static_cast<std::size_t>(chain.back());
      if (consumers[tail].size() != 1 || is_output[tail]) break;
      const NodeId next = consumers[tail].front();
      const auto n = static_cast<std::size_t>(next);
      if (assigned[n] || tokens[n].empty()) break;
      sequence.push_back(tokens[n]);
      if (!rules.is_prefix(sequence)) break;
      chain.push_back(next);
      if (rules.matches(sequence)) longest_match = chain.size();
    }
    chain.resize(longest_match);

    Kernel kernel;
    kernel.nodes = chain;
    std::vector<std::string> type_tokens;
    std::vector<NodeId> external_inputs;
    for (NodeId id : chain) {
      assigned[static_cast<std::size_t>(id)] = true;
      type_tokens.push_back(tokens[static_cast<std::size_t>(id)]);
      for (NodeId in : graph.node(id).inputs)
        if (std::find(chain.begin(), chain.end(), in) == chain.end() &&
            std::find(external_inputs.begin(), external_inputs.end(), in) == external_inputs.end())
          external_inputs.push_back(in);
    }
    kernel.type = fmt::format("{}", fmt::join(type_tokens, "-"));
    kernel.config = describe(graph, chain, external_inputs);
    kernel.key = kernel_key(graph, kernel.type, chain, external_inputs);
    kernel.key_hash = devices::fnv1a64(kernel.key);
    kernels.push_back(std::move(kernel));
  }
  return kernels;
}

}  // namespace hwnas::predictors
