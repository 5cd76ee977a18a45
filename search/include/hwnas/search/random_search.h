#pragma once
/// Random search: architectures drawn uniformly with SearchSpace::sample.

#include <unordered_set>

#include "hwnas/search/strategy.h"

namespace hwnas::search {

struct RandomSearchOptions {
  /// Proposals per round.
  std::size_t batch_size = 16;
  /// Redraw (up to `max_retries` times) an architecture this strategy has already proposed.
  bool avoid_duplicates = true;
  std::size_t max_retries = 32;

  /// Keys: batch_size, avoid_duplicates, max_retries.
  static RandomSearchOptions from(const core::Options& options);
};

class RandomSearch : public Strategy {
 public:
  RandomSearch(const StrategyContext& context, RandomSearchOptions options = {});

  std::string name() const override { return "random"; }
  std::size_t batch_size() const override { return options_.batch_size; }
  std::vector<spaces::Arch> ask(std::size_t n) override;
  void tell(const std::vector<Evaluated>& results) override;

 private:
  const spaces::SearchSpace& space_;
  RandomSearchOptions options_;
  spaces::Rng rng_;
  std::unordered_set<spaces::Arch, spaces::ArchHash> seen_;
};

}  // namespace hwnas::search
