#include "hwnas/predictors/latency_correction.h"

#include <fmt/format.h>

namespace hwnas::predictors {

std::string to_string(const LatencyCorrection& c) {
  std::string scales;
  if (c.type_scales.empty()) {
    scales = fmt::format("{:.4f} x kernel sum", c.scale);
  } else {
    scales = fmt::format("Σ scale x kernel (scale {:.4f}", c.scale);
    const char* separator = "; ";
    for (const auto& [type, scale] : c.type_scales) {
      scales += fmt::format("{}{} {:.4g}", separator, type, scale);
      separator = ", ";
    }
    scales += ")";
  }
  return fmt::format("{} {:+.4f} ms/kernel {:+.3f} ms", scales, c.overhead_ms_per_kernel, c.constant_ms);
}

}  // namespace hwnas::predictors
