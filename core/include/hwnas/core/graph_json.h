#pragma once
/// Serialization of a Graph to JSON text and back (lossless: shapes are re-inferred and checked).

#include <string>

#include "hwnas/core/graph.h"

namespace hwnas::core {

std::string to_json(const Graph& graph, int indent = 2);
/// Throws hwnas::Error naming the node and field at fault.
Graph graph_from_json(const std::string& text);

}  // namespace hwnas::core
