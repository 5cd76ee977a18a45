#pragma once
// The host side of plugin objectives: an objective kind per HwnasObjectiveV1 table, registered in
// search::objective_registry(), whose objectives call the plugin's evaluate with the config's options.

#include <memory>
#include <string>

#include "hwnas/plugin/plugin_abi.h"
#include "hwnas/search/objective.h"
#include "plugin_space.h"

namespace hwnas::plugin::detail {

/// Checks the table of objective `index` of `library` and returns the host's copy of it; throws
/// hwnas::Error naming the plugin and what is malformed.
HwnasObjectiveV1 checked_objective_table(const PluginLibrary& library, const HwnasObjectiveV1* table, int index);

/// The factory of objective kind `table.name` for search::objective_registry(): reads the direction
/// (the config's, else the kind's default) and every option, lets the plugin check them, and returns
/// an objective that evaluates through the plugin.
search::ObjectiveRegistry::Factory objective_factory(std::shared_ptr<const PluginLibrary> library,
                                                     const HwnasObjectiveV1& table);

/// "minimize", "maximize" or "none" for a default_direction value.
const char* default_direction_name(std::int32_t direction);

}  // namespace hwnas::plugin::detail
