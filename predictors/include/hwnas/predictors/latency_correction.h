#pragma once
/// The model-level term of whole-network prediction, fitted from measured networks
/// (training/latency_correction_fit.h):
///
///   latency = Σ_k scale_of(type_k) · ms_k + overhead_ms_per_kernel · n_kernels + constant_ms
///
/// (never below kMinLatencyMs), ms_k being kernel k's latency as predicted alone. A kernel type costs in
/// a network what it costs alone times a scale: `scale` for most, and a scale of its own for the types
/// in `type_scales`. A kernel timed alone can cost more or less than inside its network: on frozen
/// TorchScript a relu after a convolution runs inside the convolution's oneDNN group and costs nothing
/// there (its scale comes out 0), while a depthwise convolution alone pays layout conversions that the
/// network pays only at a group's edges.

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "hwnas/predictors/regressors/kernel_regressor.h"

namespace hwnas::predictors {

struct LatencyCorrection {
  double scale = 1.0;  ///< of every kernel type without a scale of its own
  double overhead_ms_per_kernel = 0.0;
  double constant_ms = 0.0;
  /// Kernel types whose scale differs from `scale`, each with its own (≥ 0).
  std::map<std::string, double, std::less<>> type_scales;

  double scale_of(std::string_view kernel_type) const {
    if (type_scales.empty()) return scale;
    const auto it = type_scales.find(kernel_type);
    return it == type_scales.end() ? scale : it->second;
  }
  /// The latency of a network from its kernels' Σ scale_of(type) · ms and their count.
  double apply(double scaled_sum_ms, std::size_t n_kernels) const {
    const double ms = scaled_sum_ms + overhead_ms_per_kernel * static_cast<double>(n_kernels) + constant_ms;
    return ms > kMinLatencyMs ? ms : kMinLatencyMs;
  }
};

/// One line for people: "1.0590 x kernel sum +0.0030 ms/kernel -0.054 ms", or with per-type scales
/// "Σ scale x kernel (scale 1.3260; conv 5.675, relu 0, ...) -0.0084 ms/kernel +0.499 ms".
std::string to_string(const LatencyCorrection& correction);

}  // namespace hwnas::predictors
