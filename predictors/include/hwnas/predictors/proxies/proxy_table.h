#pragma once
/// Tables of precomputed zero-cost proxies: CSV with header `arch,<proxy names>`, one row per
/// architecture (its string form in the space), values written so they read back exactly.

#include <filesystem>
#include <vector>

#include "hwnas/predictors/proxies/zero_cost_proxies.h"
#include "hwnas/spaces/search_space.h"

namespace hwnas::predictors {

struct ProxyTable {
  std::vector<spaces::Arch> archs;
  std::vector<ProxyScores> scores;  ///< scores[i] belongs to archs[i]
};

/// Writes `archs` and their `scores` (same length; every row with the same proxy names, which give the
/// header). Throws hwnas::Error when the lengths or names disagree or the file cannot be written.
void write_proxy_csv(const std::filesystem::path& path, const spaces::SearchSpace& space,
                     const std::vector<spaces::Arch>& archs, const std::vector<ProxyScores>& scores);

/// Reads a table written by write_proxy_csv. Columns other than `arch` must be proxy names (any subset,
/// any order; they are returned in proxy_names() order); values may be nan/inf. Throws hwnas::Error
/// naming the file and line of a bad architecture, value or duplicate row.
ProxyTable read_proxy_csv(const std::filesystem::path& path, const spaces::SearchSpace& space);

}  // namespace hwnas::predictors
