#pragma once
/// The feature vector a kernel latency regressor sees. Its layout is versioned: a predictor set stores
/// the version it was trained with and refuses to load under another.

#include <array>
#include <string_view>

#include "hwnas/predictors/kernels/kernel.h"

namespace hwnas::predictors {

struct KernelFeatures {
  /// Bump whenever the meaning or order of the features changes.
  static constexpr int kVersion = 3;
  static constexpr std::size_t kSize = 17;
  /// Column names, in order.
  static const std::array<std::string_view, kSize>& names();
  /// h, w, cin, cout, kernel, stride, groups, seq_len, inputs, MFLOPs, M params, MB read, MB written,
  /// thousands of input elements, `native_conv` (see native_conv()), and for convolutions the input and
  /// output channels padded to 16 over the channels (oneDNN's channel blocking on this AVX-512 host; 1
  /// for other kernels). Version 3 added the last two: a 5-seed held-out test of the libtorch-cpu-t1
  /// kernels put depthwise convolutions within ±10% 49% -> 80% with them, dense ones 65% -> 68%.
  static std::array<double, kSize> of(const KernelConfig& config);

  /// Whether LibTorch's CPU convolution takes its native im2col + BLAS path rather than oneDNN for
  /// this dense conv at batch 1 on one thread (ATen Convolution.cpp, use_mkldnn: a 1x1 unstrided conv,
  /// or a kernel of at most 3 on an input of at most 20480 elements). The two paths differ ~20x in
  /// speed here, and no smooth function of the other features finds the cut; a predictor of a platform
  /// that dispatches otherwise simply learns to ignore the feature.
  static bool native_conv(const KernelConfig& config);
};

}  // namespace hwnas::predictors
