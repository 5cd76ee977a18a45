#include <fmt/format.h>

#include "commands/commands.h"
#include "hwnas/spaces/search_space.h"

namespace hwnas::cli {

void add_spaces_command(CLI::App& app) {
  auto* command = app.add_subcommand("spaces", "list the available search spaces");
  command->callback([] {
    auto& registry = spaces::space_registry();
    for (const auto& name : registry.names()) {
      const auto space = registry.create(name, {});
      fmt::print("{:<10} {:.4g} architectures, {} genes. {}\n", name, space->size(), space->gene_choices().size(),
                 space->description());
    }
  });
}

}  // namespace hwnas::cli
