#include "hwnas/search/random_search.h"

namespace hwnas::search {

RandomSearchOptions RandomSearchOptions::from(const core::Options& o) {
  RandomSearchOptions out;
  out.batch_size = static_cast<std::size_t>(o.get_int("batch_size", static_cast<std::int64_t>(out.batch_size), 1));
  out.avoid_duplicates = o.get_bool("avoid_duplicates", out.avoid_duplicates);
  out.max_retries = static_cast<std::size_t>(o.get_int("max_retries", static_cast<std::int64_t>(out.max_retries), 0));
  return out;
}

RandomSearch::RandomSearch(const StrategyContext& context, RandomSearchOptions options)
    : space_(context.space), options_(options), rng_(context.seed) {}

std::vector<spaces::Arch> RandomSearch::ask(std::size_t n) {
  std::vector<spaces::Arch> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    spaces::Arch arch = space_.sample(rng_);
    for (std::size_t t = 0; options_.avoid_duplicates && t < options_.max_retries && seen_.count(arch); ++t)
      arch = space_.sample(rng_);
    if (options_.avoid_duplicates) seen_.insert(arch);
    out.push_back(std::move(arch));
  }
  return out;
}

void RandomSearch::tell(const std::vector<Evaluated>&) {}

}  // namespace hwnas::search
