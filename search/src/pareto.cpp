#include "hwnas/search/pareto.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "hwnas/core/error.h"

namespace hwnas::search {

bool dominates(const Keys& a, const Keys& b) {
  HWNAS_ASSERT(a.size() == b.size());
  bool strictly = false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] > b[i]) return false;
    if (a[i] < b[i]) strictly = true;
  }
  return strictly;
}

bool constrained_dominates(const Keys& a, double violation_a, const Keys& b, double violation_b) {
  const bool feasible_a = violation_a == 0, feasible_b = violation_b == 0;
  if (feasible_a != feasible_b) return feasible_a;
  if (!feasible_a) return violation_a < violation_b;
  return dominates(a, b);
}

std::vector<std::vector<std::size_t>> non_dominated_sort(const std::vector<Keys>& points,
                                                         const std::vector<double>& violations) {
  const std::size_t n = points.size();
  HWNAS_ASSERT(violations.empty() || violations.size() == n);
  auto dom = [&](std::size_t a, std::size_t b) {
    return violations.empty() ? dominates(points[a], points[b])
                              : constrained_dominates(points[a], violations[a], points[b], violations[b]);
  };
  std::vector<std::vector<std::size_t>> dominated(n);  // dominated[p]: points p dominates
  std::vector<std::size_t> count(n, 0);                // how many points dominate p
  for (std::size_t p = 0; p < n; ++p)
    for (std::size_t q = p + 1; q < n; ++q) {
      if (dom(p, q)) {
        dominated[p].push_back(q);
        ++count[q];
      } else if (dom(q, p)) {
        dominated[q].push_back(p);
        ++count[p];
      }
    }
  std::vector<std::vector<std::size_t>> fronts;
  std::vector<std::size_t> current;
  for (std::size_t p = 0; p < n; ++p)
    if (count[p] == 0) current.push_back(p);
  while (!current.empty()) {
    std::vector<std::size_t> next;
    for (std::size_t p : current)
      for (std::size_t q : dominated[p])
        if (--count[q] == 0) next.push_back(q);
    std::sort(next.begin(), next.end());
    fronts.push_back(std::move(current));
    current = std::move(next);
  }
  return fronts;
}

std::vector<double> crowding_distance(const std::vector<Keys>& points, const std::vector<std::size_t>& front) {
  std::vector<double> distance(front.size(), 0.0);
  std::vector<std::size_t> finite;  // positions in `front` whose keys are all finite
  for (std::size_t i = 0; i < front.size(); ++i)
    if (std::all_of(points[front[i]].begin(), points[front[i]].end(), [](double k) { return std::isfinite(k); }))
      finite.push_back(i);
  if (finite.empty()) return distance;
  const std::size_t m = points[front[finite[0]]].size();
  const double inf = std::numeric_limits<double>::infinity();
  for (std::size_t k = 0; k < m; ++k) {
    std::vector<std::size_t> order = finite;
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return points[front[a]][k] < points[front[b]][k]; });
    const double lo = points[front[order.front()]][k], hi = points[front[order.back()]][k];
    distance[order.front()] = inf;
    distance[order.back()] = inf;
    if (hi <= lo) continue;
    for (std::size_t j = 1; j + 1 < order.size(); ++j)
      distance[order[j]] += (points[front[order[j + 1]]][k] - points[front[order[j - 1]]][k]) / (hi - lo);
  }
  return distance;
}

std::vector<std::size_t> pareto_front(const std::vector<Keys>& points) {
  // Incremental archive, O(n * front size): a point dominated by an archived one is dropped; one that
  // dominates archived points replaces them. By transitivity every dropped point stays dominated.
  std::vector<std::size_t> archive;
  for (std::size_t p = 0; p < points.size(); ++p) {
    bool dominated = false;
    for (std::size_t a : archive)
      if (dominates(points[a], points[p])) {
        dominated = true;
        break;
      }
    if (dominated) continue;
    std::erase_if(archive, [&](std::size_t a) { return dominates(points[p], points[a]); });
    archive.push_back(p);
  }
  std::sort(archive.begin(), archive.end());
  return archive;
}

double hypervolume_2d(const std::vector<Keys>& points, const Keys& reference) {
  HWNAS_ASSERT(reference.size() == 2);
  std::vector<Keys> inside;
  for (const auto& p : points) {
    HWNAS_ASSERT(p.size() == 2);
    if (p[0] < reference[0] && p[1] < reference[1]) inside.push_back(p);
  }
  std::sort(inside.begin(), inside.end());  // by key 0, then key 1
  double volume = 0, best_y = reference[1];
  for (const auto& p : inside) {  // sweep along key 0; each point adds the strip below the best y so far
    if (p[1] >= best_y) continue;
    volume += (reference[0] - p[0]) * (best_y - p[1]);
    best_y = p[1];
  }
  return volume;
}

}  // namespace hwnas::search
