#pragma once
/// Regularized (aging) evolution, Real et al. 2019 ("Regularized Evolution for Image Classifier
/// Architecture Search", Algorithm 1): a population of the `population_size` most recently evaluated
/// architectures (first filled with random ones); each child is a mutation of the best of
/// `sample_size` members drawn uniformly (with replacement), and each evaluated child removes the
/// oldest member. "Best" is on one objective under the constraints: feasible first, then smaller
/// violation, then the better objective value (better_on()).
///
/// The `batch_size` children of one round are bred from the same population, as with Real et al.'s
/// parallel workers; batch_size = 1 is the strictly sequential algorithm.

#include <deque>
#include <unordered_set>

#include "hwnas/search/strategy.h"

namespace hwnas::search {

struct RegularizedEvolutionOptions {
  std::size_t population_size = 64;
  std::size_t sample_size = 16;
  /// Children proposed per round.
  std::size_t batch_size = 8;
  /// Objective to optimize (name); empty = the first objective.
  std::string objective;
  /// Re-mutate a child this strategy has already proposed: up to max_retries/2 times from the same
  /// parent, then from a new tournament winner, and after `max_retries` attempts propose a random
  /// architecture instead (a converged population would otherwise only repeat itself).
  bool avoid_duplicates = true;
  std::size_t max_retries = 32;

  /// Keys: population_size, sample_size, batch_size, objective, avoid_duplicates, max_retries.
  static RegularizedEvolutionOptions from(const core::Options& options);
};

class RegularizedEvolution : public Strategy {
 public:
  RegularizedEvolution(const StrategyContext& context, RegularizedEvolutionOptions options = {});

  std::string name() const override { return "evolution"; }
  std::size_t batch_size() const override { return options_.batch_size; }
  std::vector<spaces::Arch> ask(std::size_t n) override;
  void tell(const std::vector<Evaluated>& results) override;

  /// Current population, oldest first.
  const std::deque<Evaluated>& population() const { return population_; }

 private:
  const Evaluated& tournament();
  spaces::Arch random_child();

  const spaces::SearchSpace& space_;
  RegularizedEvolutionOptions options_;
  std::size_t objective_;
  Direction direction_;
  spaces::Rng rng_;
  std::deque<Evaluated> population_;
  std::size_t random_proposed_ = 0;  // random members proposed for the initial population
  std::unordered_set<spaces::Arch, spaces::ArchHash> seen_;
};

}  // namespace hwnas::search
