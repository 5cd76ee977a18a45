#include "hwnas/search/objective.h"

#include <cstdlib>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "hwnas/core/error.h"
#include "hwnas/search/cost_objective.h"
#include "hwnas/search/latency_objective.h"
#include "hwnas/search/proxy_objective.h"
#include "hwnas/search/table_objective.h"


namespace hwnas::search {

std::string_view direction_name(Direction direction) {
  return direction == Direction::kMinimize ? "minimize" : "maximize";
}

Direction direction_from_name(std::string_view text) {
  if (text == "minimize" || text == "min") return Direction::kMinimize;
  if (text == "maximize" || text == "max") return Direction::kMaximize;
  fail("unknown direction '{}' (valid: minimize, maximize)", text);
}

ObjectiveRegistry& objective_registry() {
  // Built-ins are registered explicitly here (self-registering statics can be dropped by the linker).
  static ObjectiveRegistry registry = [] {
    ObjectiveRegistry r("objective kind");
    register_cost_objectives(r);
    register_table_objective(r);
    register_latency_objective(r);
    register_proxy_objective(r);
    return r;
  }();
  return registry;
}

std::unique_ptr<Objective> make_objective(const ObjectiveSpec& spec, const ObjectiveContext& context) {
  auto objective = objective_registry().create(spec.kind, spec, context);
  HWNAS_CHECK(objective != nullptr, "objective kind '{}' returned no objective", spec.kind);
  HWNAS_CHECK(objective->name() == spec.name, "objective kind '{}' named its objective '{}', expected '{}'",
              spec.kind, objective->name(), spec.name);
  if (spec.direction && objective->direction() != *spec.direction)
    fail("objective '{}' (kind {}) ignored its configured direction {}", spec.name, spec.kind,
         direction_name(*spec.direction));
  spec.options.reject_unknown();
  return objective;
}

}  // namespace hwnas::search
