#pragma once
/// Search strategies behind an ask/tell interface, so the engine can evaluate whole batches at once.
///
/// Contract with the engine: calls alternate strictly, ask(n) then tell(results) with exactly one
/// result per asked architecture, in the asked order. A result may be a cached earlier evaluation
/// (the engine never evaluates an architecture twice); strategies must cope with repeats. All
/// randomness comes from the strategy's own generator, seeded from StrategyContext::seed, and is only
/// used on the engine thread; this makes a search deterministic for a seed, whatever the thread count.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hwnas/core/registry.h"
#include "hwnas/search/evaluated.h"
#include "hwnas/search/objective.h"
#include "hwnas/core/options.h"
#include "hwnas/spaces/search_space.h"

namespace hwnas::search {

/// What a strategy knows about the problem.
struct StrategyContext {
  const spaces::SearchSpace& space;
  std::vector<std::string> objective_names;  ///< config order, as in Evaluated::values
  std::vector<Direction> directions;
  std::uint64_t seed = 0;
};

class Strategy {
 public:
  virtual ~Strategy() = default;

  virtual std::string name() const = 0;
  /// Number of architectures the strategy likes to propose per round (the engine asks for this many,
  /// fewer only when the evaluation budget is nearly spent). Fixed by the options, never by threads.
  virtual std::size_t batch_size() const = 0;
  /// Proposes `n` >= 1 valid architectures (repeats of evaluated ones are allowed but wasteful).
  virtual std::vector<spaces::Arch> ask(std::size_t n) = 0;
  /// Receives the results of the last ask, one per asked architecture, in order.
  virtual void tell(const std::vector<Evaluated>& results) = 0;
};

using StrategyRegistry = core::Registry<Strategy, const core::Options&, const StrategyContext&>;

/// Built-ins: "random", "evolution" (regularized evolution), "nsga2". Factories read their options
/// with the typed getters of core::Options (unknown keys are rejected by make_strategy).
StrategyRegistry& strategy_registry();

/// Creates strategy `name` with `options`, rejecting unknown option keys.
std::unique_ptr<Strategy> make_strategy(const std::string& name, const core::Options& options,
                                        const StrategyContext& context);

/// Position of objective `name` in `context`, or the first objective when `name` is empty; throws
/// hwnas::Error listing the objectives otherwise.
std::size_t objective_index(const StrategyContext& context, const std::string& name, const std::string& who);

}  // namespace hwnas::search
