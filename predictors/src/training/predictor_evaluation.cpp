#include "hwnas/predictors/training/predictor_evaluation.h"

#include "hwnas/core/error.h"
#include "hwnas/predictors/training/predictor_training.h"

namespace hwnas::predictors {

namespace {

/// The options that cut `set`'s training split.
TrainOptions split_options_of(const PredictorSet& set) {
  const auto& info = set.training_info();
  if (!info) fail("predictor set for '{}' records no training split: cannot tell its held-out kernels", set.platform());
  TrainOptions options;
  options.seed = info->seed;
  options.split = {info->train_fraction, info->validation_fraction};
  return options;
}

}  // namespace

std::vector<KernelTypeAccuracy> evaluate_kernel_regressors(const PredictorSet& set, const MeasuredKernels& kernels,
                                                           const std::vector<std::string>& baselines) {
  const TrainOptions options = split_options_of(set);
  FitOptions fit;
  fit.seed = options.seed;

  std::vector<KernelTypeAccuracy> rows;
  std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> pooled;  // regressor -> (pred, truth)
  std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> pooled_long;  // truth >= kLongKernelMs
  for (const auto& [type, data] : kernels.datasets) {
    const KernelRegressor* own = set.regressor(type);
    if (!own) continue;
    const DatasetSplit split = training_split(data, type, options);
    if (split.test.empty()) continue;
    KernelTypeAccuracy row{type, {}};
    auto score = [&](const std::string& name, const KernelRegressor& regressor) {
      const auto predicted = regressor.predict_batch(split.test.x);
      row.by_regressor[name] = accuracy_report(predicted, split.test.latency_ms);
      auto& [p, t] = pooled[name];
      p.insert(p.end(), predicted.begin(), predicted.end());
      t.insert(t.end(), split.test.latency_ms.begin(), split.test.latency_ms.end());
      auto& [pl, tl] = pooled_long[name];
      for (std::size_t i = 0; i < predicted.size(); ++i)
        if (split.test.latency_ms[i] >= kLongKernelMs) {
          pl.push_back(predicted[i]);
          tl.push_back(split.test.latency_ms[i]);
        }
    };
    score("set", *own);
    for (const auto& kind : baselines) {
      auto baseline = make_regressor(kind);
      baseline->fit(split.train, split.validation, fit);
      score(kind, *baseline);
    }
    rows.push_back(std::move(row));
  }
  KernelTypeAccuracy all{"all", {}};
  for (const auto& [name, pt] : pooled) all.by_regressor[name] = accuracy_report(pt.first, pt.second);
  rows.push_back(std::move(all));
  KernelTypeAccuracy long_ones{kLongKernelsRow, {}};
  for (const auto& [name, pt] : pooled_long) long_ones.by_regressor[name] = accuracy_report(pt.first, pt.second);
  rows.push_back(std::move(long_ones));
  return rows;
}

std::vector<KernelPrediction> predict_held_out_kernels(const PredictorSet& set, const MeasuredKernels& kernels) {
  const TrainOptions options = split_options_of(set);
  std::vector<KernelPrediction> out;
  for (const auto& [type, data] : kernels.datasets) {
    const KernelRegressor* own = set.regressor(type);
    if (!own) continue;
    const DatasetSplit split = training_split(data, type, options);
    if (split.test.empty()) continue;
    const auto predicted = own->predict_batch(split.test.x);
    for (std::size_t i = 0; i < predicted.size(); ++i)
      out.push_back({type, split.test.x[i], split.test.latency_ms[i], predicted[i]});
  }
  return out;
}

std::vector<NetworkPrediction> predict_measured_networks(const PredictorSet& set,
                                                         const std::vector<MeasuredNetwork>& networks) {
  std::vector<NetworkPrediction> out;
  for (const auto& net : networks) {
    NetworkPrediction p;
    p.key = net.key;
    p.group = net.group;
    p.measured_ms = net.measured_ms;
    p.spread = net.spread;
    for (double ms : set.kernel_latencies(net.kernels)) p.kernel_sum_ms += ms;
    p.predicted_ms = set.predict_kernels(net.kernels);
    p.kernels = net.kernels.size();
    p.held_out = !is_correction_fit_network(net.key);
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace hwnas::predictors
