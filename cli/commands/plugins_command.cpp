#include <fmt/format.h>
#include <fmt/ranges.h>

#include "commands/commands.h"
#include "hwnas/plugin/plugin_loader.h"

namespace hwnas::cli {

void add_plugins_command(CLI::App& app) {
  auto* command = app.add_subcommand("plugins", "list the loaded plugins (--plugin PATH or $HWNAS_PLUGINS)");
  command->callback([] {
    const auto loaded = plugin::loaded_plugins();
    if (loaded.empty()) fmt::print("no plugins loaded (load with --plugin PATH, or HWNAS_PLUGINS=a.so:b.yaml)\n");
    for (const auto& p : loaded)
      fmt::print("{} {} ({}, ABI {}) from {}: spaces {}\n", p.name, p.version, plugin::source_kind_name(p.kind),
                 p.abi_version, p.path.string(), fmt::join(p.spaces, ", "));
  });
}

}  // namespace hwnas::cli
