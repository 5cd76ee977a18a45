#pragma once
/// A user's measurements of a new device: a CSV with the header `arch,latency_ms`, one measured
/// architecture of a space per row, read strictly (calibration on silently mangled rows would be
/// calibration on garbage).

#include <filesystem>
#include <vector>

#include "hwnas/spaces/search_space.h"

namespace hwnas::predictors {

struct MeasuredArchs {
  std::vector<spaces::Arch> archs;
  std::vector<double> latency_ms;
};

/// Reads `file`. Throws hwnas::Error naming the file and line for: a missing `arch` or `latency_ms`
/// column, an architecture the space does not know, a latency that is not a positive number, an
/// architecture listed twice (naming both lines), or fewer than `min_rows` rows.
MeasuredArchs read_measured_archs(const std::filesystem::path& file, const spaces::SearchSpace& space,
                                  std::size_t min_rows = 5);

}  // namespace hwnas::predictors
