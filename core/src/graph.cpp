#include "hwnas/core/graph.h"

#include <algorithm>
#include <numeric>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "hwnas/core/error.h"

namespace hwnas::core {
namespace {

/// Where a node is, for error messages. Formatted only when an error is raised: a search builds
/// hundreds of nodes per candidate, and formatting it eagerly for each was a fifth of graph building.
struct NodeLocation {
  const std::string& graph;
  const Node& node;
};

}  // namespace
}  // namespace hwnas::core

template <>
struct fmt::formatter<hwnas::core::NodeLocation> {
  constexpr auto parse(format_parse_context& ctx) { return ctx.begin(); }
  auto format(const hwnas::core::NodeLocation& at, format_context& ctx) const {
    return fmt::format_to(ctx.out(), "graph '{}', node {} '{}' ({})", at.graph, at.node.id, at.node.name,
                          hwnas::core::op_name(at.node.kind));
  }
};

namespace hwnas::core {
namespace {

std::int64_t normalize_axis(std::int64_t axis, std::size_t rank, const NodeLocation& where) {
  const auto r = static_cast<std::int64_t>(rank);
  if (axis < -r || axis >= r) fail("{}: axis {} out of range for rank {}", where, axis, r);
  return axis < 0 ? axis + r : axis;
}

Shape broadcast(const Shape& a, const Shape& b, const NodeLocation& where) {
  if (a.size() != b.size())
    fail("{}: cannot broadcast {} with {} (ranks differ)", where, to_string(a), to_string(b));
  Shape out(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i] && a[i] != 1 && b[i] != 1)
      fail("{}: cannot broadcast {} with {} (dim {})", where, to_string(a), to_string(b), i);
    out[i] = std::max(a[i], b[i]);
  }
  return out;
}

std::int64_t pooled_size(std::int64_t in, std::int64_t kernel, std::int64_t stride, std::int64_t padding,
                         std::int64_t dilation, bool ceil_mode) {
  const std::int64_t span = in + 2 * padding - dilation * (kernel - 1) - 1;
  std::int64_t out = (ceil_mode ? (span + stride - 1) / stride : span / stride) + 1;
  // PyTorch: with ceil_mode the last window must start inside the input or left padding.
  if (ceil_mode && (out - 1) * stride >= in + padding) --out;
  return out;
}

/// The input shapes of a node being appended, read in place from the graph (a copy of each cost an
/// allocation per input of every node built).
class InputShapes {
 public:
  InputShapes(const std::vector<Node>& nodes, const std::vector<NodeId>& ids) : nodes_(nodes), ids_(ids) {}
  const Shape& operator[](std::size_t k) const { return nodes_[static_cast<std::size_t>(ids_[k])].shape; }
  std::size_t size() const { return ids_.size(); }

 private:
  const std::vector<Node>& nodes_;
  const std::vector<NodeId>& ids_;
};

void expect_rank(const Shape& shape, std::size_t rank, const NodeLocation& where) {
  if (shape.size() != rank)
    fail("{}: expected a rank-{} input, got {}", where, rank, to_string(shape));
}

void expect_arity(const Node& node, std::size_t n, const NodeLocation& where) {
  if (node.inputs.size() != n) fail("{}: expects {} input(s), got {}", where, n, node.inputs.size());
}

}  // namespace

const Node& Graph::node(NodeId id) const {
  HWNAS_CHECK(id >= 0 && static_cast<std::size_t>(id) < nodes_.size(), "graph '{}': no node {}", name_, id);
  return nodes_[static_cast<std::size_t>(id)];
}

