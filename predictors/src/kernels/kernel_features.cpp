#include "hwnas/predictors/kernels/kernel_features.h"

namespace hwnas::predictors {
namespace {

/// Elements of the kernel's (first) input at batch 1.
double input_elements(const KernelConfig& c) {
  if (c.h > 0) return static_cast<double>(c.h * c.w * c.cin);
  if (c.seq_len > 0) return static_cast<double>(c.seq_len * c.cin) * static_cast<double>(c.groups > 0 ? c.groups : 1);
  return static_cast<double>(c.cin);
}

/// A convolution's channels padded up to the vector width, over the channels: 1 when they fill whole
/// 16-float (AVX-512) registers, up to 16 for a single channel. oneDNN blocks channels by 16 on this
/// host and computes the padding too, so two convolutions of nearly equal work can differ by this ratio.
/// Only convolutions (groups > 0 and a kernel size) get it; every other kernel gets the neutral 1.
double padded_channel_ratio(const KernelConfig& c, std::int64_t channels) {
  constexpr std::int64_t kLanes = 16;
  if (c.groups <= 0 || c.kernel <= 0 || channels <= 0) return 1.0;
  return static_cast<double>((channels + kLanes - 1) / kLanes * kLanes) / static_cast<double>(channels);
}

}  // namespace

const std::array<std::string_view, KernelFeatures::kSize>& KernelFeatures::names() {
  static const std::array<std::string_view, kSize> names = {
      "h", "w", "cin", "cout", "kernel", "stride", "groups", "seq_len", "inputs", "mflops", "mparams",
      "mb_read", "mb_written", "in_kelements", "native_conv", "cin_padding", "cout_padding"};
  return names;
}

std::array<double, KernelFeatures::kSize> KernelFeatures::of(const KernelConfig& c, ConvDispatch dispatch) {
  auto d = [](std::int64_t v) { return static_cast<double>(v); };
  const bool native = takes_native_conv_path(dispatch, c);
  return {d(c.h),       d(c.w),        d(c.cin),           d(c.cout),           d(c.kernel),
          d(c.stride),  d(c.groups),   d(c.seq_len),       d(c.inputs),         c.flops / 1e6,
          c.params / 1e6, c.bytes_read / 1e6, c.bytes_written / 1e6, input_elements(c) / 1e3,
          native ? 1.0 : 0.0, native ? 1.0 : padded_channel_ratio(c, c.cin),
          native ? 1.0 : padded_channel_ratio(c, c.cout)};
}

}  // namespace hwnas::predictors
