#include <fmt/format.h>
#include <fmt/ranges.h>

#include "commands/commands.h"
#include "hwnas/core/progress.h"
#include "hwnas/devices/measurement_store.h"
#include "hwnas/predictors/kernels/fusion_rules.h"
#include "hwnas/predictors/training/predictor_training.h"

namespace hwnas::cli {

void add_train_command(CLI::App& app) {
  struct Args {
    std::string platform = "libtorch-cpu-t1";
    std::string measurements;
    std::string out;
    std::string fusion_rules;
    std::vector<std::string> graphs;
    std::string dataset_csv;
    bool no_correction = false;
    std::vector<std::string> campaigns;
    predictors::TrainOptions train;
  };
  auto args = std::make_shared<Args>();
  auto* command = app.add_subcommand(
      "train", "train a platform's kernel latency predictors from its measurements and write the predictor set");
  command->add_option("--platform", args->platform, "platform name, or a full fingerprint key of the store")
      ->capture_default_str();
  command->add_option("--measurements", args->measurements,
                      "measurement store (default: the shipped data/measurements/<platform>.db)");
  command->add_option("--out", args->out, "predictor set directory to write")->required();
  command->add_option("--campaigns", args->campaigns, "train on these campaigns' rows only (comma-separated; default: all)")
      ->delimiter(',');
  command->add_option("--regressor", args->train.regressor, "regressor kind per kernel type: mlp, mlp_ensemble, mlp_per_path, linear, tree")
      ->capture_default_str();
  command->add_option("--huber-delta", args->train.mlp.huber_delta,
                      "MLP loss: Huber on the log error with this threshold (0.1: errors past ~10% count "
                      "linearly); 0: the squared log error")
      ->capture_default_str();
  command->add_option("--seed", args->train.seed, "split and fit seed")->capture_default_str();
  command->add_option("--threads", args->train.threads, "LibTorch threads while fitting (1: bit-for-bit reproducible)")
      ->capture_default_str();
  command->add_option("--min-kernels", args->train.min_kernels,
                      "measurements a kernel type needs for a regressor of its own")
      ->capture_default_str();
  command->add_option("--fusion-rules", args->fusion_rules, "fusion rule YAML (default: the platform's defaults)");
  command->add_option("--graphs", args->graphs,
                      "directories of the IR graph files of measured networks (default: the shipped data/networks/zoo)");
  command->add_option("--dataset-csv", args->dataset_csv,
                      "also write the kernel features and latencies as CSV (the regressor_bench input)");
  command->add_flag("--no-correction", args->no_correction, "do not fit the per-model correction on measured networks");
  command->callback([args] {
    const std::filesystem::path db = args->measurements.empty()
                                         ? predictors::shipped_measurement_store(args->platform)
                                         : std::filesystem::path(args->measurements);
    const auto store = devices::MeasurementStore::open(db, /*create_if_missing=*/false);
    const auto platform = predictors::find_stored_platform(store, args->platform);
    const std::string name = platform.key.substr(0, platform.key.find('|'));
    const auto keep = predictors::rows_of_campaigns(args->campaigns);
    const auto kernels = predictors::load_measured_kernels(store, platform, keep);
    if (!args->dataset_csv.empty()) predictors::write_kernel_csv(kernels.datasets, args->dataset_csv);
    predictors::FusionRules rules = args->fusion_rules.empty() ? predictors::default_fusion_rules(name)
                                                               : predictors::load_fusion_rules(args->fusion_rules);
    fmt::print(stderr, "training '{}' predictors on {} kernels of {} types from {}\n", args->train.regressor,
               kernels.count, kernels.datasets.size(), db.string());

    core::ProgressLine line(true);
    args->train.on_type = [&](const std::string& type, std::size_t i, std::size_t n) {
      line.update(fmt::format("fitting {} ({}/{})", type, i + 1, n), i, n);
    };
    predictors::TrainingReport report;
    predictors::PredictorSet set = predictors::train_kernel_predictors(kernels, name, rules, args->train, &report);
    line.finish();
    fmt::print("{:<18} {:>6} {:>8} {:>9} {:>8} {:>8}\n", "kernel type", "train", "fit s", "test MAPE", "±5%", "±10%");
    for (const auto& t : report.types)
      fmt::print("{:<18} {:>6} {:>8.1f} {:>8.2f}% {:>7.1f}% {:>7.1f}%\n", t.type, t.train, t.fit.seconds,
                 100 * t.test_report.mape, 100 * t.test_report.within_5, 100 * t.test_report.within_10);
    for (const auto& type : report.too_few) fmt::print("{:<18} too few measurements: served by a sibling or the fallback\n", type);

    if (!args->no_correction) {
      std::vector<std::filesystem::path> graph_dirs(args->graphs.begin(), args->graphs.end());
      if (graph_dirs.empty()) graph_dirs = predictors::shipped_network_graph_dirs();
      const auto fit = predictors::fit_correction_on_measured_networks(set, store, platform, graph_dirs, keep);
      if (!fit) {
        fmt::print("no per-model correction: fewer than 3 measured networks to fit it on (run a networks campaign, "
                   "e.g. configs/campaign_networks_{}.yaml)\n",
                   name);
      } else {
        fmt::print("per-model correction on {} measured networks: latency = {}; ±10% {:.1f}% -> {:.1f}%, MAPE {:.2f}% -> "
                   "{:.2f}% (on the networks fitted; `hwnas eval` reports the held-out half)\n",
                   fit->networks, predictors::to_string(fit->correction), 100 * fit->before.within_10,
                   100 * fit->after.within_10, 100 * fit->before.mape, 100 * fit->after.mape);
        if (const std::string verdict = fit->type_scales_verdict(); !verdict.empty()) fmt::print("  {}\n", verdict);
        if (!fit->excluded.empty())
          fmt::print("  left out of the fit, their measured / kernel-sum ratio over {}x off the median: {}\n",
                     predictors::CorrectionFitReport::kMaxRatioFromMedian, fmt::join(fit->excluded, ", "));
      }
    }
    set.save(args->out);
    fmt::print("wrote {} ({} kernel types, {:.1f}s)\n", args->out, report.types.size(), report.seconds);
  });
}

}  // namespace hwnas::cli
