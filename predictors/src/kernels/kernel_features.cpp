#include "hwnas/predictors/kernels/kernel_features.h"

namespace hwnas::predictors {

const std::array<std::string_view, KernelFeatures::kSize>& KernelFeatures::names() {
  static const std::array<std::string_view, kSize> names = {
      "h", "w", "cin", "cout", "kernel", "stride", "groups", "seq_len", "inputs", "mflops", "mparams",
      "mb_read", "mb_written"};
  return names;
}

std::array<double, KernelFeatures::kSize> KernelFeatures::of(const KernelConfig& c) {
  auto d = [](std::int64_t v) { return static_cast<double>(v); };
  return {d(c.h),       d(c.w),        d(c.cin),           d(c.cout),           d(c.kernel),
          d(c.stride),  d(c.groups),   d(c.seq_len),       d(c.inputs),         c.flops / 1e6,
          c.params / 1e6, c.bytes_read / 1e6, c.bytes_written / 1e6};
}

}  // namespace hwnas::predictors
