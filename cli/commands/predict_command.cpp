#include <chrono>
#include <fstream>

#include <fmt/format.h>

#include "commands/commands.h"
#include "commands/model_arguments.h"
#include "hwnas/core/csv.h"
#include "hwnas/core/error.h"
#include "hwnas/predictors/kernels/decomposer.h"
#include "hwnas/predictors/predictor_set.h"
#include "hwnas/predictors/predictor_sets.h"

namespace hwnas::cli {
namespace {

/// One kernel per line: what ran, which regressor answered, and its share of the total.
void print_kernels(const predictors::PredictorSet& set, const std::vector<predictors::Kernel>& kernels) {
  const auto ms = set.kernel_latencies(kernels);
  double total = 0;
  for (double v : ms) total += v;
  fmt::print("{:>4} {:<16} {:<16} {:>5} {:>5} {:>5} {:>5} {:>2} {:>2} {:>10} {:>6}\n", "#", "kernel", "predicted by", "h",
             "w", "cin", "cout", "k", "s", "ms", "share");
  for (std::size_t i = 0; i < kernels.size(); ++i) {
    const auto& c = kernels[i].config;
    fmt::print("{:>4} {:<16} {:<16} {:>5} {:>5} {:>5} {:>5} {:>2} {:>2} {:>10.4f} {:>5.1f}%\n", i, kernels[i].type,
               set.serving_type(kernels[i].type), c.h ? c.h : c.seq_len, c.w, c.cin, c.cout, c.kernel, c.stride, ms[i],
               100 * ms[i] / total);
  }
}

}  // namespace

void add_predict_command(CLI::App& app) {
  struct Args {
    std::string predictors = predictors::kDefaultPredictorSet;
    ModelArguments model;
    std::string archs;
    std::string out;
    bool explain = false;
  };
  auto args = std::make_shared<Args>();
  auto* command = app.add_subcommand(
      "predict", "predict the latency of a space architecture, a CSV of them, or a TorchScript model on a platform");
  command->add_option("--predictors", args->predictors, "predictor set: a directory or a shipped platform name")
      ->capture_default_str();
  args->model.add_to(*command);
  command->add_option("--archs", args->archs, "CSV with an `arch` column: predict every row (needs --space)");
  command->add_option("--out", args->out, "with --archs: write `arch,latency_ms` here instead of standard output");
  command->add_flag("--explain", args->explain, "list every kernel with its predicted latency");
  command->callback([args] {
    const auto set = predictors::PredictorSet::load(predictors::predictor_set_path(args->predictors));
    if (args->archs.empty()) {
      std::string label;
      const core::Graph graph = args->model.graph(&label);
      const auto kernels = predictors::decompose(graph, set.fusion_rules());
      const double ms = set.predict_kernels(kernels);
      if (args->explain) print_kernels(set, kernels);
      fmt::print("{}: {:.4f} ms predicted on {} ({} kernels)\n", label, ms, set.platform(), kernels.size());
      return;
    }
    if (args->model.space.space.empty()) fail("--archs needs --space, the space the architectures belong to");
    if (!args->model.arch.empty() || !args->model.model.empty()) fail("--archs excludes --arch and --model");
    const auto space = args->model.space.make();
    const core::CsvTable table = core::read_csv(args->archs);
    const int column = table.require_column("arch");
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::vector<predictors::Kernel>> networks;
    std::vector<std::string> names;
    for (std::size_t r = 0; r < table.rows.size(); ++r) {
      spaces::Arch arch;
      try {
        arch = space->from_string(table.rows[r][static_cast<std::size_t>(column)]);
      } catch (const Error& e) {
        fail("{}:{}: {}", args->archs, table.lines[r], e.what());
      }
      names.push_back(space->to_string(arch));
      networks.push_back(predictors::decompose(space->to_graph(arch), set.fusion_rules()));
    }
    const auto ms = set.predict_many(networks);
    std::string csv = core::csv_line({"arch", "latency_ms"});
    for (std::size_t i = 0; i < ms.size(); ++i) csv += core::csv_line({names[i], fmt::format("{:.6g}", ms[i])});
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (args->out.empty()) {
      fmt::print("{}", csv);
    } else {
      std::ofstream out(args->out);
      if (!out || !(out << csv)) fail("cannot write {}", args->out);
    }
    fmt::print(stderr, "predicted {} architectures of {} on {} in {:.3f}s\n", ms.size(), space->name(), set.platform(),
               seconds);
  });
}

}  // namespace hwnas::cli
