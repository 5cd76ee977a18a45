#pragma once
/// A kernel to measure: its description and the standalone graph a platform runs.

#include <vector>

#include "hwnas/core/graph.h"
#include "hwnas/predictors/kernels/fusion_rules.h"
#include "hwnas/predictors/kernels/kernel.h"

namespace hwnas::predictors {

struct KernelSample {
  Kernel kernel;      ///< type, config and key exactly as decompose() reports them inside a network
  core::Graph graph;  ///< the kernel alone, its inputs as graph inputs
};

/// Cuts `graph` by `rules` and returns each distinct kernel (by key) once, in order of first appearance.
std::vector<KernelSample> unique_kernels(const core::Graph& graph, const FusionRules& rules);

}  // namespace hwnas::predictors

namespace hwnas::predictors {

/// The canonical text of a kernel for the measurement store: the compact JSON of its standalone graph
/// with node names left out. Features are recomputed from it at training time, so a new feature schema
/// never needs a new measurement.
std::string kernel_config_json(const core::Graph& kernel_graph);

/// Rebuilds a kernel from its stored type and config JSON; throws hwnas::Error when the JSON is not a
/// graph or does not form exactly one kernel of that type.
KernelSample kernel_from_config_json(const std::string& type, const std::string& config_json);

}  // namespace hwnas::predictors
