// hwnas_plugin_probe PLUGIN SPACE ARCH: loads a plugin (or YAML space file), lowers one architecture and
// prints `SPACE ARCH output=<shape> params=<n>`. A test tool: the install test runs it on the example plugin
// built standalone against the installed hwnas.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdio>
#include <exception>

#include "hwnas/core/cost.h"
#include "hwnas/plugin/plugin_loader.h"
#include "hwnas/spaces/search_space.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: hwnas_plugin_probe PLUGIN SPACE ARCH\n");
    return 2;
  }
  try {
    const auto info = hwnas::plugin::load_space_source(argv[1]);
    fmt::print("plugin {} {} (ABI {}): {}\n", info.name, info.version, info.abi_version, fmt::join(info.spaces, " "));
    const auto space = hwnas::spaces::make_space(argv[2]);
    const auto arch = space->from_string(argv[3]);
    const auto graph = space->to_graph(arch, 1);
    fmt::print("{} {} output={} params={}\n", space->name(), space->to_string(arch),
               hwnas::core::to_string(graph.shape(graph.outputs().at(0))), hwnas::core::graph_cost(graph).params);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hwnas_plugin_probe: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
