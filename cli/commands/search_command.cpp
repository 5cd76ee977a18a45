#include <fmt/format.h>

#include "commands/commands.h"
#include "hwnas/core/data_dir.h"
#include "hwnas/devices/platform.h"
#include "hwnas/plugin/plugin_loader.h"
#include "hwnas/search/config.h"
#include "hwnas/search/engine.h"
#include "hwnas/search/measure_top.h"

namespace hwnas::cli {

int search_exit_code = 0;

void add_search_command(CLI::App& app) {
  struct Args {
    std::string config;
    std::string out;
    bool resume = false;
    bool quiet = false;
    std::size_t measure = 0;
    std::string measure_platform = "libtorch-cpu-t1";
  };
  auto args = std::make_shared<Args>();
  auto* command = app.add_subcommand("search", "run a hardware-aware architecture search from a YAML config");
  command->add_option("config", args->config, "search config (see configs/)")->required();
  command->add_option("--out", args->out, "output directory (overrides the config's `output`)");
  command->add_flag("--resume", args->resume, "continue from the checkpoint in the output directory");
  command->add_flag("--quiet", args->quiet, "no progress line");
  command->add_option("--measure", args->measure,
                      "afterwards, measure the top N feasible candidates (Pareto front first) on this host and "
                      "write measured.csv; with a `latency` objective, print predicted vs measured");
  command->add_option("--measure-platform", args->measure_platform, "platform for --measure")
      ->capture_default_str();
  command->callback([args] {
    const search::SearchConfig config = search::load_config(args->config);
    // An unknown --measure-platform fails now (listing the valid names), not after the search.
    if (args->measure > 0 && !devices::platform_registry().contains(args->measure_platform))
      devices::make_platform(args->measure_platform);
    for (const auto& plugin : config.plugins)
      plugin::load_space_source(core::resolve_input_path(plugin, config.base_dir, "plugins"));
    search::RunOptions options;
    options.out_dir = args->out;
    options.resume = args->resume;
    options.quiet = args->quiet;
    const search::SearchResult result = search::run_search(config, options);
    fmt::print("{}\n", result.summary());
    if (result.interrupted()) {
      search_exit_code = 130;
      return;
    }
    if (args->measure > 0) {
      search::MeasureTopOptions measure;
      measure.count = args->measure;
      measure.platform = args->measure_platform;
      measure.progress = !args->quiet;
      measure.profile.seed = config.seed;
      const search::MeasureTopReport report = search::measure_top(result, config, measure);
      fmt::print("{}", search::measure_summary(result, report));
      fmt::print("wrote {}\n", (result.out_dir / "measured.csv").string());
    }
  });
}

}  // namespace hwnas::cli
