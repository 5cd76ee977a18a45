#pragma once
/// What a search found: every evaluated candidate in evaluation order, the feasible Pareto front and
/// the best feasible architecture. "Best" is never infeasible: when no candidate satisfies the
/// constraints, `best` is empty and summary() says so.

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hwnas/search/constraint.h"
#include "hwnas/search/evaluated.h"
#include "hwnas/search/objective.h"

namespace hwnas::search {

enum class StopReason {
  kEvaluationBudget,  ///< budget.evaluations reached
  kTimeBudget,        ///< budget.seconds reached
  kInterrupted,       ///< SIGINT/SIGTERM: a checkpoint was written, resume continues the search
  kExhausted,         ///< every architecture of the space was evaluated
  kStalled,           ///< the strategy kept proposing evaluated architectures only
};

std::string_view stop_reason_name(StopReason reason);

struct ObjectiveInfo {
  std::string name;
  Direction direction = Direction::kMinimize;
  std::string description;
};

struct SearchResult {
  std::string space;
  std::string strategy;
  std::vector<ObjectiveInfo> objectives;
  std::vector<Constraint> constraints;
  std::vector<Evaluated> candidates;  ///< evaluation order; candidates[i].index == i
  /// Feasible non-dominated candidates (indices into candidates), by the first objective, best first.
  std::vector<std::size_t> pareto;
  /// Best feasible candidate on the first objective (ties: the next objectives, then evaluation order).
  std::optional<std::size_t> best;
  std::size_t feasible_count = 0;
  StopReason stop_reason = StopReason::kEvaluationBudget;
  double seconds = 0;  ///< wall clock, including earlier runs when resumed
  std::filesystem::path out_dir;

  bool interrupted() const { return stop_reason == StopReason::kInterrupted; }
  std::vector<Direction> directions() const;
  std::vector<std::string> objective_names() const;
  /// Best feasible candidate on objective `j` (ties: evaluation order), or nullopt.
  std::optional<std::size_t> best_on(std::size_t j, bool feasible_only = true) const;
  /// A few lines for a terminal: evaluations, stop reason, best (or "no feasible architecture ..."), front size.
  std::string summary() const;
};

/// Computes feasible_count, pareto and best from candidates.
void finalize(SearchResult& result);

}  // namespace hwnas::search