NodeId Graph::append(Node node) {
  node.id = static_cast<NodeId>(nodes_.size());
  if (node.name.empty()) node.name = fmt::format("{}_{}", op_name(node.kind), node.id);
  const NodeLocation where{name_, node};
  for (NodeId i : node.inputs)
    if (i < 0 || i >= node.id) fail("{}: input {} does not exist yet", where, i);
  const InputShapes in(nodes_, node.inputs);

  switch (node.kind) {
    case OpKind::kInput:
      expect_arity(node, 0, where);
      if (node.shape.empty() || numel(node.shape) <= 0) fail("{}: input needs a positive shape", where);
      break;
    case OpKind::kConv2d: {
      expect_arity(node, 1, where);
      expect_rank(in[0], 4, where);
      const auto& a = std::get<Conv2dAttrs>(node.attrs);
      const std::int64_t cin = in[0][1];
      if (a.groups <= 0 || cin % a.groups || a.out_channels <= 0 || a.out_channels % a.groups)
        fail("{}: channels {}->{} not divisible by groups {}", where, cin, a.out_channels, a.groups);
      if (a.kernel <= 0 || a.stride <= 0 || a.padding < 0 || a.dilation <= 0)
        fail("{}: bad kernel/stride/padding/dilation {}/{}/{}/{}", where, a.kernel, a.stride, a.padding, a.dilation);
      const auto h = pooled_size(in[0][2], a.kernel, a.stride, a.padding, a.dilation, false);
      const auto w = pooled_size(in[0][3], a.kernel, a.stride, a.padding, a.dilation, false);
      if (h <= 0 || w <= 0) fail("{}: kernel {} does not fit input {}", where, a.kernel, to_string(in[0]));
      node.shape = {in[0][0], a.out_channels, h, w};
      break;
    }
    case OpKind::kBatchNorm:
      expect_arity(node, 1, where);
      if (in[0].size() < 2) fail("{}: batch norm needs a channel dim, got {}", where, to_string(in[0]));
      node.shape = in[0];
      break;
    case OpKind::kLayerNorm:
    case OpKind::kChannelShuffle:
      expect_arity(node, 1, where);
      if (node.kind == OpKind::kChannelShuffle) {
        expect_rank(in[0], 4, where);
        const auto groups = std::get<AxisAttrs>(node.attrs).groups;
        if (groups <= 0 || in[0][1] % groups) fail("{}: {} channels not divisible by {} groups", where, in[0][1], groups);
      }
      node.shape = in[0];
      break;
    case OpKind::kAdd:
    case OpKind::kMul:
      expect_arity(node, 2, where);
      node.shape = broadcast(in[0], in[1], where);
      break;
    case OpKind::kConcat: {
      if (node.inputs.empty()) fail("{}: concat needs inputs", where);
      auto& a = std::get<AxisAttrs>(node.attrs);
      a.axis = normalize_axis(a.axis, in[0].size(), where);
      node.shape = in[0];
      for (std::size_t k = 1; k < in.size(); ++k) {
        if (in[k].size() != in[0].size()) fail("{}: ranks differ: {} vs {}", where, to_string(in[0]), to_string(in[k]));
        for (std::size_t d = 0; d < in[k].size(); ++d)
          if (static_cast<std::int64_t>(d) != a.axis && in[k][d] != in[0][d])
            fail("{}: shapes {} and {} differ off the concat axis", where, to_string(in[0]), to_string(in[k]));
        node.shape[static_cast<std::size_t>(a.axis)] += in[k][static_cast<std::size_t>(a.axis)];
      }
      break;
    }
    case OpKind::kMaxPool:
    case OpKind::kAvgPool: {
      expect_arity(node, 1, where);
      expect_rank(in[0], 4, where);
      const auto& a = std::get<PoolAttrs>(node.attrs);
      if (a.kernel <= 0 || a.stride <= 0 || a.padding < 0 || 2 * a.padding > a.kernel)
        fail("{}: bad kernel/stride/padding {}/{}/{}", where, a.kernel, a.stride, a.padding);
      const auto h = pooled_size(in[0][2], a.kernel, a.stride, a.padding, 1, a.ceil_mode);
      const auto w = pooled_size(in[0][3], a.kernel, a.stride, a.padding, 1, a.ceil_mode);
      if (h <= 0 || w <= 0) fail("{}: kernel {} does not fit input {}", where, a.kernel, to_string(in[0]));
      node.shape = {in[0][0], in[0][1], h, w};
      break;
    }
    case OpKind::kGlobalAvgPool:
      expect_arity(node, 1, where);
      expect_rank(in[0], 4, where);
      node.shape = {in[0][0], in[0][1], 1, 1};
      break;
    case OpKind::kLinear: {
      expect_arity(node, 1, where);
      const auto& a = std::get<LinearAttrs>(node.attrs);
      if (in[0].size() < 2 || a.out_features <= 0) fail("{}: bad linear on {}", where, to_string(in[0]));
      node.shape = in[0];
      node.shape.back() = a.out_features;
      break;
    }
    case OpKind::kFlatten:
      expect_arity(node, 1, where);
      node.shape = {in[0][0], numel(in[0]) / in[0][0]};
      break;
    case OpKind::kReshape: {
      expect_arity(node, 1, where);
      Shape target = std::get<DimsAttrs>(node.attrs).dims;
      const auto wildcards = std::count(target.begin(), target.end(), -1);
      std::int64_t known = 1;
      for (auto d : target)
        if (d != -1) known *= d;
      if (wildcards > 1 || known <= 0 || numel(in[0]) % known != 0 ||
          (wildcards == 0 && known != numel(in[0])))
        fail("{}: cannot reshape {} to [{}]", where, to_string(in[0]), fmt::join(target, ","));
      for (auto& d : target)
        if (d == -1) d = numel(in[0]) / known;
      node.shape = target;
      break;
    }
    case OpKind::kPermute: {
      expect_arity(node, 1, where);
      const auto& order = std::get<DimsAttrs>(node.attrs).dims;
      std::vector<std::int64_t> sorted = order;
      std::sort(sorted.begin(), sorted.end());
      std::vector<std::int64_t> iota(in[0].size());
      std::iota(iota.begin(), iota.end(), 0);
      if (sorted != iota) fail("{}: [{}] is not a permutation of rank {}", where, fmt::join(order, ","), in[0].size());
      for (auto d : order) node.shape.push_back(in[0][static_cast<std::size_t>(d)]);
      break;
    }
    case OpKind::kMatmul: {
      expect_arity(node, 2, where);
      const auto& a = in[0];
      const auto& b = in[1];
      if (a.size() < 2 || a.size() != b.size() || a[a.size() - 1] != b[b.size() - 2] ||
          !std::equal(a.begin(), a.end() - 2, b.begin()))
        fail("{}: cannot multiply {} by {}", where, to_string(a), to_string(b));
      node.shape = a;
      node.shape.back() = b.back();
      break;
    }
    case OpKind::kSoftmax: {
      expect_arity(node, 1, where);
      auto& a = std::get<AxisAttrs>(node.attrs);
      a.axis = normalize_axis(a.axis, in[0].size(), where);
      node.shape = in[0];
      break;
    }
    case OpKind::kMean: {
      expect_arity(node, 1, where);
      auto& a = std::get<AxisAttrs>(node.attrs);
      a.axis = normalize_axis(a.axis, in[0].size(), where);
      if (a.axis == 0) fail("{}: cannot reduce the batch dim", where);
      node.shape = in[0];
      node.shape.erase(node.shape.begin() + a.axis);
      break;
    }
    case OpKind::kSlice: {
      expect_arity(node, 1, where);
      auto& a = std::get<AxisAttrs>(node.attrs);
      a.axis = normalize_axis(a.axis, in[0].size(), where);
      const auto size = in[0][static_cast<std::size_t>(a.axis)];
      if (a.start < 0 || a.end > size || a.start >= a.end)
        fail("{}: slice [{}, {}) out of range for size {}", where, a.start, a.end, size);
      node.shape = in[0];
      node.shape[static_cast<std::size_t>(a.axis)] = a.end - a.start;
      break;
    }
    case OpKind::kParameter: {
      expect_arity(node, 1, where);
      auto& a = std::get<ParameterAttrs>(node.attrs);
      if (a.shape.size() != in[0].size() || a.shape[0] != 1)
        fail("{}: parameter shape {} must have the input's rank and batch 1", where, to_string(a.shape));
      if (a.concat_axis < 0) {
        Shape batched = a.shape;
        batched[0] = in[0][0];
        if (broadcast(in[0], batched, where) != in[0])
          fail("{}: parameter {} does not broadcast onto {}", where, to_string(a.shape), to_string(in[0]));
        node.shape = in[0];
      } else {
        a.concat_axis = normalize_axis(a.concat_axis, in[0].size(), where);
        node.shape = in[0];
        for (std::size_t d = 1; d < in[0].size(); ++d)
          if (static_cast<std::int64_t>(d) != a.concat_axis && a.shape[d] != in[0][d])
            fail("{}: parameter {} does not fit {} off axis {}", where, to_string(a.shape), to_string(in[0]), a.concat_axis);
        node.shape[static_cast<std::size_t>(a.concat_axis)] += a.shape[static_cast<std::size_t>(a.concat_axis)];
      }
      break;
    }
    default:
      HWNAS_ASSERT(is_unary_elementwise(node.kind), "no shape rule for {}", op_name(node.kind));
      expect_arity(node, 1, where);
      node.shape = in[0];
      break;
  }
  nodes_.push_back(std::move(node));
  return nodes_.back().id;
}

