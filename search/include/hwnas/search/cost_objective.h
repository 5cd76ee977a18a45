#pragma once
/// Static-cost objectives computed from the space's graph: "flops" (MFLOPs, one multiply-add = 2 FLOPs)
/// and "params" (millions of learned parameters), from core::graph_cost(space.to_graph(arch, batch)).

#include "hwnas/search/objective.h"

namespace hwnas::search {

enum class CostKind { kFlops, kParams };

/// core::Options: `batch` (default 1; FLOPs scale with it, parameters do not). Direction defaults to minimize.
/// Thread-safe as long as the space's to_graph() is (const methods of a space must be).
class CostObjective : public Objective {
 public:
  CostObjective(std::string name, CostKind kind, Direction direction = Direction::kMinimize,
                std::int64_t batch = 1);

  std::string name() const override { return name_; }
  Direction direction() const override { return direction_; }
  std::string description() const override;
  std::vector<double> evaluate(const std::vector<spaces::Arch>& archs,
                               const spaces::SearchSpace& space) const override;

 private:
  std::string name_;
  CostKind kind_;
  Direction direction_;
  std::int64_t batch_;
};

void register_cost_objectives(ObjectiveRegistry& registry);

}  // namespace hwnas::search
