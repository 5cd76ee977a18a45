#pragma once
/// Small hand-built graphs shared by the nn tests; together they use every OpKind.

#include <vector>

#include "hwnas/core/graph.h"

namespace hwnas::nn::testing {

/// Convolutional net: conv/bn/activations/shuffle/pools/SE-style mul/concat/zero/identity/linear.
core::Graph conv_net();
/// Tiny vision transformer: patch conv, tokens, class token, position embedding, attention, mean head.
/// Has two marked outputs (logits and the class-token row).
core::Graph tiny_vit();
/// conv -> bn -> relu, the pattern freezing folds.
core::Graph conv_bn_relu();
/// Every graph above.
std::vector<core::Graph> all_graphs();

}  // namespace hwnas::nn::testing
