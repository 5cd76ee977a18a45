#include "hwnas/search/constraint.h"

#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "hwnas/core/error.h"
#include "hwnas/core/text.h"

namespace hwnas::search {

std::string Constraint::to_string() const {
  return fmt::format("{} {} {}", objective, comparison == Comparison::kAtMost ? "<=" : ">=", bound);
}

double Constraint::violation(double value) const {
  if (std::isnan(value)) return std::numeric_limits<double>::infinity();
  const double excess = comparison == Comparison::kAtMost ? value - bound : bound - value;
  if (excess <= 0) return 0;
  return excess / std::max(std::abs(bound), 1e-12);
}

Constraint parse_constraint(std::string_view text) {
  const std::string_view original = text;
  Constraint c;
  std::size_t op = text.find("<=");
  c.comparison = Comparison::kAtMost;
  if (op == std::string_view::npos) {
    op = text.find(">=");
    c.comparison = Comparison::kAtLeast;
  }
  if (op == std::string_view::npos)
    fail("constraint '{}' is not of the form 'objective <= number' or 'objective >= number'", original);
  c.objective = std::string(core::detail::trim(text.substr(0, op)));
  const auto bound = core::detail::parse_double(text.substr(op + 2));
  if (c.objective.empty() || c.objective.find_first_of("<>= ") != std::string::npos)
    fail("constraint '{}' does not name an objective before the comparison", original);
  if (!bound || !std::isfinite(*bound))
    fail("constraint '{}': bound '{}' is not a finite number", original, core::detail::trim(text.substr(op + 2)));
  c.bound = *bound;
  return c;
}

ConstraintSet::ConstraintSet(std::vector<Constraint> constraints, const std::vector<std::string>& objective_names)
    : constraints_(std::move(constraints)) {
  for (const auto& c : constraints_) {
    std::size_t i = 0;
    while (i < objective_names.size() && objective_names[i] != c.objective) ++i;
    if (i == objective_names.size())
      fail("constraint '{}' names no objective (objectives: {})", c.to_string(), fmt::join(objective_names, ", "));
    indices_.push_back(i);
  }
}

double ConstraintSet::violation(const std::vector<double>& values) const {
  double total = 0;
  for (double v : values)  // an unscorable architecture can be neither feasible nor ranked
    if (std::isnan(v)) return std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < constraints_.size(); ++i) total += constraints_[i].violation(values.at(indices_[i]));
  return total;
}

std::vector<std::string> ConstraintSet::to_strings() const {
  std::vector<std::string> out;
  for (const auto& c : constraints_) out.push_back(c.to_string());
  return out;
}

}  // namespace hwnas::search
