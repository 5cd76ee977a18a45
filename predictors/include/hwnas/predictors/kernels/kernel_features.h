#pragma once
/// The feature vector a kernel latency regressor sees. Its layout is versioned: a predictor set stores
/// the version it was trained with and refuses to load under another.

#include <array>
#include <string_view>

#include "hwnas/predictors/kernels/kernel.h"

namespace hwnas::predictors {

struct KernelFeatures {
  /// Bump whenever the meaning or order of the features changes.
  static constexpr int kVersion = 1;
  static constexpr std::size_t kSize = 13;
  /// Column names, in order.
  static const std::array<std::string_view, kSize>& names();
  /// h, w, cin, cout, kernel, stride, groups, seq_len, inputs, MFLOPs, M params, MB read, MB written.
  static std::array<double, kSize> of(const KernelConfig& config);
};

}  // namespace hwnas::predictors
