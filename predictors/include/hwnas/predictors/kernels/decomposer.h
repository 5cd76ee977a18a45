#pragma once
/// Cuts a graph into the kernels a platform runs, by its fusion rules.

#include <vector>

#include "hwnas/core/graph.h"
#include "hwnas/predictors/kernels/fusion_rules.h"
#include "hwnas/predictors/kernels/kernel.h"

namespace hwnas::predictors {

/// Partitions every op of `graph` (inputs and identities excepted) into kernels, in topological order.
/// A kernel grows from its first op along single-consumer edges while the token sequence is a prefix of
/// some rule, and keeps the longest prefix that is a whole rule; an op read by more than one consumer
/// (or a graph output) ends its kernel.
std::vector<Kernel> decompose(const core::Graph& graph, const FusionRules& rules);

}  // namespace hwnas::predictors
