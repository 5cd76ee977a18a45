// Is a predictor set's held-out error the predictor's, or its ground truth's?
//
//   heldout_truth_bench [--predictors P] [--types conv,dwconv] [--worst N] [--measurements DB]
//
// Rebuilds the held-out test share of each kernel type exactly as `hwnas eval` does, and measures those
// kernels again now, twice, on this host (campaign profiler settings, interleaved, another block order
// each time). It prints, per type, the share within ±10% (and ±5%) of: the set's prediction against the
// stored truth (what `hwnas eval` reports), the prediction against the new measurements (their geometric
// mean), the new measurements against the stored truth (how repeatable the truth is across sessions),
// and the two new measurements against each other (within one session). When the prediction misses far
// more often than the truth disagrees with itself, the error is the predictor's. Then the N kernels the
// set misses most, with their configs.
#include <algorithm>
#include <cmath>
#include <string_view>

#include <fmt/format.h>

#include "hwnas/core/error.h"
#include "hwnas/core/text.h"
#include "hwnas/devices/platform.h"
#include "hwnas/devices/profiler.h"
#include "hwnas/predictors/kernels/kernel_features.h"
#include "hwnas/predictors/predictor_set.h"
#include "hwnas/predictors/predictor_sets.h"
#include "hwnas/predictors/profiling/store_measurement.h"
#include "hwnas/predictors/sampling/kernel_sample.h"
#include "hwnas/predictors/training/measured_data.h"
#include "hwnas/predictors/training/predictor_training.h"

using namespace hwnas;

