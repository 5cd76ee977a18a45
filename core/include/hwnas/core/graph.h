#pragma once
/// The graph IR: a DAG of typed ops with static shapes, built in topological order.
///
/// Every node produces exactly one tensor, so a node id is also the id of its output value.
/// Builder methods infer the output shape and throw hwnas::Error on a mismatch, naming the node.

#include <cstdint>
#include <string>
#include <vector>

#include "hwnas/core/op.h"
#include "hwnas/core/shape.h"

namespace hwnas::core {

using NodeId = std::int32_t;

struct Node {
  NodeId id = -1;
  OpKind kind = OpKind::kInput;
  std::string name;
  std::vector<NodeId> inputs;
  OpAttrs attrs;
  Shape shape;  ///< output shape
};

class Graph {
 public:
  explicit Graph(std::string name = "graph") : name_(std::move(name)) {}

  // ---- building (each returns the new node's id) ----
  NodeId input(Shape shape, std::string name = "input");
  NodeId conv2d(NodeId x, Conv2dAttrs attrs, std::string name = "");
  NodeId batch_norm(NodeId x, NormAttrs attrs = {}, std::string name = "");
  NodeId layer_norm(NodeId x, NormAttrs attrs = {}, std::string name = "");
  /// relu, relu6, hardswish, hardsigmoid, sigmoid, silu, gelu, zero, identity.
  NodeId unary(OpKind kind, NodeId x, std::string name = "");
  NodeId add(NodeId a, NodeId b, std::string name = "");
  /// Elementwise multiply with broadcasting of size-1 dims (SE scaling).
  NodeId mul(NodeId a, NodeId b, std::string name = "");
  NodeId concat(const std::vector<NodeId>& xs, std::int64_t axis = 1, std::string name = "");
  NodeId channel_shuffle(NodeId x, std::int64_t groups, std::string name = "");
  NodeId max_pool(NodeId x, PoolAttrs attrs, std::string name = "");
  NodeId avg_pool(NodeId x, PoolAttrs attrs, std::string name = "");
  NodeId global_avg_pool(NodeId x, std::string name = "");
  NodeId linear(NodeId x, LinearAttrs attrs, std::string name = "");
  NodeId flatten(NodeId x, std::string name = "");
  NodeId reshape(NodeId x, std::vector<std::int64_t> dims, std::string name = "");
  NodeId permute(NodeId x, std::vector<std::int64_t> order, std::string name = "");
  NodeId matmul(NodeId a, NodeId b, std::string name = "");
  NodeId softmax(NodeId x, std::int64_t axis = -1, std::string name = "");
  NodeId mean(NodeId x, std::int64_t axis, std::string name = "");
  NodeId slice(NodeId x, std::int64_t axis, std::int64_t start, std::int64_t end, std::string name = "");
  NodeId parameter(NodeId x, ParameterAttrs attrs, std::string name = "");
  /// Adds a node of any kind (used by deserialization and lowering); infers and checks its shape.
  NodeId add_node(OpKind kind, std::vector<NodeId> inputs, OpAttrs attrs = {}, std::string name = "");

  void mark_output(NodeId id);

  // ---- reading ----
  const std::string& name() const { return name_; }
  const std::vector<Node>& nodes() const { return nodes_; }
  const Node& node(NodeId id) const;
  const Shape& shape(NodeId id) const { return node(id).shape; }
  const std::vector<NodeId>& outputs() const { return outputs_; }
  std::vector<NodeId> inputs() const;
  /// consumers()[id]: the nodes that read node id, in id order.
  std::vector<std::vector<NodeId>> consumers() const;
  std::size_t size() const { return nodes_.size(); }

  /// Readable multi-line text form: one node per line with op, inputs, attributes and shape.
  std::string to_text() const;

 private:
  NodeId append(Node node);
  std::string name_;
  std::vector<Node> nodes_;
  std::vector<NodeId> outputs_;
};

}  // namespace hwnas::core
