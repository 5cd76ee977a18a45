#pragma once
/// Builds the standalone graph of a kernel from its type and shape parameters, so samplers can
/// propose kernels that no network of a registered space contains.

#include <string>

#include "hwnas/predictors/sampling/kernel_sample.h"

namespace hwnas::predictors {

/// The kernel types build_kernel() understands: the leading op decides the input (conv, dwconv,
/// maxpool, avgpool, gap, fc, add, concat, shuffle, bn, any activation, ln, matmul, softmax), and each
/// following token is applied to the running tensor (bn, activations, and add with a second input of the
/// same shape).
/// Convolutions and pools use "same" padding (kernel/2), as nn-Meter's builder does.
/// Throws hwnas::Error naming the token when a type cannot be built.
KernelSample build_kernel(const std::string& type, const KernelConfig& config);

}  // namespace hwnas::predictors
