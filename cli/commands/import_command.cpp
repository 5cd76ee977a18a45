#include <fstream>

#include <fmt/format.h>

#include "commands/commands.h"
#include "commands/model_arguments.h"
#include "hwnas/core/cost.h"
#include "hwnas/core/error.h"
#include "hwnas/core/graph_json.h"

namespace hwnas::cli {

void add_import_command(CLI::App& app) {
  struct Args {
    ModelArguments model;
    std::string out;
  };
  auto args = std::make_shared<Args>();
  auto* command = app.add_subcommand(
      "import", "lower a TorchScript model (or a space architecture) to the hwnas graph IR and write it as JSON");
  args->model.add_to(*command);
  command->add_option("--out", args->out, "graph JSON file to write (default: standard output)");
  command->callback([args] {
    std::string label;
    const core::Graph graph = args->model.graph(&label);
    const std::string json = core::to_json(graph);
    if (args->out.empty()) {
      fmt::print("{}\n", json);
      return;
    }
    std::ofstream out(args->out);
    if (!out || !(out << json << '\n')) fail("cannot write {}", args->out);
    const core::OpCost cost = core::graph_cost(graph);
    fmt::print(stderr, "{}: {} nodes, {:.4g} MFLOPs, {:.4g} M params -> {}\n", label, graph.size(), cost.flops / 1e6,
               cost.params / 1e6, args->out);
  });
}

}  // namespace hwnas::cli
