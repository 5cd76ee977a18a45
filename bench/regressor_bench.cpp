// Kernel latency regressors side by side: accuracy on a held-out split and prediction throughput.
//
//   regressor_bench [MEASUREMENTS.csv] [--variants] [--litepred] [--learning-curve] [--threads N]
//                   [--split-seed S]
//
// MEASUREMENTS.csv: `kernel_type,<KernelFeatures::names()>,latency_ms` (read_kernel_csv). Without it, a
// synthetic set is generated (SyntheticLaw::kChannelStep, 2% log-normal noise, 1000 kernels per type) and
// written to a temporary CSV first, so the CSV path is exercised too. Each kernel type is split 70/15/15
// (seed 0, or S: `hwnas train` splits type T with seed fnv1a64(T) xor its --seed, so S reproduces its
// split of one type); every regressor trains on the 70%, selects on the 15% validation share and is
// scored on the 15% test share. --variants also trains the MLP variants (input scaling x target/loss), the boosted
// tree mode and an ensemble of five seeded default MLPs, for choosing the defaults; --litepred adds
// LitePred's 16-layer MLP (slow: about a minute of CPU per kernel type); --learning-curve trains the default
// MLP on 25%, 50% and 75% of the training share, to see whether more measurements would still pay.
#include <chrono>
#include <cmath>
#include <ctime>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "hwnas/core/error.h"
#include "hwnas/core/text.h"
#include "hwnas/predictors/regressors/accuracy.h"
#include "hwnas/predictors/regressors/kernel_dataset.h"
#include "hwnas/predictors/regressors/linear_regressor.h"
#include "hwnas/predictors/regressors/mlp_ensemble_regressor.h"
#include "hwnas/predictors/regressors/mlp_regressor.h"
#include "hwnas/predictors/regressors/synthetic.h"
#include "hwnas/predictors/regressors/tree_regressor.h"

using namespace hwnas::predictors;

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// Kernels per second of `run`, which predicts `n` kernels, repeated for at least ~0.3 s.
double throughput(std::size_t n, const std::function<void()>& run) {
  run();  // warm-up
  std::size_t reps = 0;
  const auto start = std::chrono::steady_clock::now();
  do {
    run();
    ++reps;
  } while (seconds_since(start) < 0.3);
  return static_cast<double>(n * reps) / seconds_since(start);
}

struct Row {
  std::string name;
  AccuracyReport report;
  FitSummary fit;
  double cpu_seconds = 0;  // process CPU time of the fit (the wall time suffers on a shared machine)
};

Row evaluate(const std::string& name, KernelRegressor& regressor, const DatasetSplit& split, int threads) {
  FitOptions options;
  options.seed = 0;
  options.threads = threads;
  const std::clock_t cpu = std::clock();
  Row row{name, {}, regressor.fit(split.train, split.validation, options)};
  row.cpu_seconds = static_cast<double>(std::clock() - cpu) / CLOCKS_PER_SEC;
  row.report = accuracy_report(regressor.predict_batch(split.test.x), split.test.latency_ms);
  return row;
}

void print_row(const Row& r) {
  fmt::print("  {:<34} {:>10.4g} {:>8.2f}% {:>7.1f}% {:>7.1f}% {:>7.2f}s {:>7.2f}s {:>5}/{:<5}\n", r.name,
             r.report.rmse_ms, 100 * r.report.mape, 100 * r.report.within_5, 100 * r.report.within_10, r.fit.seconds,
             r.cpu_seconds, r.fit.best_epoch, r.fit.epochs);
  std::fflush(stdout);
}

MlpOptions variant(MlpOptions base, MlpInputScaling input, MlpTarget target) {
  base.input = input;
  base.target = target;
  return base;
}

}  // namespace

