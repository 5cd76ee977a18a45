#include "hwnas/search/nsga2.h"

#include <algorithm>
#include <numeric>

#include "hwnas/core/error.h"
#include "hwnas/search/pareto.h"

namespace hwnas::search {

Nsga2Options Nsga2Options::from(const core::Options& o) {
  Nsga2Options out;
  out.population_size =
      static_cast<std::size_t>(o.get_int("population_size", static_cast<std::int64_t>(out.population_size), 2));
  out.crossover_prob = o.get_double("crossover_prob", out.crossover_prob, 0.0, 1.0);
  out.mutation_prob = o.get_double("mutation_prob", out.mutation_prob, 0.0, 1.0);
  out.avoid_duplicates = o.get_bool("avoid_duplicates", out.avoid_duplicates);
  out.max_retries = static_cast<std::size_t>(o.get_int("max_retries", static_cast<std::int64_t>(out.max_retries), 0));
  return out;
}

Nsga2::Nsga2(const StrategyContext& context, Nsga2Options options)
    : space_(context.space), options_(options), directions_(context.directions), rng_(context.seed) {
  HWNAS_CHECK(options_.population_size >= 2, "strategy 'nsga2': population_size must be >= 2");
  HWNAS_CHECK(!directions_.empty(), "strategy 'nsga2': needs at least one objective");
}

std::size_t Nsga2::tournament() {
  std::uniform_int_distribution<std::size_t> pick(0, population_.size() - 1);
  const std::size_t a = pick(rng_), b = pick(rng_);
  if (rank_[b] != rank_[a]) return rank_[b] < rank_[a] ? b : a;
  return crowding_[b] > crowding_[a] ? b : a;
}

std::vector<spaces::Arch> Nsga2::ask(std::size_t n) {
  std::vector<spaces::Arch> out;
  out.reserve(n);
  std::bernoulli_distribution crossover(options_.crossover_prob), mutation(options_.mutation_prob);
  for (std::size_t i = 0; i < n; ++i) {
    spaces::Arch child;
    for (std::size_t attempt = 0;; ++attempt) {
      if (population_.empty()) {
        child = space_.sample(rng_);
      } else {
        const Evaluated& p1 = population_[tournament()];
        const Evaluated& p2 = population_[tournament()];
        child = crossover(rng_) ? space_.crossover(p1.arch, p2.arch, rng_) : p1.arch;
        if (mutation(rng_)) child = space_.mutate(child, rng_);
      }
      if (!options_.avoid_duplicates || !seen_.count(child)) break;
      if (attempt >= options_.max_retries) {  // a converged population only repeats itself: explore
        for (std::size_t t = 0; t < options_.max_retries && seen_.count(child); ++t) child = space_.sample(rng_);
        break;
      }
    }
    seen_.insert(child);
    out.push_back(std::move(child));
  }
  return out;
}

void Nsga2::tell(const std::vector<Evaluated>& results) {
  std::vector<Evaluated> pool = population_;
  std::unordered_set<spaces::Arch, spaces::ArchHash> in_pool;
  for (const auto& p : pool) in_pool.insert(p.arch);
  for (const auto& r : results)
    if (in_pool.insert(r.arch).second) pool.push_back(r);  // a repeated architecture competes once
  select(std::move(pool));
}

void Nsga2::select(std::vector<Evaluated> pool) {
  std::vector<Keys> keys;
  std::vector<double> violations;
  for (const auto& e : pool) {
    keys.push_back(minimization_keys(e.values, directions_));
    violations.push_back(e.violation);
  }
  const auto fronts = non_dominated_sort(keys, violations);
  population_.clear();
  rank_.clear();
  crowding_.clear();
  for (std::size_t r = 0; r < fronts.size() && population_.size() < options_.population_size; ++r) {
    const auto& front = fronts[r];
    const std::vector<double> distance = crowding_distance(keys, front);
    std::vector<std::size_t> order(front.size());
    std::iota(order.begin(), order.end(), 0);
    if (population_.size() + front.size() > options_.population_size)  // last front: the least crowded survive
      std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return distance[a] > distance[b]; });
    for (std::size_t j = 0; j < order.size() && population_.size() < options_.population_size; ++j) {
      population_.push_back(pool[front[order[j]]]);
      rank_.push_back(r);
      crowding_.push_back(distance[order[j]]);
    }
  }
}

}  // namespace hwnas::search
