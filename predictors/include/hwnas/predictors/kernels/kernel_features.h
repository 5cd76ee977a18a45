#pragma once
/// The feature vector a kernel latency regressor sees. Its layout is versioned: a predictor set stores
/// the version it was trained with and refuses to load under another.

#include <array>
#include <string_view>

#include "hwnas/predictors/kernels/conv_dispatch.h"
#include "hwnas/predictors/kernels/kernel.h"

namespace hwnas::predictors {

struct KernelFeatures {
  /// Bump whenever the meaning or order of the features changes.
  static constexpr int kVersion = 4;
  static constexpr std::size_t kSize = 17;
  /// Column names, in order.
  static const std::array<std::string_view, kSize>& names();
  /// h, w, cin, cout, kernel, stride, groups, seq_len, inputs, MFLOPs, M params, MB read, MB written,
  /// thousands of input elements, `native_conv` (takes_native_conv_path() under `dispatch`), and for
  /// convolutions in vector-blocked kernels the input and output channels padded to 16 over the channels
  /// (oneDNN's channel blocking on this AVX-512 host; 1 for a convolution on the native path, whose
  /// im2col + BLAS does not pad, and for other kernels).
  ///
  /// History: version 3 added the padding ratios (a 5-seed held-out test of the libtorch-cpu-t1 kernels
  /// put depthwise convolutions within ±10% 49% -> 80%, dense ones 65% -> 68%). Version 4 made
  /// `native_conv` and the padding follow the platform's own dispatch instead of LibTorch eager's
  /// one-thread rule for every platform: see data/predictors/README.md for what it measured.
  static std::array<double, kSize> of(const KernelConfig& config, ConvDispatch dispatch);
};

}  // namespace hwnas::predictors
