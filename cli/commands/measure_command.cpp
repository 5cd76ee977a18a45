#include <fmt/format.h>

#include "commands/commands.h"
#include "commands/model_arguments.h"
#include "hwnas/devices/platform.h"
#include "hwnas/devices/profiler.h"

namespace hwnas::cli {
namespace {

const char* time_source_name(devices::TimeSource source) {
  switch (source) {
    case devices::TimeSource::kThreadCpuTime: return "thread CPU time";
    case devices::TimeSource::kWallClock: return "wall clock";
    case devices::TimeSource::kAuto: break;
  }
  return "auto";
}

}  // namespace

void add_measure_command(CLI::App& app) {
  struct Args {
    std::string platform = "libtorch-cpu-t1";
    ModelArguments model;
    devices::ProfileOptions profile;
  };
  auto args = std::make_shared<Args>();
  auto* command = app.add_subcommand("measure", "measure the real latency of one network on this host");
  command->add_option("--platform", args->platform, "platform to measure on (see `hwnas platforms`)")
      ->capture_default_str();
  args->model.add_to(*command);
  command->add_option("--repeats", args->profile.repeats, "timed samples per round")->capture_default_str();
  command->add_option("--rounds", args->profile.rounds, "rounds of samples")->capture_default_str();
  command->add_option("--preparations", args->profile.preparations,
                      "separate preparations of the network, taking turns across rounds")
      ->capture_default_str();
  command->callback([args] {
    std::string label;
    const core::Graph graph = args->model.graph(&label);
    auto platform = devices::make_platform(args->platform);
    const devices::Measurement m = platform->measure(graph, args->profile);
    fmt::print("{} on {}: {:.4f} ms (spread {:.1f}% IQR/median over {} samples of {} run(s), {}; min {:.4f}, max {:.4f}{}{})\n",
               label, args->platform, m.median_ms, 100 * m.spread, m.repeats, m.inner_iterations,
               time_source_name(m.time_source), m.min_ms, m.max_ms,
               m.remeasured ? fmt::format("; re-measured {}x", m.remeasured) : "",
               m.stable ? "" : "; UNSTABLE: spread above threshold");
  });
}

}  // namespace hwnas::cli
