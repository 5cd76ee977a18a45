#include "hwnas/core/graph_json.h"

#include <nlohmann/json.hpp>

#include "hwnas/core/error.h"

namespace hwnas::core {
namespace {

using nlohmann::json;

json attrs_to_json(const OpAttrs& attrs) {
  struct Writer {
    json operator()(std::monostate) const { return json::object(); }
    json operator()(const Conv2dAttrs& a) const {
      return {{"out_channels", a.out_channels}, {"kernel", a.kernel}, {"stride", a.stride}, {"padding", a.padding},
              {"dilation", a.dilation},         {"groups", a.groups}, {"bias", a.bias}};
    }
    json operator()(const PoolAttrs& a) const {
      return {{"kernel", a.kernel}, {"stride", a.stride}, {"padding", a.padding},
              {"count_include_pad", a.count_include_pad}, {"ceil_mode", a.ceil_mode}};
    }
    json operator()(const LinearAttrs& a) const { return {{"out_features", a.out_features}, {"bias", a.bias}}; }
    json operator()(const NormAttrs& a) const { return {{"eps", a.eps}, {"affine", a.affine}}; }
    json operator()(const AxisAttrs& a) const {
      return {{"axis", a.axis}, {"start", a.start}, {"end", a.end}, {"groups", a.groups}};
    }
    json operator()(const DimsAttrs& a) const { return {{"dims", a.dims}}; }
    json operator()(const ParameterAttrs& a) const { return {{"shape", a.shape}, {"concat_axis", a.concat_axis}}; }
  };
  return std::visit(Writer{}, attrs);
}

OpAttrs attrs_from_json(OpKind kind, const json& j) {
  switch (kind) {
    case OpKind::kConv2d:
      return Conv2dAttrs{j.at("out_channels"), j.at("kernel"), j.at("stride"), j.at("padding"),
                         j.at("dilation"),     j.at("groups"), j.at("bias")};
    case OpKind::kMaxPool:
    case OpKind::kAvgPool:
      return PoolAttrs{j.at("kernel"), j.at("stride"), j.at("padding"), j.at("count_include_pad"), j.at("ceil_mode")};
    case OpKind::kLinear: return LinearAttrs{j.at("out_features"), j.at("bias")};
    case OpKind::kBatchNorm:
    case OpKind::kLayerNorm: return NormAttrs{j.at("eps"), j.at("affine")};
    case OpKind::kConcat:
    case OpKind::kChannelShuffle:
    case OpKind::kSoftmax:
    case OpKind::kMean:
    case OpKind::kSlice: return AxisAttrs{j.at("axis"), j.at("start"), j.at("end"), j.at("groups")};
    case OpKind::kReshape:
    case OpKind::kPermute: return DimsAttrs{j.at("dims").get<std::vector<std::int64_t>>()};
    case OpKind::kParameter: return ParameterAttrs{j.at("shape").get<Shape>(), j.at("concat_axis")};
    default: return std::monostate{};
  }
}

}  // namespace

std::string to_json(const Graph& graph, int indent) {
  json nodes = json::array();
  for (const auto& n : graph.nodes()) {
    json node = {{"id", n.id}, {"op", std::string(op_name(n.kind))}, {"name", n.name},
                 {"inputs", n.inputs}, {"shape", n.shape}};
    if (!std::holds_alternative<std::monostate>(n.attrs)) node["attrs"] = attrs_to_json(n.attrs);
    nodes.push_back(std::move(node));
  }
  json doc = {{"name", graph.name()}, {"nodes", std::move(nodes)}, {"outputs", graph.outputs()}};
  return doc.dump(indent);
}

Graph graph_from_json(const std::string& text) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    fail("graph JSON is malformed: {}", e.what());
  }
  Graph graph(doc.value("name", std::string("graph")));
  const json& nodes = doc.contains("nodes") ? doc.at("nodes") : json::array();
  for (std::size_t k = 0; k < nodes.size(); ++k) {
    const json& n = nodes[k];
    try {
      const OpKind kind = op_kind_from_name(n.at("op").get<std::string>());
      const std::string name = n.value("name", std::string());
      const Shape recorded = n.at("shape").get<Shape>();
      NodeId id;
      if (kind == OpKind::kInput) {
        id = graph.input(recorded, name);
      } else {
        id = graph.add_node(kind, n.at("inputs").get<std::vector<NodeId>>(),
                            attrs_from_json(kind, n.value("attrs", json::object())), name);
      }
      if (graph.shape(id) != recorded)
        fail("recorded shape {} disagrees with inferred {}", to_string(recorded), to_string(graph.shape(id)));
    } catch (const json::exception& e) {
      fail("graph JSON node {}: {}", k, e.what());
    } catch (const Error& e) {
      fail("graph JSON node {}: {}", k, e.what());
    }
  }
  for (NodeId out : doc.value("outputs", std::vector<NodeId>{})) graph.mark_output(out);
  return graph;
}

}  // namespace hwnas::core