NodeId Graph::add_node(OpKind kind, std::vector<NodeId> inputs, OpAttrs attrs, std::string name) {
  // Default attributes for the kinds that need them, so callers may pass only the inputs.
  if (std::holds_alternative<std::monostate>(attrs)) {
    switch (kind) {
      case OpKind::kBatchNorm:
      case OpKind::kLayerNorm: attrs = NormAttrs{}; break;
      case OpKind::kConcat:
      case OpKind::kChannelShuffle:
      case OpKind::kSoftmax:
      case OpKind::kMean:
      case OpKind::kSlice: attrs = AxisAttrs{}; break;
      case OpKind::kMaxPool:
      case OpKind::kAvgPool: attrs = PoolAttrs{}; break;
      case OpKind::kConv2d:
      case OpKind::kLinear:
      case OpKind::kReshape:
      case OpKind::kPermute:
      case OpKind::kParameter:
        fail("graph '{}': {} needs attributes", name_, op_name(kind));
      default: break;
    }
  }
  Node node;
  node.kind = kind;
  node.inputs = std::move(inputs);
  node.attrs = std::move(attrs);
  node.name = std::move(name);
  return append(std::move(node));
}

NodeId Graph::input(Shape shape, std::string name) {
  Node node;
  node.kind = OpKind::kInput;
  node.shape = std::move(shape);
  node.name = std::move(name);
  return append(std::move(node));
}

