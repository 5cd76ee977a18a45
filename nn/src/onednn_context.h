#pragma once
/// How a kernel runs inside a TorchScript network. INTERNAL torch header.
///
/// optimize_for_inference (LibTorch 1.13, ConvertFrozenOpsToMKLDNN) starts a oneDNN group at each
/// frozen conv or linear and grows it over the ops that follow when they can run on oneDNN tensors
/// (relu, add, mul, max and avg pooling, adaptive average pooling, ...): inside a group those ops
/// take and give oneDNN-layout tensors, with no conversion between them. Alone, the same op has no
/// conv to start a group, so it runs on dense tensors, and ATen's dense kernels can be far slower:
/// a 3x3 average pool of 16x32x32 takes 0.12 ms dense and 0.02 ms on a oneDNN tensor here, 96x56x56
/// max pooling 7.5 ms against 0.2 ms. A network of NB201 cells then runs in about half the sum of its
/// kernels timed alone. The profiler must time a kernel as it runs in the network, so a kernel that
/// would sit inside a group is timed on oneDNN inputs.

#include <torch/script.h>

#include "hwnas/core/graph.h"

namespace hwnas::nn {

/// True when `graph` has no conv or linear of its own (those start their own group and are timed as
/// optimize_for_inference builds them) and its ops join the oneDNN group of a conv producing each of
/// its inputs: decided by building exactly that probe (a 1x1 conv and a relu before every input),
/// optimising it, and checking that the only layout conversions left are the ones back to dense at
/// its outputs.
bool runs_inside_onednn_group(const core::Graph& graph);

}  // namespace hwnas::nn
