#pragma once
/// Static cost of ops and graphs.
///
/// FLOPs convention: one multiply-add counts as 2 FLOPs everywhere (conv, linear, matmul); other
/// elementwise ops count 1 FLOP per output element (add, relu, ...); batch norm at inference counts 2
/// (scale and shift). Bytes assume float32 (4 bytes): read = inputs + weights, written = output.

#include <cstdint>

#include "hwnas/core/graph.h"

namespace hwnas::core {

struct OpCost {
  double flops = 0;
  std::int64_t params = 0;  ///< learned parameters (weights, biases, norm scale/shift)
  double bytes_read = 0;
  double bytes_written = 0;
  OpCost& operator+=(const OpCost& other);
};

OpCost node_cost(const Graph& graph, NodeId id);
OpCost graph_cost(const Graph& graph);

}  // namespace hwnas::core
