#include <algorithm>
#include <fstream>
#include <map>

#include <fmt/format.h>

#include "commands/commands.h"
#include "hwnas/core/csv.h"
#include "hwnas/core/error.h"
#include "hwnas/core/statistics.h"
#include "hwnas/devices/measurement_store.h"
#include "hwnas/predictors/kernels/kernel_features.h"
#include "hwnas/predictors/predictor_set.h"
#include "hwnas/predictors/predictor_sets.h"
#include "hwnas/predictors/profiling/network_sample.h"
#include "hwnas/predictors/regressors/kernel_regressor.h"
#include "hwnas/predictors/training/predictor_evaluation.h"

namespace hwnas::cli {
namespace {

std::string cell(const predictors::AccuracyReport& r) {
  return fmt::format("{:>7.2f}% {:>5.1f}% {:>5.1f}%", 100 * r.mape, 100 * r.within_5, 100 * r.within_10);
}

void print_kernel_table(const std::vector<predictors::KernelTypeAccuracy>& rows, const std::vector<std::string>& names) {
  fmt::print("Kernels: held-out test share of each type (MAPE, ±5%, ±10%)\n{:<12} {:>5}", "type", "n");
  for (const auto& name : names) fmt::print("  {:^22}", name == "set" ? "predictor set" : name);
  fmt::print("\n");
  for (const auto& row : rows) {
    fmt::print("{:<12} {:>5}", row.type, row.by_regressor.at("set").count);
    for (const auto& name : names) fmt::print("  {}", cell(row.by_regressor.at(name)));
    fmt::print("\n");
  }
}

/// One row per held-out kernel: its type, its features by name, measured and predicted latency.
void write_kernels_csv(const std::vector<predictors::KernelPrediction>& kernels, const std::string& path) {
  std::vector<std::string> header = {"type"};
  for (auto name : predictors::KernelFeatures::names()) header.emplace_back(name);
  header.insert(header.end(), {"measured_ms", "predicted_ms", "error"});
  std::string csv = core::csv_line(header);
  for (const auto& k : kernels) {
    std::vector<std::string> fields = {k.type};
    for (double f : k.features) fields.push_back(fmt::format("{:.6g}", f));
    fields.push_back(fmt::format("{:.6g}", k.measured_ms));
    fields.push_back(fmt::format("{:.6g}", k.predicted_ms));
    fields.push_back(fmt::format("{:.4f}", k.predicted_ms / k.measured_ms - 1));
    csv += core::csv_line(fields);
  }
  std::ofstream out(path);
  if (!out || !(out << csv)) fail("cannot write {}", path);
}

}  // namespace

void add_eval_command(CLI::App& app) {
  struct Args {
    std::string predictors = predictors::kDefaultPredictorSet;
    std::string measurements;
    std::vector<std::string> graphs;
    std::vector<std::string> baselines;
    std::string networks_csv;
    std::string kernels_csv;
  };
  auto args = std::make_shared<Args>();
  auto* command = app.add_subcommand(
      "eval", "measure a predictor set against held-out measurements: kernels (vs baselines) and whole networks");
  command->add_option("--predictors", args->predictors, "predictor set: a directory or a shipped platform name")
      ->capture_default_str();
  command->add_option("--measurements", args->measurements,
                      "measurement store (default: the shipped data/measurements/<platform>.db)");
  command->add_option("--graphs", args->graphs, "directories of measured networks' IR graphs (default: data/networks/zoo)");
  command->add_option("--baselines", args->baselines, "baseline regressor kinds to fit on the same split")
      ->default_str("linear tree");
  command->add_option("--networks-csv", args->networks_csv, "write every network's predicted and measured latency here");
  command->add_option("--kernels-csv", args->kernels_csv,
                      "write every held-out kernel's features, measured and predicted latency here");
  command->callback([args] {
    const auto set = predictors::PredictorSet::load(predictors::predictor_set_path(args->predictors));
    const std::filesystem::path db = args->measurements.empty()
                                         ? predictors::shipped_measurement_store(set.platform())
                                         : std::filesystem::path(args->measurements);
    const auto store = devices::MeasurementStore::open(db, /*create_if_missing=*/false);
    const auto platform = predictors::find_stored_platform(store, set.platform());
    set.require_fingerprint(platform.fingerprint_json, "the measurements in " + db.string());

    std::vector<std::string> baselines = args->baselines;
    if (baselines.empty()) {
      baselines = {"linear"};
      if (predictors::have_tree_regressor()) baselines.push_back("tree");
    }
    // The kernels of the campaigns the set was trained on, so the held-out split is exactly training's
    // (measurements added to the store since then would reshuffle it).
    const auto trained_on = set.training_info() ? set.training_info()->campaigns : std::vector<std::string>{};
    const auto trained_rows = predictors::rows_of_campaigns(trained_on);
    const auto kernels = predictors::load_measured_kernels(store, platform, trained_rows);
    fmt::print("features under the platform's conv dispatch: {}\n",
               predictors::conv_dispatch_name(set.conv_dispatch()));
    std::vector<std::string> names = {"set"};
    names.insert(names.end(), baselines.begin(), baselines.end());
    print_kernel_table(predictors::evaluate_kernel_regressors(set, kernels, baselines), names);
    if (!args->kernels_csv.empty()) write_kernels_csv(predictors::predict_held_out_kernels(set, kernels), args->kernels_csv);
    std::vector<double> spreads;
    devices::MeasurementQuery query;
    query.platform_key = platform.key;
    for (const auto& row : store.query(query))
      if (row.kernel_type != predictors::kNetworkKernelType && (!trained_rows || trained_rows(row)))
        spreads.push_back(row.spread);
    fmt::print("ground truth: {} kernels, median spread (IQR/median over rounds) {:.2f}%\n\n", spreads.size(),
               100 * core::median(spreads));

    std::vector<std::filesystem::path> graph_dirs(args->graphs.begin(), args->graphs.end());
    if (graph_dirs.empty()) graph_dirs = predictors::shipped_network_graph_dirs();
    const auto predictions = predictors::predict_measured_networks(
        set, predictors::load_measured_networks(store, platform, set.fusion_rules(), graph_dirs));
    if (predictions.empty()) {
      fmt::print("Networks: none measured for {} in {}\n", set.platform(), db.string());
      return;
    }
    fmt::print("Networks held out from the per-model correction (predicted vs measured)\n");
    fmt::print("{:<8} {:>4} {:>9} {:>7} {:>7} {:>14} {:>12}\n", "group", "n", "MAPE", "±5%", "±10%", "kernel sum ±10%",
               "truth spread");
    std::map<std::string, std::vector<const predictors::NetworkPrediction*>> groups;
    for (const auto& p : predictions)
      if (p.held_out) {
        groups[p.group].push_back(&p);
        groups["all"].push_back(&p);
      }
    for (const auto& [group, members] : groups) {
      std::vector<double> predicted, sums, truth, spread;
      for (const auto* p : members) {
        predicted.push_back(p->predicted_ms);
        sums.push_back(p->kernel_sum_ms);
        truth.push_back(p->measured_ms);
        spread.push_back(p->spread);
      }
      const auto r = predictors::accuracy_report(predicted, truth);
      const auto raw = predictors::accuracy_report(sums, truth);
      fmt::print("{:<8} {:>4} {:>8.2f}% {:>6.1f}% {:>6.1f}% {:>14.1f}% {:>11.2f}%\n", group, members.size(),
                 100 * r.mape, 100 * r.within_5, 100 * r.within_10, 100 * raw.within_10, 100 * core::median(spread));
    }
    if (!args->networks_csv.empty()) {
      std::string csv = core::csv_line({"network", "group", "held_out", "kernels", "measured_ms", "spread",
                                        "kernel_sum_ms", "predicted_ms", "error"});
      for (const auto& p : predictions)
        csv += core::csv_line({p.key, p.group, p.held_out ? "1" : "0", std::to_string(p.kernels),
                               fmt::format("{:.6g}", p.measured_ms), fmt::format("{:.4f}", p.spread),
                               fmt::format("{:.6g}", p.kernel_sum_ms), fmt::format("{:.6g}", p.predicted_ms),
                               fmt::format("{:.4f}", p.predicted_ms / p.measured_ms - 1)});
      std::ofstream out(args->networks_csv);
      if (!out || !(out << csv)) fail("cannot write {}", args->networks_csv);
    }
  });
}

}  // namespace hwnas::cli