NodeId Graph::conv2d(NodeId x, Conv2dAttrs attrs, std::string name) {
  return add_node(OpKind::kConv2d, {x}, attrs, std::move(name));
}
NodeId Graph::batch_norm(NodeId x, NormAttrs attrs, std::string name) {
  return add_node(OpKind::kBatchNorm, {x}, attrs, std::move(name));
}
NodeId Graph::layer_norm(NodeId x, NormAttrs attrs, std::string name) {
  return add_node(OpKind::kLayerNorm, {x}, attrs, std::move(name));
}
NodeId Graph::unary(OpKind kind, NodeId x, std::string name) {
  HWNAS_CHECK(is_unary_elementwise(kind), "graph '{}': {} is not an elementwise op", name_, op_name(kind));
  return add_node(kind, {x}, {}, std::move(name));
}
NodeId Graph::add(NodeId a, NodeId b, std::string name) { return add_node(OpKind::kAdd, {a, b}, {}, std::move(name)); }
NodeId Graph::mul(NodeId a, NodeId b, std::string name) { return add_node(OpKind::kMul, {a, b}, {}, std::move(name)); }
NodeId Graph::concat(const std::vector<NodeId>& xs, std::int64_t axis, std::string name) {
  return add_node(OpKind::kConcat, xs, AxisAttrs{.axis = axis}, std::move(name));
}
NodeId Graph::channel_shuffle(NodeId x, std::int64_t groups, std::string name) {
  return add_node(OpKind::kChannelShuffle, {x}, AxisAttrs{.groups = groups}, std::move(name));
}
NodeId Graph::max_pool(NodeId x, PoolAttrs attrs, std::string name) {
  return add_node(OpKind::kMaxPool, {x}, attrs, std::move(name));
}
NodeId Graph::avg_pool(NodeId x, PoolAttrs attrs, std::string name) {
  return add_node(OpKind::kAvgPool, {x}, attrs, std::move(name));
}
NodeId Graph::global_avg_pool(NodeId x, std::string name) {
  return add_node(OpKind::kGlobalAvgPool, {x}, {}, std::move(name));
}
NodeId Graph::linear(NodeId x, LinearAttrs attrs, std::string name) {
  return add_node(OpKind::kLinear, {x}, attrs, std::move(name));
}
NodeId Graph::flatten(NodeId x, std::string name) { return add_node(OpKind::kFlatten, {x}, {}, std::move(name)); }
NodeId Graph::reshape(NodeId x, std::vector<std::int64_t> dims, std::string name) {
  return add_node(OpKind::kReshape, {x}, DimsAttrs{std::move(dims)}, std::move(name));
}
NodeId Graph::permute(NodeId x, std::vector<std::int64_t> order, std::string name) {
  return add_node(OpKind::kPermute, {x}, DimsAttrs{std::move(order)}, std::move(name));
}
NodeId Graph::matmul(NodeId a, NodeId b, std::string name) {
  return add_node(OpKind::kMatmul, {a, b}, {}, std::move(name));
}
NodeId Graph::softmax(NodeId x, std::int64_t axis, std::string name) {
  return add_node(OpKind::kSoftmax, {x}, AxisAttrs{.axis = axis}, std::move(name));
}
NodeId Graph::mean(NodeId x, std::int64_t axis, std::string name) {
  return add_node(OpKind::kMean, {x}, AxisAttrs{.axis = axis}, std::move(name));
}
NodeId Graph::slice(NodeId x, std::int64_t axis, std::int64_t start, std::int64_t end, std::string name) {
  return add_node(OpKind::kSlice, {x}, AxisAttrs{.axis = axis, .start = start, .end = end}, std::move(name));
}
NodeId Graph::parameter(NodeId x, ParameterAttrs attrs, std::string name) {
  return add_node(OpKind::kParameter, {x}, std::move(attrs), std::move(name));
}

