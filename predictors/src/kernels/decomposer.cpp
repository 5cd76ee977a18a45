#include "hwnas/predictors/kernels/decomposer.h"

#include <algorithm>

#include <fmt/compile.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "hwnas/core/cost.h"
#include "hwnas/core/error.h"
#include "hwnas/devices/fingerprint.h"

namespace hwnas::predictors {
namespace {

using core::NodeId;
using core::OpKind;

/// Appends the compact canonical text of one op's attributes to `out` (names excluded: they do not
/// change the computation). Written in place: keys are built for every kernel of every candidate.
void append_attrs_key(std::string& out, const core::OpAttrs& attrs) {
  auto to = std::back_inserter(out);
  struct Writer {
    std::back_insert_iterator<std::string> to;
    void operator()(std::monostate) const {}
    void operator()(const core::Conv2dAttrs& a) const {
      fmt::format_to(to, FMT_COMPILE("o{}k{}s{}p{}d{}g{}{}"), a.out_channels, a.kernel, a.stride, a.padding, a.dilation, a.groups,
                     a.bias ? "b" : "");
    }
    void operator()(const core::PoolAttrs& a) const {
      fmt::format_to(to, FMT_COMPILE("k{}s{}p{}{}{}"), a.kernel, a.stride, a.padding, a.count_include_pad ? "" : "x",
                     a.ceil_mode ? "c" : "");
    }
    void operator()(const core::LinearAttrs& a) const { fmt::format_to(to, FMT_COMPILE("o{}{}"), a.out_features, a.bias ? "b" : ""); }
    void operator()(const core::NormAttrs& a) const { fmt::format_to(to, FMT_COMPILE("e{}{}"), a.eps, a.affine ? "a" : ""); }
    void operator()(const core::AxisAttrs& a) const {
      fmt::format_to(to, FMT_COMPILE("a{}:{}:{}g{}"), a.axis, a.start, a.end, a.groups);
    }
    void operator()(const core::DimsAttrs& a) const { fmt::format_to(to, FMT_COMPILE("[{}]"), fmt::join(a.dims, ",")); }
    void operator()(const core::ParameterAttrs& a) const {
      fmt::format_to(to, FMT_COMPILE("{}@{}"), core::to_string(a.shape), a.concat_axis);
    }
  };
  std::visit(Writer{to}, attrs);
}

KernelConfig describe(const core::Graph& graph, const std::vector<NodeId>& nodes,
                      const std::vector<NodeId>& external_inputs) {
  KernelConfig c;
  // The first op of a fused sequence is the one that sets its shape (conv in conv-bn-relu).
  const core::Node& lead = graph.node(nodes.front());
  const core::Shape& in = lead.inputs.empty() ? lead.shape : graph.shape(lead.inputs[0]);
  const core::Shape& out = graph.shape(nodes.back());
  // A linear and a layer norm act on the last dim, every other dim is rows: a ViT's (1, tokens, C) and a
  // channels-last ConvNeXt block's (1, H, W, C) are both rows of C features, which is how they run (one
  // GEMM of rows x C by C x cout for a linear), not an image of H channels.
  const bool rows_of_features = (lead.kind == OpKind::kLinear || lead.kind == OpKind::kLayerNorm) && in.size() >= 3;
  if (rows_of_features) {
    c.cin = in.back();
    c.seq_len = core::numel(in) / c.cin;
  } else if (in.size() == 4) {
    c.cin = in[1];
    c.h = in[2];
    c.w = in[3];
  } else if (in.size() == 3) {
    c.seq_len = in[1];
    c.cin = in[2];
  } else if (!in.empty()) {
    c.cin = in.back();
  }
  c.cout = out.size() == 4 && !rows_of_features ? out[1] : out.back();
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
  std::string key;
  key.reserve(128);
  auto to = std::back_inserter(key);
  key += type;
  key += ':';
  for (NodeId id : external_inputs) fmt::format_to(to, FMT_COMPILE("{},"), fmt::join(graph.shape(id), "x"));
  for (NodeId id : nodes) {
    const core::Node& node = graph.node(id);
    key += '|';
    key += core::op_name(node.kind);
    append_attrs_key(key, node.attrs);
    key += '(';
    for (NodeId in : node.inputs) {
      const auto local = std::find(nodes.begin(), nodes.end(), in);
      if (local != nodes.end())
        fmt::format_to(to, FMT_COMPILE("n{},"), local - nodes.begin());
      else
        fmt::format_to(to, FMT_COMPILE("x{},"),
                       std::find(external_inputs.begin(), external_inputs.end(), in) - external_inputs.begin());
    }
    key += ')';
  }
  return key;
}

}  // namespace

std::vector<Kernel> decompose(const core::Graph& graph, const FusionRules& rules) {
  // A chain grows only through an op read exactly once, and not a graph output; that count and the
  // first reader are all the decomposer needs of the consumer lists (kept flat: this runs for every
  // candidate of a search). An op reading a tensor twice (x + x) counts twice, as Graph::consumers().
  std::vector<int> readers(graph.size(), 0);
  std::vector<NodeId> first_reader(graph.size(), -1);
  for (const auto& node : graph.nodes())
    for (NodeId in : node.inputs)
      if (readers[static_cast<std::size_t>(in)]++ == 0) first_reader[static_cast<std::size_t>(in)] = node.id;
  std::vector<bool> is_output(graph.size(), false);
  for (NodeId id : graph.outputs()) is_output[static_cast<std::size_t>(id)] = true;
  std::vector<std::string> tokens(graph.size());
  for (const auto& node : graph.nodes()) tokens[static_cast<std::size_t>(node.id)] = kernel_token(graph, node.id);

  std::vector<bool> assigned(graph.size(), false);
  std::vector<Kernel> kernels;
  kernels.reserve(graph.size());
  FusionPattern sequence;
  std::vector<NodeId> external_inputs;
  for (const auto& node : graph.nodes()) {
    const auto start = static_cast<std::size_t>(node.id);
    if (assigned[start] || tokens[start].empty()) continue;

    // Grow along the single-consumer chain while the sequence can still become a rule.
    Kernel kernel;
    std::vector<NodeId>& chain = kernel.nodes;
    chain.push_back(node.id);
    sequence.assign(1, tokens[start]);
    std::size_t longest_match = 1;  // a single op is always a kernel of its own
    while (true) {
      const auto tail = static_cast<std::size_t>(chain.back());
      if (readers[tail] != 1 || is_output[tail]) break;
      const NodeId next = first_reader[tail];
      const auto n = static_cast<std::size_t>(next);
      if (assigned[n] || tokens[n].empty()) break;
      sequence.push_back(tokens[n]);
      if (!rules.is_prefix(sequence)) break;
      chain.push_back(next);
      if (rules.matches(sequence)) longest_match = chain.size();
    }
    chain.resize(longest_match);

    external_inputs.clear();
    for (NodeId id : chain) {
      assigned[static_cast<std::size_t>(id)] = true;
      if (!kernel.type.empty()) kernel.type += '-';
      kernel.type += tokens[static_cast<std::size_t>(id)];
      for (NodeId in : graph.node(id).inputs)
        if (std::find(chain.begin(), chain.end(), in) == chain.end() &&
            std::find(external_inputs.begin(), external_inputs.end(), in) == external_inputs.end())
          external_inputs.push_back(in);
    }
    kernel.config = describe(graph, chain, external_inputs);
    kernel.key = kernel_key(graph, kernel.type, chain, external_inputs);
    kernel.key_hash = devices::fnv1a64(kernel.key);
    kernels.push_back(std::move(kernel));
  }
  return kernels;
}

}  // namespace hwnas::predictors
