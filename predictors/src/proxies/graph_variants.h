#pragma once
// Internal: copies of a graph for the proxies (another batch size; batch norm dropped for synflow).

#include <cstdint>

#include "hwnas/core/graph.h"

namespace hwnas::predictors {

/// `graph` rebuilt node by node with the batch dimension set to `batch` (inputs and explicit reshape
/// targets) and, when `drop_batch_norm`, every batch norm replaced by an identity. Node ids are kept.
core::Graph rebuild_graph(const core::Graph& graph, std::int64_t batch, bool drop_batch_norm);

}  // namespace hwnas::predictors