void Graph::mark_output(NodeId id) {
  node(id);  // validates
  outputs_.push_back(id);
}

std::vector<NodeId> Graph::inputs() const {
  std::vector<NodeId> out;
  for (const auto& n : nodes_)
    if (n.kind == OpKind::kInput) out.push_back(n.id);
  return out;
}

std::vector<std::vector<NodeId>> Graph::consumers() const {
  std::vector<std::vector<NodeId>> out(nodes_.size());
  for (const auto& n : nodes_)
    for (NodeId i : n.inputs) out[static_cast<std::size_t>(i)].push_back(n.id);
  return out;
}

namespace {

std::string attrs_text(const OpAttrs& attrs) {
  struct Printer {
    std::string operator()(std::monostate) const { return ""; }
    std::string operator()(const Conv2dAttrs& a) const {
      return fmt::format("out={} k={} s={} p={} d={} g={}{}", a.out_channels, a.kernel, a.stride, a.padding,
                         a.dilation, a.groups, a.bias ? " bias" : "");
    }
    std::string operator()(const PoolAttrs& a) const {
      return fmt::format("k={} s={} p={}{}{}", a.kernel, a.stride, a.padding,
                         a.count_include_pad ? "" : " exclude_pad", a.ceil_mode ? " ceil" : "");
    }
    std::string operator()(const LinearAttrs& a) const {
      return fmt::format("out={}{}", a.out_features, a.bias ? " bias" : "");
    }
    std::string operator()(const NormAttrs& a) const { return fmt::format("eps={}{}", a.eps, a.affine ? "" : " no_affine"); }
    std::string operator()(const AxisAttrs& a) const {
      return fmt::format("axis={} start={} end={} groups={}", a.axis, a.start, a.end, a.groups);
    }
    std::string operator()(const DimsAttrs& a) const { return fmt::format("dims=[{}]", fmt::join(a.dims, ",")); }
    std::string operator()(const ParameterAttrs& a) const {
      return fmt::format("shape={} concat_axis={}", to_string(a.shape), a.concat_axis);
    }
  };
  return std::visit(Printer{}, attrs);
}

}  // namespace

std::string Graph::to_text() const {
  std::string out = fmt::format("graph {} ({} nodes)\n", name_, nodes_.size());
  for (const auto& n : nodes_) {
    out += fmt::format("  %{} = {}({}) {} -> {}  # {}\n", n.id, op_name(n.kind),
                       fmt::join(n.inputs, ", "), attrs_text(n.attrs), to_string(n.shape), n.name);
  }
  out += fmt::format("  outputs: {}\n", fmt::join(outputs_, ", "));
  return out;
}

}  // namespace hwnas::core
