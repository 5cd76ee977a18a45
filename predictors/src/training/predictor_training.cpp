#include "hwnas/predictors/training/predictor_training.h"

#include <chrono>

#include "hwnas/core/error.h"
#include "hwnas/devices/fingerprint.h"
#include "hwnas/predictors/regressors/linear_regressor.h"

namespace hwnas::predictors {

DatasetSplit training_split(const KernelDataset& data, const std::string& type, const TrainOptions& options) {
  // A seed per type: adding measurements of one type never reshuffles another's split.
  return split_dataset(data, options.split, options.seed ^ devices::fnv1a64(type));
}

PredictorSet train_kernel_predictors(const MeasuredKernels& kernels, const std::string& platform, FusionRules rules,
                                     const TrainOptions& options, TrainingReport* report) {
  const auto start = std::chrono::steady_clock::now();
  TrainingReport local;
  TrainingReport& out = report ? *report : local;
  out = {};

  PredictorSet set(platform, kernels.platform.fingerprint_json, std::move(rules));
  FitOptions fit;
  fit.seed = options.seed;
  fit.threads = options.threads;
  KernelDataset everything;  // the fallback's training data: the training shares of every type

  std::size_t index = 0;
  for (const auto& [type, data] : kernels.datasets) {
    if (options.on_type) options.on_type(type, index, kernels.datasets.size());
    ++index;
    if (data.size() < options.min_kernels) {
      out.too_few.push_back(type);
      continue;
    }
    data.validate("kernel type '" + type + "'");
    const DatasetSplit split = training_split(data, type, options);
    auto regressor = make_regressor(options.regressor, options.mlp);
    TrainedType trained{type, split.train.size(), split.validation.size(), split.test.size()};
    trained.fit = regressor->fit(split.train, split.validation, fit);
    trained.test_report = accuracy_report(regressor->predict_batch(split.test.x), split.test.latency_ms);
    // The regressor's reach is what it was fitted on: a validation or test kernel far beyond the
    // training share (MobileNetV2's 1280x1000 classifier among fcs of at most 416x448) is the fallback's.
    set.set_regressor(type, std::move(regressor), trained.test_report, KernelDomain::of(split.train));
    out.types.push_back(std::move(trained));
    for (std::size_t i = 0; i < split.train.size(); ++i) everything.add(split.train.x[i], split.train.latency_ms[i]);
  }
  if (out.types.empty())
    fail("no kernel type has the {} measurements a regressor needs (types: {})", options.min_kernels,
         kernels.datasets.size());

  // Unmeasured types (a model's rare op) fall back to one linear law over all kernels: rough, but a
  // sum over a network forgives a rough small term far more than a missing one.
  auto fallback = std::make_unique<LinearRegressor>();
  fallback->fit(everything, {}, fit);
  set.set_fallback(std::move(fallback));

  TrainingInfo info;
  info.regressor = options.regressor;
  info.seed = options.seed;
  info.train_fraction = options.split.train;
  info.validation_fraction = options.split.validation;
  info.campaigns = kernels.campaigns;
  info.kernels = kernels.count;
  set.set_training_info(info);
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return set;
}

std::optional<CorrectionFitReport> fit_correction_on_measured_networks(
    PredictorSet& set, const devices::MeasurementStore& store, const StoredPlatform& platform,
    const std::vector<std::filesystem::path>& graph_dirs, const MeasurementFilter& keep) {
  std::vector<MeasuredNetwork> fit_networks;
  for (auto& net : load_measured_networks(store, platform, set.fusion_rules(), graph_dirs, keep))
    if (is_correction_fit_network(net.key)) fit_networks.push_back(std::move(net));
  if (fit_networks.size() < 3) return std::nullopt;
  const CorrectionFitReport fit = fit_latency_correction(set, fit_networks);
  set.set_correction(fit.correction);
  TrainingInfo info = set.training_info().value_or(TrainingInfo{});
  info.networks = fit.networks;
  set.set_training_info(info);
  return fit;
}

}  // namespace hwnas::predictors