namespace {

struct HeldOutKernel {
  predictors::KernelSample sample;
  double stored_ms = 0;
  double predicted_ms = 0;
  double now_ms = 0;        ///< geometric mean of the two new measurements
  double now_ratio = 0;     ///< first / second new measurement
};

double share_within(const std::vector<HeldOutKernel>& kernels, double tolerance, auto ratio) {
  const auto n = std::count_if(kernels.begin(), kernels.end(),
                               [&](const HeldOutKernel& k) { return std::abs(ratio(k) - 1) <= tolerance; });
  return kernels.empty() ? 0.0 : static_cast<double>(n) / static_cast<double>(kernels.size());
}

/// The held-out test kernels of `type` as the set's training cut them: split_dataset() shuffles by seed
/// and size alone, so splitting the row indices (stored as the "latency" i + 1) with the same seed names
/// the test rows; their features are checked against the real split's all the same.
std::vector<HeldOutKernel> held_out_kernels(const predictors::PredictorSet& set,
                                            const devices::MeasurementStore& store,
                                            const predictors::StoredPlatform& platform,
                                            const predictors::MeasurementFilter& keep,
                                            const predictors::KernelDataset& data, const std::string& type) {
  const auto& info = *set.training_info();
  predictors::TrainOptions options;
  options.seed = info.seed;
  options.split = {info.train_fraction, info.validation_fraction};
  predictors::KernelDataset indices = data;
  for (std::size_t i = 0; i < indices.size(); ++i) indices.latency_ms[i] = static_cast<double>(i + 1);
  const auto by_index = predictors::training_split(indices, type, options);
  const auto real = predictors::training_split(data, type, options);

  // The rows of `type` in load_measured_kernels() order: the order of the dataset.
  std::vector<devices::StoredMeasurement> rows;
  devices::MeasurementQuery query;
  query.platform_key = platform.key;
  for (auto& row : store.query(query))
    if (row.kernel_type == type && (!keep || keep(row))) rows.push_back(std::move(row));
  if (rows.size() != data.size()) fail("{}: {} rows of '{}', the dataset has {}", store.path().string(), rows.size(), type, data.size());

  std::vector<HeldOutKernel> out;
  for (std::size_t t = 0; t < by_index.test.size(); ++t) {
    const auto& row = rows.at(static_cast<std::size_t>(by_index.test.latency_ms[t]) - 1);
    HeldOutKernel k{predictors::kernel_from_config_json(type, row.config_key), row.median_ms};
    if (set.features_of(k.sample.kernel.config) != real.test.x[t] || row.median_ms != real.test.latency_ms[t])
      fail("held-out kernel {} of '{}' does not match the training split", t, type);
    k.predicted_ms = set.regressor(type)->predict(real.test.x[t]);  // as `hwnas eval` scores it
    out.push_back(std::move(k));
  }
  return out;
}

int run(int argc, char** argv) {
  std::string predictors_name = predictors::kDefaultPredictorSet;
  std::string measurements;
  std::vector<std::string> types = {"conv"};
  std::size_t worst = 10;
  constexpr const char* kUsage =
      "usage: heldout_truth_bench [--predictors P] [--types conv,dwconv] [--worst N] [--measurements DB]";
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      fmt::print("{}\nMeasures the held-out test kernels of a predictor set again, twice, and prints how often the\n"
                 "prediction and the truth agree with each other (see bench/heldout_truth_bench.cpp).\n",
                 kUsage);
      return 0;
    }
    if (arg != "--predictors" && arg != "--types" && arg != "--worst" && arg != "--measurements")
      fail("unknown argument '{}' ({})", arg, kUsage);
    if (i + 1 >= argc) fail("option '{}' needs a value ({})", arg, kUsage);
    const std::string_view value = argv[++i];
    if (arg == "--predictors") {
      predictors_name = value;
    } else if (arg == "--measurements") {
      measurements = value;
    } else if (arg == "--types") {
      types.clear();
      for (const auto piece : core::detail::split(value, ',')) types.emplace_back(core::detail::trim(piece));
    } else {
      const auto n = core::detail::parse_int(value);
      if (!n || *n < 0) fail("--worst '{}': expected an integer >= 0", value);
      worst = static_cast<std::size_t>(*n);
    }
  }

  const auto set = predictors::PredictorSet::load(predictors::predictor_set_path(predictors_name));
  if (!set.training_info()) fail("predictor set '{}' records no training split", predictors_name);
  const auto db = measurements.empty() ? predictors::shipped_measurement_store(set.platform())
                                       : std::filesystem::path(measurements);
  const auto store = devices::MeasurementStore::open(db, /*create_if_missing=*/false);
  const auto stored_platform = predictors::find_stored_platform(store, set.platform());
  auto platform = devices::make_platform(set.platform());
  set.require_fingerprint(platform->fingerprint().to_json(), "this host's platform");
  const auto keep = predictors::rows_of_campaigns(set.training_info()->campaigns);
  const auto kernels = predictors::load_measured_kernels(store, stored_platform, keep);

  fmt::print("{}: held-out test kernels measured again now, twice (campaign profiler settings)\n", set.platform());
  fmt::print("{:<10} {:>5} {:>17} {:>17} {:>17} {:>17} {:>10}\n", "type", "n", "pred vs stored", "pred vs now",
             "now vs stored", "now vs now", "now/stored");
  fmt::print("{:<10} {:>5} {:>17} {:>17} {:>17} {:>17} {:>10}\n", "", "", "±5%    ±10%", "±5%    ±10%",
             "±5%    ±10%", "±5%    ±10%", "median");
  std::vector<HeldOutKernel> everything;
  for (const auto& type : types) {
    const auto data = kernels.datasets.find(type);
    if (data == kernels.datasets.end() || !set.regressor(type))
      fail("predictor set '{}' has no measured kernels or no regressor of type '{}'", predictors_name, type);
    auto held_out = held_out_kernels(set, store, stored_platform, keep, data->second, type);
    std::vector<core::Graph> graphs;
    for (const auto& k : held_out) graphs.push_back(k.sample.graph);
    auto profile = predictors::campaign_kernel_profile();
    fmt::print(stderr, "measuring {} held-out '{}' kernels, twice...\n", graphs.size(), type);
    profile.seed = 1;
    const auto first = devices::measure_interleaved(*platform, graphs, profile);
    profile.seed = 2;
    const auto second = devices::measure_interleaved(*platform, graphs, profile);
    std::vector<double> now_over_stored;
    for (std::size_t i = 0; i < held_out.size(); ++i) {
      held_out[i].now_ms = std::sqrt(first[i].median_ms * second[i].median_ms);
      held_out[i].now_ratio = first[i].median_ms / second[i].median_ms;
      now_over_stored.push_back(held_out[i].now_ms / held_out[i].stored_ms);
    }
    std::sort(now_over_stored.begin(), now_over_stored.end());
    const auto pred_stored = [](const HeldOutKernel& k) { return k.predicted_ms / k.stored_ms; };
    const auto pred_now = [](const HeldOutKernel& k) { return k.predicted_ms / k.now_ms; };
    const auto now_stored = [](const HeldOutKernel& k) { return k.now_ms / k.stored_ms; };
    const auto now_now = [](const HeldOutKernel& k) { return k.now_ratio; };
    auto cell = [&](auto ratio) {
      return fmt::format("{:5.1f}% {:5.1f}%", 100 * share_within(held_out, 0.05, ratio),
                         100 * share_within(held_out, 0.10, ratio));
    };
    fmt::print("{:<10} {:>5} {:>17} {:>17} {:>17} {:>17} {:>10.3f}\n", type, held_out.size(), cell(pred_stored),
               cell(pred_now), cell(now_stored), cell(now_now), now_over_stored[now_over_stored.size() / 2]);
    everything.insert(everything.end(), held_out.begin(), held_out.end());
  }

  std::sort(everything.begin(), everything.end(), [](const HeldOutKernel& a, const HeldOutKernel& b) {
    return std::abs(std::log(a.predicted_ms / a.now_ms)) > std::abs(std::log(b.predicted_ms / b.now_ms));
  });
  if (worst > 0) fmt::print("\nthe {} held-out kernels predicted worst against the new measurements:\n", worst);
  for (std::size_t i = 0; i < std::min(worst, everything.size()); ++i) {
    const auto& k = everything[i];
    const auto& c = k.sample.kernel.config;
    fmt::print("  {:+6.1f}%  now {:8.4f} ms  stored {:8.4f} ms  predicted {:8.4f} ms  {} {}x{} {}->{} k{} s{} g{}{}\n",
               100 * (k.predicted_ms / k.now_ms - 1), k.now_ms, k.stored_ms, k.predicted_ms, k.sample.kernel.type,
               c.h, c.w, c.cin, c.cout, c.kernel, c.stride, c.groups,
               predictors::takes_native_conv_path(set.conv_dispatch(), c) ? " (LibTorch's native conv path)" : "");
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    fmt::print(stderr, "heldout_truth_bench: {}\n", e.what());
    return 1;
  }
}