int main(int argc, char** argv) try {
  std::string csv;
  bool variants = false;
  bool litepred = false;
  bool learning_curve = false;
  int threads = 1;
  std::uint64_t split_seed = 0;
  constexpr const char* kUsage =
      "usage: regressor_bench [MEASUREMENTS.csv] [--variants] [--litepred] [--learning-curve] [--threads N] "
      "[--split-seed S]";
  const auto count = [](const char* flag, const char* text) {
    const auto n = hwnas::core::detail::parse_int(text);
    if (!n || *n < 0) hwnas::fail("{} '{}': expected an integer >= 0", flag, text);
    return *n;
  };
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      fmt::print("{}\nKernel regressors side by side on hwnas train --dataset-csv output, or synthetic data without\n"
                 "a CSV (see bench/regressor_bench.cpp).\n",
                 kUsage);
      return 0;
    } else if (std::strcmp(argv[i], "--variants") == 0)
      variants = true;
    else if (std::strcmp(argv[i], "--litepred") == 0)
      litepred = true;
    else if (std::strcmp(argv[i], "--learning-curve") == 0)
      learning_curve = true;
    else if (std::strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
      threads = static_cast<int>(count("--threads", argv[++i]));
    else if (std::strcmp(argv[i], "--split-seed") == 0 && i + 1 < argc)
      split_seed = static_cast<std::uint64_t>(count("--split-seed", argv[++i]));
    else if (argv[i][0] != '-')
      csv = argv[i];
    else
      hwnas::fail("unknown flag '{}' ({})", argv[i], kUsage);
  }
  if (csv.empty()) {
    std::map<std::string, KernelDataset> synthetic;
    std::uint64_t seed = 1;
    for (const std::string type : {"conv-bn-relu", "dwconv-bn-relu", "fc", "add", "maxpool"}) {
      synthetic[type] = synthetic_dataset(synthetic_kernels(type, 1000, seed), SyntheticLaw::kChannelStep, 0.02, seed + 100);
      ++seed;
    }
    csv = (std::filesystem::temp_directory_path() / "hwnas_regressor_bench_synthetic.csv").string();
    write_kernel_csv(synthetic, csv);
    fmt::print("synthetic data (channel-step law, 2% noise) written to {}\n", csv);
  }
  const auto datasets = read_kernel_csv(csv);
  fmt::print("tree regressor: {}\n\n", have_tree_regressor() ? "XGBoost random forest" : "not built");

  for (const auto& [type, data] : datasets) {
    const DatasetSplit split = split_dataset(data, {0.7, 0.15}, split_seed);
    fmt::print("{}: {} train / {} validation / {} test\n", type, split.train.size(), split.validation.size(),
               split.test.size());
    fmt::print("  {:<34} {:>10} {:>9} {:>8} {:>8} {:>8} {:>8} {:>11}\n", "regressor", "RMSE ms", "MAPE", "±5%",
               "±10%", "fit", "fit CPU", "best/epochs");
    std::vector<std::pair<std::string, std::unique_ptr<KernelRegressor>>> models;
    models.emplace_back("mlp (default)", std::make_unique<MlpRegressor>());
    models.emplace_back("linear", std::make_unique<LinearRegressor>());
    if (have_tree_regressor()) models.emplace_back("tree (forest)", std::make_unique<TreeRegressor>());
    if (variants) {
      const MlpOptions small = MlpOptions::small();
      models.emplace_back("mlp small log-std / log-MSE",
                          std::make_unique<MlpRegressor>(variant(small, MlpInputScaling::kLogStandardize, MlpTarget::kLogMse)));
      models.emplace_back("mlp small log-std / MAPE",
                          std::make_unique<MlpRegressor>(variant(small, MlpInputScaling::kLogStandardize, MlpTarget::kRawMape)));
      models.emplace_back("mlp small raw / log-MSE",
                          std::make_unique<MlpRegressor>(variant(small, MlpInputScaling::kRaw, MlpTarget::kLogMse)));
      models.emplace_back("mlp small raw / MAPE",
                          std::make_unique<MlpRegressor>(variant(small, MlpInputScaling::kRaw, MlpTarget::kRawMape)));
      if (have_tree_regressor()) {
        TreeOptions boosted;
        boosted.mode = TreeMode::kBoosted;
        boosted.max_depth = 6;
        models.emplace_back("tree (boosted)", std::make_unique<TreeRegressor>(boosted));
      }
    }
    if (litepred) {
      models.emplace_back("mlp litepred (raw / MAPE, 350 ep)", std::make_unique<MlpRegressor>(MlpOptions::litepred()));
      MlpOptions lp = variant(MlpOptions::litepred(), MlpInputScaling::kLogStandardize, MlpTarget::kLogMse);
      models.emplace_back("mlp litepred log-std / log-MSE", std::make_unique<MlpRegressor>(lp));
    }
    for (auto& [name, model] : models) print_row(evaluate(name, *model, split, threads));
    if (variants) {
      MlpEnsembleRegressor ensemble;
      print_row(evaluate("mlp ensemble of 5 seeds (hwnas train)", ensemble, split, threads));
    }
    if (learning_curve)
      // The default MLP on the first part of the (shuffled) training share, scored on the same test share:
      // whether more measurements of this type would still pay.
      for (const double share : {0.25, 0.5, 0.75}) {
        DatasetSplit part = split;
        std::vector<std::size_t> first(static_cast<std::size_t>(share * static_cast<double>(split.train.size())));
        std::iota(first.begin(), first.end(), 0);
        part.train = split.train.subset(first);
        MlpRegressor mlp;
        print_row(evaluate(fmt::format("mlp (default) on {:.0f}% of train", 100 * share), mlp, part, threads));
      }

    // Prediction throughput of the default MLP: Eigen vs LibTorch, batched and one kernel at a time.
    const auto& mlp = static_cast<const MlpRegressor&>(*models.front().second);
    std::vector<FeatureVector> batch;
    std::mt19937_64 rng(7);
    for (std::size_t i = 0; i < 10000; ++i) batch.push_back(data.x[rng() % data.size()]);
    std::vector<double> out(batch.size());
    const double eigen_batch = throughput(batch.size(), [&] { mlp.predict_into(batch, out); });
    const double torch_batch = throughput(batch.size(), [&] { mlp.predict_into_libtorch(batch, out); });
    const std::span<const FeatureVector> first(batch.data(), 1000);
    const double eigen_single = throughput(first.size(), [&] {
      for (const auto& x : first) out[0] = mlp.predict(x);
    });
    const double torch_single = throughput(first.size(), [&] {
      for (const auto& x : first) mlp.predict_into_libtorch({&x, 1}, {out.data(), 1});
    });
    fmt::print("  mlp ({} params) kernels/s: Eigen batch {:.3g}, LibTorch batch {:.3g} (x{:.1f}); Eigen single "
               "{:.3g}, LibTorch single {:.3g} (x{:.1f})\n",
               mlp.parameter_count(), eigen_batch, torch_batch, eigen_batch / torch_batch, eigen_single, torch_single,
               eigen_single / torch_single);
    for (std::size_t m = 1; m < models.size() && m < 3; ++m) {
      const auto& model = *models[m].second;
      fmt::print("  {} kernels/s: batch {:.3g}\n", models[m].first,
                 throughput(batch.size(), [&] { model.predict_into(batch, out); }));
    }
    fmt::print("\n");
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "regressor_bench: %s\n", e.what());
  return 1;
}
