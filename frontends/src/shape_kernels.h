#pragma once
/// Shape-only stand-ins for the arithmetic-heavy ops. INTERNAL torch header.
///
/// The importer runs the model only to learn shapes and which branches are taken; the values never
/// matter. Convolutions and matrix products are nearly all of a model's arithmetic (and Debian's
/// LibTorch uses the reference BLAS, so a ViT-B/16 forward takes ~20 s), so for them the executor checks
/// the operand shapes itself and returns zeros of the output shape instead. Whenever the shapes do not
/// fit (or the case is not covered), it returns nullopt and the real op runs and reports the error.

#include <optional>
#include <vector>

#include <torch/script.h>

namespace hwnas::frontends {

/// Zero outputs of the right shapes for a conv/linear/matmul-like node whose operand shapes fit, or nullopt.
std::optional<std::vector<c10::IValue>> run_shape_only(const torch::jit::Node& node,
                                                       const std::vector<c10::IValue>& inputs);

}  // namespace hwnas::frontends
