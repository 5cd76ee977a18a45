// Dominance, non-dominated sorting, crowding distance, front and hypervolume, against hand-worked
// examples and brute-force definitions.

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "hwnas/search/pareto.h"

namespace hwnas::search {
namespace {

const double kInf = std::numeric_limits<double>::infinity();

TEST(Pareto, Dominates) {
  EXPECT_TRUE(dominates({1, 2}, {2, 2}));
  EXPECT_TRUE(dominates({1, 1}, {2, 2}));
  EXPECT_FALSE(dominates({1, 2}, {1, 2}));  // equal: neither dominates
  EXPECT_FALSE(dominates({1, 3}, {2, 2}));  // a trade-off
  EXPECT_FALSE(dominates({2, 2}, {1, 2}));
}

TEST(Pareto, ConstrainedDominationFollowsDeb) {
  // Feasible beats infeasible whatever the objectives.
  EXPECT_TRUE(constrained_dominates({9, 9}, 0, {0, 0}, 0.1));
  EXPECT_FALSE(constrained_dominates({0, 0}, 0.1, {9, 9}, 0));
  // Both infeasible: the smaller violation wins, objectives ignored.
  EXPECT_TRUE(constrained_dominates({9, 9}, 0.1, {0, 0}, 0.2));
  EXPECT_FALSE(constrained_dominates({0, 0}, 0.2, {9, 9}, 0.1));
  EXPECT_FALSE(constrained_dominates({0, 0}, 0.2, {9, 9}, 0.2));
  EXPECT_TRUE(constrained_dominates({0, 0}, 1.0, {0, 0}, kInf));  // unavailable is worst
  // Both feasible: plain dominance.
  EXPECT_TRUE(constrained_dominates({1, 1}, 0, {2, 2}, 0));
  EXPECT_FALSE(constrained_dominates({1, 3}, 0, {2, 2}, 0));
}

TEST(Pareto, NonDominatedSortHandExample) {
  // Points (minimize both):      0:(1,5) 1:(2,3) 2:(3,1) 3:(2,4) 4:(4,4) 5:(3,3) 6:(5,5)
  // Front 0: 0,1,2 (no point is below-left of them). Remove them: 3 (dominated by 1 only) and
  // 5 (dominated by 1 and 2) are then non-dominated. Then 4 (dominated by 3, 5). Then 6.
  const std::vector<Keys> points{{1, 5}, {2, 3}, {3, 1}, {2, 4}, {4, 4}, {3, 3}, {5, 5}};
  const auto fronts = non_dominated_sort(points);
  ASSERT_EQ(fronts.size(), 4u);
  EXPECT_EQ(fronts[0], (std::vector<std::size_t>{0, 1, 2}));
  EXPECT_EQ(fronts[1], (std::vector<std::size_t>{3, 5}));
  EXPECT_EQ(fronts[2], (std::vector<std::size_t>{4}));
  EXPECT_EQ(fronts[3], (std::vector<std::size_t>{6}));
}

TEST(Pareto, ConstrainedSortPutsInfeasibleAfterFeasibleByViolation) {
  // 0 and 1 feasible trade-offs; 2 infeasible with the best objectives; 3 infeasible, larger violation.
  const std::vector<Keys> points{{1, 2}, {2, 1}, {0, 0}, {0, 0}};
  const auto fronts = non_dominated_sort(points, {0, 0, 0.5, 0.7});
  ASSERT_EQ(fronts.size(), 3u);
  EXPECT_EQ(fronts[0], (std::vector<std::size_t>{0, 1}));
  EXPECT_EQ(fronts[1], (std::vector<std::size_t>{2}));
  EXPECT_EQ(fronts[2], (std::vector<std::size_t>{3}));
}

TEST(Pareto, NonDominatedSortMatchesDefinitionOnRandomPoints) {
  std::mt19937_64 rng(3);
  std::uniform_int_distribution<int> v(0, 9);  // small range: many ties and duplicates
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<Keys> points(60);
    for (auto& p : points) p = {double(v(rng)), double(v(rng)), double(v(rng))};
    const auto fronts = non_dominated_sort(points);
    std::vector<int> rank(points.size(), -1);
    std::size_t total = 0;
    for (std::size_t r = 0; r < fronts.size(); ++r)
      for (std::size_t i : fronts[r]) rank[i] = static_cast<int>(r), ++total;
    ASSERT_EQ(total, points.size());
    // Definition: nothing of the same or a later front dominates a point; something of the front just
    // before does (for every front but the first).
    for (std::size_t i = 0; i < points.size(); ++i) {
      bool dominated_by_previous = rank[i] == 0;
      for (std::size_t j = 0; j < points.size(); ++j) {
        if (!dominates(points[j], points[i])) continue;
        EXPECT_LT(rank[j], rank[i]);
        if (rank[j] == rank[i] - 1) dominated_by_previous = true;
      }
      EXPECT_TRUE(dominated_by_previous);
    }
  }
}

TEST(Pareto, CrowdingDistanceHandExample) {
  // Front (1,4) (2,3) (4,1). Key 0 spans 1..4 (range 3), key 1 spans 1..4 (range 3). The middle point's
  // neighbours differ by 4-1 = 3 in key 0 and 4-1 = 3 in key 1: distance 3/3 + 3/3 = 2. Extremes: inf.
  const std::vector<Keys> points{{1, 4}, {2, 3}, {4, 1}};
  const auto d = crowding_distance(points, {0, 1, 2});
  EXPECT_TRUE(std::isinf(d[0]));
  EXPECT_DOUBLE_EQ(d[1], 2.0);
  EXPECT_TRUE(std::isinf(d[2]));
  // Four points on a line: (0,3) (1,2) (3,0) with (2,1) between: inner distances
  // (1,2): (2-0)/3 + (3-1)/3 = 4/3; (2,1): (3-1)/3 + (2-0)/3 = 4/3.
  const std::vector<Keys> line{{0, 3}, {1, 2}, {3, 0}, {2, 1}};
  const auto dl = crowding_distance(line, {0, 1, 2, 3});
  EXPECT_NEAR(dl[1], 4.0 / 3, 1e-12);
  EXPECT_NEAR(dl[3], 4.0 / 3, 1e-12);
  // Unavailable (infinite) keys get 0 and do not disturb the others.
  const std::vector<Keys> with_inf{{1, 4}, {2, 3}, {4, 1}, {kInf, kInf}};
  const auto di = crowding_distance(with_inf, {0, 1, 2, 3});
  EXPECT_DOUBLE_EQ(di[1], 2.0);
  EXPECT_EQ(di[3], 0.0);
}

TEST(Pareto, FrontMatchesBruteForce) {
  std::mt19937_64 rng(5);
  std::uniform_int_distribution<int> v(0, 20);
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<Keys> points(200);
    for (auto& p : points) p = {double(v(rng)), double(v(rng))};
    std::vector<std::size_t> expected;
    for (std::size_t i = 0; i < points.size(); ++i) {
      bool dominated = false;
      for (std::size_t j = 0; j < points.size(); ++j) dominated = dominated || dominates(points[j], points[i]);
      if (!dominated) expected.push_back(i);
    }
    EXPECT_EQ(pareto_front(points), expected);
    EXPECT_EQ(non_dominated_sort(points)[0], expected);
  }
}

TEST(Pareto, Hypervolume2d) {
  // Points (1,2) and (2,1), reference (3,3): the union of [1,3]x[2,3] (area 2) and [2,3]x[1,3]
  // (area 2) overlapping in [2,3]x[2,3] (area 1) is 3.
  EXPECT_DOUBLE_EQ(hypervolume_2d({{1, 2}, {2, 1}}, {3, 3}), 3.0);
  // A dominated point and points beyond the reference add nothing.
  EXPECT_DOUBLE_EQ(hypervolume_2d({{1, 2}, {2, 1}, {2, 2}, {4, 0}}, {3, 3}), 3.0);
  EXPECT_DOUBLE_EQ(hypervolume_2d({}, {3, 3}), 0.0);
}

}  // namespace
}  // namespace hwnas::search
