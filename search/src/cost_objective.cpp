#include "hwnas/search/cost_objective.h"

#include <fmt/format.h>

#include "hwnas/core/cost.h"
#include "hwnas/core/error.h"

namespace hwnas::search {

CostObjective::CostObjective(std::string name, CostKind kind, Direction direction, std::int64_t batch)
    : name_(std::move(name)), kind_(kind), direction_(direction), batch_(batch) {}

std::string CostObjective::description() const {
  return kind_ == CostKind::kFlops ? fmt::format("MFLOPs at batch {} (multiply-add = 2 FLOPs)", batch_)
                                   : std::string("millions of parameters");
}

std::vector<double> CostObjective::evaluate(const std::vector<spaces::Arch>& archs,
                                            const spaces::SearchSpace& space) const {
  std::vector<double> out;
  out.reserve(archs.size());
  for (const auto& arch : archs) {
    const core::OpCost cost = core::graph_cost(space.to_graph(arch, batch_));
    out.push_back(kind_ == CostKind::kFlops ? cost.flops / 1e6 : static_cast<double>(cost.params) / 1e6);
  }
  return out;
}

void register_cost_objectives(ObjectiveRegistry& registry) {
  auto factory = [](CostKind kind) {
    return [kind](const ObjectiveSpec& spec, const ObjectiveContext&) -> std::unique_ptr<Objective> {
      const std::int64_t batch = spec.options.get_int("batch", 1, 1);
      return std::make_unique<CostObjective>(spec.name, kind, spec.direction.value_or(Direction::kMinimize),
                                             batch);
    };
  };
  registry.add("flops", factory(CostKind::kFlops), "MFLOPs of the space's graph (option: batch)");
  registry.add("params", factory(CostKind::kParams), "millions of parameters of the space's graph");
}

}  // namespace hwnas::search
