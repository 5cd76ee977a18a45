#pragma once
/// NSGA-II (Deb et al. 2002) over all objectives, with Deb's constraint-domination: feasible
/// architectures dominate infeasible ones, infeasible ones are ranked by violation.
///
/// Each round breeds `n` offspring from the parent population: two binary tournaments (lower
/// non-domination rank wins, then larger crowding distance, then the first drawn), crossover with
/// probability `crossover_prob` (SearchSpace::crossover, else a copy of the first parent), then
/// SearchSpace::mutate with probability `mutation_prob`. Survival keeps the best `population_size` of
/// parents + offspring (repeated architectures once) by rank, then crowding distance.

#include <unordered_set>

#include "hwnas/search/strategy.h"

namespace hwnas::search {

struct Nsga2Options {
  std::size_t population_size = 50;
  double crossover_prob = 0.9;
  double mutation_prob = 1.0;
  /// Re-breed (up to `max_retries` times) a child this strategy has already proposed, then propose a
  /// random architecture instead.
  bool avoid_duplicates = true;
  std::size_t max_retries = 32;

  /// Keys: population_size, crossover_prob, mutation_prob, avoid_duplicates, max_retries.
  static Nsga2Options from(const core::Options& options);
};

class Nsga2 : public Strategy {
 public:
  Nsga2(const StrategyContext& context, Nsga2Options options = {});

  std::string name() const override { return "nsga2"; }
  /// One generation: population_size offspring.
  std::size_t batch_size() const override { return options_.population_size; }
  std::vector<spaces::Arch> ask(std::size_t n) override;
  void tell(const std::vector<Evaluated>& results) override;

  const std::vector<Evaluated>& population() const { return population_; }

 private:
  std::size_t tournament();
  void select(std::vector<Evaluated> pool);

  const spaces::SearchSpace& space_;
  Nsga2Options options_;
  std::vector<Direction> directions_;
  spaces::Rng rng_;
  std::vector<Evaluated> population_;
  std::vector<std::size_t> rank_;   // per population member
  std::vector<double> crowding_;    // per population member
  std::unordered_set<spaces::Arch, spaces::ArchHash> seen_;
};

}  // namespace hwnas::search
