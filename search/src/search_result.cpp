#include "hwnas/search/search_result.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "hwnas/search/pareto.h"

namespace hwnas::search {

std::string_view stop_reason_name(StopReason reason) {
  switch (reason) {
    case StopReason::kEvaluationBudget: return "evaluation budget reached";
    case StopReason::kTimeBudget: return "time budget reached";
    case StopReason::kInterrupted: return "interrupted (checkpoint written; resume to continue)";
    case StopReason::kExhausted: return "every architecture of the space evaluated";
    case StopReason::kStalled: return "stalled (the strategy proposed only evaluated architectures)";
  }
  return "?";
}

std::vector<Direction> SearchResult::directions() const {
  std::vector<Direction> out;
  for (const auto& o : objectives) out.push_back(o.direction);
  return out;
}

std::vector<std::string> SearchResult::objective_names() const {
  std::vector<std::string> out;
  for (const auto& o : objectives) out.push_back(o.name);
  return out;
}

std::optional<std::size_t> SearchResult::best_on(std::size_t j, bool feasible_only) const {
  std::optional<std::size_t> best;
  double best_key = 0;
  for (const auto& c : candidates) {
    if ((feasible_only && !c.feasible()) || !is_available(c.values.at(j))) continue;
    const double key = minimization_key(c.values[j], objectives.at(j).direction);
    if (!best || key < best_key) {
      best = c.index;
      best_key = key;
    }
  }
  return best;
}

void finalize(SearchResult& result) {
  const auto directions = result.directions();
  std::vector<std::size_t> feasible;
  std::vector<Keys> keys;
  for (const auto& c : result.candidates)
    if (c.feasible()) {
      feasible.push_back(c.index);
      keys.push_back(minimization_keys(c.values, directions));
    }
  result.feasible_count = feasible.size();
  result.pareto.clear();
  for (std::size_t i : pareto_front(keys)) result.pareto.push_back(feasible[i]);
  auto lexicographic = [&](std::size_t a, std::size_t b) {
    const auto ka = minimization_keys(result.candidates[a].values, directions);
    const auto kb = minimization_keys(result.candidates[b].values, directions);
    return ka != kb ? ka < kb : a < b;
  };
  std::sort(result.pareto.begin(), result.pareto.end(), lexicographic);
  // The lexicographic minimum is always on the front, so the best is its first member.
  result.best = result.pareto.empty() ? std::nullopt : std::optional<std::size_t>(result.pareto.front());
}

std::string SearchResult::summary() const {
  std::string out = fmt::format("{} evaluations in {:.1f} s ({}); {} feasible", candidates.size(), seconds,
                                stop_reason_name(stop_reason), feasible_count);
  std::vector<std::string> constraint_text;
  for (const auto& c : constraints) constraint_text.push_back(c.to_string());
  if (!constraints.empty()) out += fmt::format(" under {}", fmt::join(constraint_text, ", "));
  out += "\n";
  if (!best) {
    out += fmt::format("no feasible architecture found among {} evaluated\n", candidates.size());
    return out;
  }
  const Evaluated& b = candidates[*best];
  std::vector<std::string> values;
  for (std::size_t j = 0; j < objectives.size(); ++j) values.push_back(fmt::format("{}={}", objectives[j].name, b.values[j]));
  out += fmt::format("best: {} ({})\n", b.arch_string, fmt::join(values, ", "));
  out += fmt::format("Pareto front: {} architectures\n", pareto.size());
  return out;
}

}  // namespace hwnas::search
