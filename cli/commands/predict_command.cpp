#include <chrono>
#include <fstream>

#include <fmt/format.h>

#include "commands/commands.h"
#include "commands/model_arguments.h"
#include "commands/space_arguments.h"
#include "hwnas/core/csv.h"
#include "hwnas/core/error.h"
#include "hwnas/predictors/arch_latency.h"
#include "hwnas/predictors/few_shot/arch_encoding.h"
#include "hwnas/predictors/few_shot/few_shot_predictor.h"
#include "hwnas/predictors/kernels/decomposer.h"
#include "hwnas/predictors/predictor_set.h"
#include "hwnas/predictors/predictor_sets.h"

namespace hwnas::cli {
namespace {

/// One kernel per line: what ran, which regressor answered, and its share of the total.
/// Every kernel with its predicted latency alone and what it adds to the network under the set's
/// correction (its type's scale: on some engines a kernel costs a network more or less than alone).
void print_kernels(const predictors::PredictorSet& set, const std::vector<predictors::Kernel>& kernels) {
  const auto ms = set.kernel_latencies(kernels);
  double alone = 0, in_network = 0;
  for (std::size_t i = 0; i < kernels.size(); ++i) {
    alone += ms[i];
    in_network += set.in_network_ms(kernels[i].type, ms[i]);
  }
  fmt::print("{:>4} {:<16} {:<16} {:>5} {:>5} {:>5} {:>5} {:>2} {:>2} {:>10} {:>10} {:>6}\n", "#", "kernel", "predicted by",
             "h", "w", "cin", "cout", "k", "s", "ms alone", "in network", "share");
  for (std::size_t i = 0; i < kernels.size(); ++i) {
    const auto& c = kernels[i].config;
    const double scaled = set.in_network_ms(kernels[i].type, ms[i]);
    fmt::print("{:>4} {:<16} {:<16} {:>5} {:>5} {:>5} {:>5} {:>2} {:>2} {:>10.4f} {:>10.4f} {:>5.1f}%\n", i,
               kernels[i].type, set.serving_type(kernels[i].type), c.h ? c.h : c.seq_len, c.w, c.cin, c.cout, c.kernel,
               c.stride, ms[i], scaled, in_network > 0 ? 100 * scaled / in_network : 0.0);
  }
  if (const auto& correction = set.correction())
    fmt::print("sum alone {:.4f} ms; sum in network {:.4f} ms, plus {:+.4f} ms x {} kernels and {:+.3f} ms (per-model "
               "correction: {})\n",
               alone, in_network, correction->overhead_ms_per_kernel, kernels.size(), correction->constant_ms,
               predictors::to_string(*correction));
}

void write_latencies(const spaces::SearchSpace& space, const std::vector<spaces::Arch>& archs,
                     const std::vector<double>& ms, const std::string& out_file) {
  std::string csv = core::csv_line({"arch", "latency_ms"});
  for (std::size_t i = 0; i < ms.size(); ++i) csv += core::csv_line({space.to_string(archs[i]), fmt::format("{:.6g}", ms[i])});
  if (out_file.empty()) {
    fmt::print("{}", csv);
    return;
  }
  std::ofstream out(out_file);
  if (!out || !(out << csv)) fail("cannot write {}", out_file);
}

/// `hwnas predict` with a device calibrated by `hwnas calibrate` (few-shot, model level).
void predict_few_shot(const std::filesystem::path& dir, const ModelArguments& model, const std::string& archs_file,
                      const std::string& out_file) {
  const auto device = predictors::FewShotDevice::load(dir);
  if (!model.model.empty()) fail("{} is a few-shot device of space {}: it predicts that space's architectures, not "
                                 "TorchScript models (use a kernel predictor set)", dir.string(), device.space);
  if (archs_file.empty() && model.arch.empty()) fail("give --space {} with --arch A or --archs FILE.csv", device.space);
  if (model.space.space.empty()) fail("{} is a few-shot device of space {}: give --space {}", dir.string(), device.space, device.space);
  const auto space = model.space.make();
  const predictors::ArchEncoder encoder = device.encoder(*space, dir.string());
  const std::vector<spaces::Arch> archs =
      archs_file.empty() ? std::vector<spaces::Arch>{space->from_string(model.arch)} : read_arch_column(archs_file, *space);
  const auto start = std::chrono::steady_clock::now();
  const auto ms = device.predict(encoder.encode(archs));
  if (archs_file.empty()) {
    fmt::print("{} {}: {:.4f} ms predicted on the device of {} (few-shot from {} samples)\n", space->name(),
               space->to_string(archs[0]), ms[0], dir.string(), device.samples);
    return;
  }
  write_latencies(*space, archs, ms, out_file);
  fmt::print(stderr, "predicted {} architectures of {} in {:.3f}s\n", ms.size(), space->name(),
             std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
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
  command->add_option("--predictors", args->predictors,
                      "predictor set (a directory or a shipped platform name), or a device directory from `hwnas calibrate`")
      ->capture_default_str();
  args->model.add_to(*command);
  command->add_option("--archs", args->archs, "CSV with an `arch` column: predict every row (needs --space)");
  command->add_option("--out", args->out, "with --archs: write `arch,latency_ms` here instead of standard output");
  command->add_flag("--explain", args->explain, "list every kernel with its predicted latency");
  command->callback([args] {
    if (predictors::FewShotDevice::is_few_shot_dir(args->predictors))
      return predict_few_shot(args->predictors, args->model, args->archs, args->out);
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
    const auto start = std::chrono::steady_clock::now();
    const std::vector<spaces::Arch> archs = read_arch_column(args->archs, *space);
    const auto ms = predictors::ArchLatencyPredictor(set, *space).predict(archs);
    write_latencies(*space, archs, ms, args->out);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    fmt::print(stderr, "predicted {} architectures of {} on {} in {:.3f}s\n", ms.size(), space->name(), set.platform(),
               seconds);
  });
}

}  // namespace hwnas::cli
