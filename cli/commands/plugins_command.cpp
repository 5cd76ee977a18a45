#include <fmt/format.h>
#include <fmt/ranges.h>

#include "commands/commands.h"
#include "hwnas/plugin/plugin_loader.h"
#include "hwnas/search/objective.h"

namespace hwnas::cli {

void add_plugins_command(CLI::App& app) {
  auto* command =
      app.add_subcommand("plugins", "list the loaded plugins (--plugin PATH or $HWNAS_PLUGINS) and what they add");
  command->callback([] {
    const auto loaded = plugin::loaded_plugins();
    if (loaded.empty()) fmt::print("no plugins loaded (load with --plugin PATH, or HWNAS_PLUGINS=a.so:b.yaml)\n");
    for (const auto& p : loaded) {
      const std::string spaces = p.spaces.empty() ? "(none)" : fmt::format("{}", fmt::join(p.spaces, ", "));
      fmt::print("{} {} ({}, ABI {}) from {}: spaces {}", p.name, p.version, plugin::source_kind_name(p.kind),
                 p.abi_version, p.path.string(), spaces);
      if (!p.objectives.empty()) fmt::print("; objective kinds {}", fmt::join(p.objectives, ", "));
      fmt::print("\n");
      for (const auto& kind : p.objectives)
        fmt::print("  objective kind {}: {}\n", kind, search::objective_registry().description(kind));
    }
  });
}

}  // namespace hwnas::cli
