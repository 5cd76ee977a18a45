#pragma once
// Robust summaries shared by the profiler's reports, training and calibration.

#include <algorithm>
#include <cstddef>
#include <vector>

namespace hwnas::core {

/// The middle value of `values` (the upper of the two middles for an even count); 0 for none.
inline double median(std::vector<double> values) {
  if (values.empty()) return 0;
  const auto middle = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
  std::nth_element(values.begin(), middle, values.end());
  return *middle;
}

}  // namespace hwnas::core
