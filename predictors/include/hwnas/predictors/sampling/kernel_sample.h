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
