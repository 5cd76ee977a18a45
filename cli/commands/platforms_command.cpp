#include <fmt/format.h>

#include "commands/commands.h"
#include "hwnas/devices/platform.h"

namespace hwnas::cli {

void add_platforms_command(CLI::App& app) {
  auto* command = app.add_subcommand("platforms", "list the platforms measurable on this host, with their fingerprints");
  command->callback([] {
    auto& registry = devices::platform_registry();
    for (const auto& name : registry.names()) {
      const auto platform = registry.create(name);
      const auto fp = platform->fingerprint();
      // Platforms on another engine (OpenCV DNN) run no LibTorch: their fingerprint leaves its version empty.
      const std::string torch = fp.torch_version.empty() ? "" : fmt::format(", LibTorch {}", fp.torch_version);
      fmt::print("{:<20} {} engine, {} thread(s); {} ({} cores){}; fingerprint {}\n", name, fp.engine, fp.threads,
                 fp.cpu_model, fp.cores, torch, fp.hash());
    }
  });
}

}  // namespace hwnas::cli
