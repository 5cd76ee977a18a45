#include <fmt/format.h>

#include "commands/commands.h"
#include "hwnas/core/data_dir.h"
#include "hwnas/plugin/plugin_loader.h"
#include "hwnas/search/config.h"
#include "hwnas/search/engine.h"

namespace hwnas::cli {

int search_exit_code = 0;

void add_search_command(CLI::App& app) {
  struct Args {
    std::string config;
    std::string out;
    bool resume = false;
    bool quiet = false;
  };
  auto args = std::make_shared<Args>();
  auto* command = app.add_subcommand("search", "run a hardware-aware architecture search from a YAML config");
  command->add_option("config", args->config, "search config (see configs/)")->required();
  command->add_option("--out", args->out, "output directory (overrides the config's `output`)");
  command->add_flag("--resume", args->resume, "continue from the checkpoint in the output directory");
  command->add_flag("--quiet", args->quiet, "no progress line");
  command->callback([args] {
    const search::SearchConfig config = search::load_config(args->config);
    for (const auto& plugin : config.plugins)
      plugin::load_space_source(core::resolve_input_path(plugin, config.base_dir, "plugins"));
    search::RunOptions options;
    options.out_dir = args->out;
    options.resume = args->resume;
    options.quiet = args->quiet;
    const search::SearchResult result = search::run_search(config, options);
    fmt::print("{}\n", result.summary());
    if (result.interrupted()) search_exit_code = 130;
  });
}

}  // namespace hwnas::cli
