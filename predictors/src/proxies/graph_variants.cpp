#include "graph_variants.h"

#include <fmt/format.h>

#include "hwnas/core/error.h"
#include "hwnas/predictors/proxies/zero_cost_proxies.h"

namespace hwnas::predictors {

using core::Node;
using core::NodeId;
using core::OpKind;

core::Graph rebuild_graph(const core::Graph& graph, std::int64_t batch, bool drop_batch_norm) {
  HWNAS_CHECK(batch >= 1, "graph '{}': batch size must be at least 1, got {}", graph.name(), batch);
  core::Graph out(graph.name());
  for (const Node& node : graph.nodes()) {
    NodeId id = -1;
    if (node.kind == OpKind::kInput) {
      core::Shape shape = node.shape;
      HWNAS_CHECK(!shape.empty(), "graph '{}': input node {} '{}' has no batch dimension", graph.name(), node.id,
                  node.name);
      shape[0] = batch;
      id = out.input(std::move(shape), node.name);
    } else if (drop_batch_norm && node.kind == OpKind::kBatchNorm) {
      id = out.add_node(OpKind::kIdentity, node.inputs, {}, node.name);
    } else {
      core::OpAttrs attrs = node.attrs;
      // Reshape targets spell the batch out (dim 0) unless they leave it to -1.
      if (node.kind == OpKind::kReshape) {
        auto& dims = std::get<core::DimsAttrs>(attrs).dims;
        if (!dims.empty() && dims[0] != -1) dims[0] = batch;
      }
      id = out.add_node(node.kind, node.inputs, std::move(attrs), node.name);
    }
    HWNAS_ASSERT(id == node.id, "rebuilt node id {} differs from {}", id, node.id);
  }
  for (NodeId o : graph.outputs()) out.mark_output(o);
  return out;
}

core::Graph with_batch(const core::Graph& graph, std::int64_t batch) {
  return rebuild_graph(graph, batch, /*drop_batch_norm=*/false);
}

}  // namespace hwnas::predictors
