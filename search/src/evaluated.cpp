#include "hwnas/search/evaluated.h"

#include "hwnas/core/error.h"

namespace hwnas::search {

std::vector<double> minimization_keys(const std::vector<double>& values, const std::vector<Direction>& directions) {
  HWNAS_ASSERT(values.size() == directions.size(), "{} values for {} objectives", values.size(), directions.size());
  std::vector<double> keys(values.size());
  for (std::size_t i = 0; i < values.size(); ++i)
    keys[i] = std::isnan(values[i]) ? std::numeric_limits<double>::infinity()
                                    : minimization_key(values[i], directions[i]);
  return keys;
}

bool better_on(const Evaluated& a, const Evaluated& b, std::size_t objective, Direction direction) {
  if (a.feasible() != b.feasible()) return a.feasible();
  if (!a.feasible()) return a.violation < b.violation;
  HWNAS_ASSERT(objective < a.values.size() && objective < b.values.size());
  return minimization_key(a.values[objective], direction) < minimization_key(b.values[objective], direction);
}

}  // namespace hwnas::search
