#include "hwnas/search/regularized_evolution.h"

#include "hwnas/core/error.h"

namespace hwnas::search {

RegularizedEvolutionOptions RegularizedEvolutionOptions::from(const core::Options& o) {
  RegularizedEvolutionOptions out;
  auto get = [&](const char* key, std::size_t fallback, std::int64_t min) {
    return static_cast<std::size_t>(o.get_int(key, static_cast<std::int64_t>(fallback), min));
  };
  out.population_size = get("population_size", out.population_size, 1);
  out.sample_size = get("sample_size", out.sample_size, 1);
  out.batch_size = get("batch_size", out.batch_size, 1);
  out.objective = o.get_string("objective", out.objective);
  out.avoid_duplicates = o.get_bool("avoid_duplicates", out.avoid_duplicates);
  out.max_retries = get("max_retries", out.max_retries, 0);
  return out;
}

RegularizedEvolution::RegularizedEvolution(const StrategyContext& context, RegularizedEvolutionOptions options)
    : space_(context.space),
      options_(std::move(options)),
      objective_(objective_index(context, options_.objective, "strategy 'evolution'")),
      direction_(context.directions.at(objective_)),
      rng_(context.seed) {
  HWNAS_CHECK(options_.population_size >= 1 && options_.sample_size >= 1 && options_.batch_size >= 1,
              "strategy 'evolution': population_size, sample_size and batch_size must be >= 1");
}

// Best of `sample_size` members drawn uniformly with replacement (ties: the first drawn).
const Evaluated& RegularizedEvolution::tournament() {
  std::uniform_int_distribution<std::size_t> pick(0, population_.size() - 1);
  const Evaluated* parent = &population_[pick(rng_)];
  for (std::size_t s = 1; s < options_.sample_size; ++s) {
    const Evaluated* other = &population_[pick(rng_)];
    if (better_on(*other, *parent, objective_, direction_)) parent = other;
  }
  return *parent;
}

spaces::Arch RegularizedEvolution::random_child() {
  spaces::Arch child = space_.sample(rng_);
  for (std::size_t t = 0; options_.avoid_duplicates && t < options_.max_retries && seen_.count(child); ++t)
    child = space_.sample(rng_);
  return child;
}

std::vector<spaces::Arch> RegularizedEvolution::ask(std::size_t n) {
  std::vector<spaces::Arch> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    spaces::Arch child;
    if (random_proposed_ < options_.population_size || population_.empty()) {
      ++random_proposed_;
      child = random_child();
    } else {
      const Evaluated* parent = &tournament();
      child = space_.mutate(parent->arch, rng_);
      // A repeat costs no budget but teaches nothing: mutate again, from a new tournament winner after
      // half the retries (the first parent's neighbours may all be known), then fall back to a random
      // architecture so a converged population cannot stall the search.
      for (std::size_t t = 0; options_.avoid_duplicates && seen_.count(child); ++t) {
        if (t == options_.max_retries) {
          child = random_child();
          break;
        }
        if (t == options_.max_retries / 2) parent = &tournament();
        child = space_.mutate(parent->arch, rng_);
      }
    }
    seen_.insert(child);
    out.push_back(std::move(child));
  }
  return out;
}

void RegularizedEvolution::tell(const std::vector<Evaluated>& results) {
  for (const auto& r : results) {
    population_.push_back(r);
    if (population_.size() > options_.population_size) population_.pop_front();  // aging: the oldest dies
  }
}

}  // namespace hwnas::search
