#pragma once
/// Constraints `objective <= bound` / `objective >= bound` on objective values.
///
/// Violation of one constraint: 0 when it holds, otherwise the shortfall relative to the bound,
/// |value - bound| / max(|bound|, 1e-12) (relative, so constraints on different scales add up
/// comparably), and +inf when the value is unavailable (NaN). The violation of a set is the sum.

#include <string>
#include <string_view>
#include <vector>

namespace hwnas::search {

enum class Comparison { kAtMost, kAtLeast };

struct Constraint {
  std::string objective;
  Comparison comparison = Comparison::kAtMost;
  double bound = 0;
  int line = 0;  ///< config line, for messages

  /// "latency <= 5".
  std::string to_string() const;
  bool satisfied(double value) const { return violation(value) == 0; }
  double violation(double value) const;
  bool operator==(const Constraint& other) const {
    return objective == other.objective && comparison == other.comparison && bound == other.bound;
  }
};

/// Parses "name <= number" or "name >= number"; throws hwnas::Error naming the text and the valid forms.
Constraint parse_constraint(std::string_view text);

/// Constraints bound to the positions of their objectives in a values vector.
class ConstraintSet {
 public:
  ConstraintSet() = default;
  /// Throws hwnas::Error naming a constraint whose objective is not in `objective_names`.
  ConstraintSet(std::vector<Constraint> constraints, const std::vector<std::string>& objective_names);

  /// Total violation of objective `values` (config order).
  double violation(const std::vector<double>& values) const;
  const std::vector<Constraint>& constraints() const { return constraints_; }
  /// Position of each constraint's objective.
  const std::vector<std::size_t>& objective_indices() const { return indices_; }
  std::vector<std::string> to_strings() const;

 private:
  std::vector<Constraint> constraints_;
  std::vector<std::size_t> indices_;
};

}  // namespace hwnas::search
