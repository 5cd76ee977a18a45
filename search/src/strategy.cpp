#include "hwnas/search/strategy.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "hwnas/core/error.h"
#include "hwnas/search/nsga2.h"
#include "hwnas/search/random_search.h"
#include "hwnas/search/regularized_evolution.h"

namespace hwnas::search {

StrategyRegistry& strategy_registry() {
  // Built-ins registered explicitly (self-registering statics can be dropped by the linker).
  static StrategyRegistry registry = [] {
    StrategyRegistry r("search strategy");
    r.add(
        "random",
        [](const core::Options& o, const StrategyContext& c) -> std::unique_ptr<Strategy> {
          return std::make_unique<RandomSearch>(c, RandomSearchOptions::from(o));
        },
        "uniform random sampling");
    r.add(
        "evolution",
        [](const core::Options& o, const StrategyContext& c) -> std::unique_ptr<Strategy> {
          return std::make_unique<RegularizedEvolution>(c, RegularizedEvolutionOptions::from(o));
        },
        "regularized (aging) evolution, Real et al. 2019");
    r.add(
        "nsga2",
        [](const core::Options& o, const StrategyContext& c) -> std::unique_ptr<Strategy> {
          return std::make_unique<Nsga2>(c, Nsga2Options::from(o));
        },
        "NSGA-II multi-objective evolution with constraint-domination, Deb et al. 2002");
    return r;
  }();
  return registry;
}

std::unique_ptr<Strategy> make_strategy(const std::string& name, const core::Options& options,
                                        const StrategyContext& context) {
  HWNAS_ASSERT(context.objective_names.size() == context.directions.size());
  auto strategy = strategy_registry().create(name, options, context);
  options.reject_unknown();
  return strategy;
}

std::size_t objective_index(const StrategyContext& context, const std::string& name, const std::string& who) {
  HWNAS_CHECK(!context.objective_names.empty(), "{}: needs at least one objective", who);
  if (name.empty()) return 0;
  for (std::size_t i = 0; i < context.objective_names.size(); ++i)
    if (context.objective_names[i] == name) return i;
  fail("{}: option objective '{}' is not an objective (objectives: {})", who, name,
       fmt::join(context.objective_names, ", "));
}

}  // namespace hwnas::search
