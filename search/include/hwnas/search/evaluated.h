#pragma once
/// An evaluated architecture as the engine reports it to strategies and in results.

#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "hwnas/search/objective.h"
#include "hwnas/spaces/search_space.h"

namespace hwnas::search {

struct Evaluated {
  spaces::Arch arch;
  std::string arch_string;     ///< the space's string form
  std::vector<double> values;  ///< one per objective, in config order; NaN = unavailable
  /// Total constraint violation: 0 when every constraint holds, +inf when a value is unavailable.
  double violation = 0;
  std::size_t index = 0;  ///< position in evaluation order (of the arch's first evaluation)

  bool feasible() const { return violation == 0; }
  /// False when some objective could not score the architecture.
  bool available() const {
    for (double v : values)
      if (std::isnan(v)) return false;
    return true;
  }
};

/// Minimization keys of `values` (negated where maximizing); NaN values become +inf.
std::vector<double> minimization_keys(const std::vector<double>& values, const std::vector<Direction>& directions);

/// Single-objective order used by strategies and for "best": feasible before infeasible; among
/// infeasible, smaller violation first; among feasible, better value of objective `objective` first.
/// Returns true when `a` is strictly better than `b`.
bool better_on(const Evaluated& a, const Evaluated& b, std::size_t objective, Direction direction);

}  // namespace hwnas::search
