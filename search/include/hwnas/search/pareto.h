#pragma once
/// Pareto dominance, non-dominated sorting and crowding distance (Deb et al. 2002, NSGA-II), on
/// minimization keys (see minimization_keys()). All functions are deterministic: ties keep input order.

#include <cstddef>
#include <vector>

namespace hwnas::search {

using Keys = std::vector<double>;

/// a dominates b: a is no worse in every key and strictly better in at least one.
bool dominates(const Keys& a, const Keys& b);

/// Constraint-domination (Deb): a feasible point dominates an infeasible one; of two infeasible
/// points the smaller violation dominates; two feasible points compare by dominates().
bool constrained_dominates(const Keys& a, double violation_a, const Keys& b, double violation_b);

/// Fronts of the fast non-dominated sort: fronts[0] holds the indices of non-dominated points,
/// fronts[1] those dominated only by fronts[0], ... Indices ascend within a front. With
/// `violations` (same size as `points`), uses constrained_dominates; empty means unconstrained.
std::vector<std::vector<std::size_t>> non_dominated_sort(const std::vector<Keys>& points,
                                                         const std::vector<double>& violations = {});

/// Crowding distance of each member of `front` (indices into `points`), in front order: the
/// normalized perimeter of the cuboid formed by its neighbours, +inf at the extremes of any key.
/// Points with a non-finite key get 0.
std::vector<double> crowding_distance(const std::vector<Keys>& points, const std::vector<std::size_t>& front);

/// Indices (ascending) of the non-dominated points.
std::vector<std::size_t> pareto_front(const std::vector<Keys>& points);

/// Hypervolume dominated by `points` (2 keys, minimization) up to `reference`; points not strictly
/// better than the reference in both keys add nothing.
double hypervolume_2d(const std::vector<Keys>& points, const Keys& reference);

}  // namespace hwnas::search
