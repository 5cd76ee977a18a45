#include "hwnas/predictors/transfer/platform_adaptation.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>

#include "hwnas/core/error.h"
#include "hwnas/devices/fingerprint.h"
#include "hwnas/predictors/regressors/linear_regressor.h"
#include "hwnas/predictors/regressors/per_path_mlp_regressor.h"

namespace hwnas::predictors {

std::string_view adaptation_method_name(AdaptationMethod method) {
  switch (method) {
    case AdaptationMethod::kFineTune: return "fine-tune";
    case AdaptationMethod::kScratch: return "scratch";
    case AdaptationMethod::kUnchanged: return "unchanged";
  }
  return "?";
}

MlpOptions AdaptationOptions::full_schedule() {
  MlpOptions o = MlpOptions::small();
  o.huber_delta = 0.1;
  return o;
}

MlpOptions AdaptationOptions::fine_tune_schedule() {
  MlpOptions o = full_schedule();
  o.learning_rate = 1e-3;
  o.max_epochs = 200;
  o.patience = 40;
  return o;
}

namespace {

/// `source` trained further on `split` when it is an MLP, an MLP ensemble or a per-path MLP; null for any
/// other kind.
std::unique_ptr<KernelRegressor> fine_tuned(const KernelRegressor& source, const DatasetSplit& split,
                                            const FitOptions& fit, const MlpOptions& schedule, FitSummary& summary) {
  const auto tune = [&]<class Regressor>(const Regressor& regressor) -> std::unique_ptr<KernelRegressor> {
    auto tuned = std::make_unique<Regressor>(regressor);
    summary = tuned->fine_tune(split.train, split.validation, fit, schedule);
    return tuned;
  };
  if (const auto* mlp = dynamic_cast<const MlpRegressor*>(&source)) return tune(*mlp);
  if (const auto* ensemble = dynamic_cast<const MlpEnsembleRegressor*>(&source)) return tune(*ensemble);
  if (const auto* per_path = dynamic_cast<const PerPathMlpRegressor*>(&source)) return tune(*per_path);
  return nullptr;
}

struct AdaptedRegressor {
  std::unique_ptr<KernelRegressor> regressor;
  KernelDomain domain;  // what it may serve: the samples', widened by the source's for a transferred one
};

AdaptedRegressor adapt_type(const KnowledgePool& pool, const std::string& type, const KernelDataset& data,
                            const AdaptationOptions& options, const FitOptions& fit, AdaptedType& out) {
  // Early stopping needs a validation share; with very few samples every one of them trains.
  const DatasetSplit split = data.size() >= 3 ? split_dataset(data, {1 - options.validation_fraction,
                                                                     options.validation_fraction},
                                                              options.seed ^ devices::fnv1a64(type))
                                              : DatasetSplit{data, {}, {}};
  const KernelDomain sampled = KernelDomain::of(split.train);  // what the fit learns from
  const auto scratch = [&] {
    auto regressor = std::make_unique<MlpEnsembleRegressor>(options.scratch);
    out.method = AdaptationMethod::kScratch;
    out.fit = regressor->fit(split.train, split.validation, fit);
    return AdaptedRegressor{std::move(regressor), sampled};
  };
  if (options.method == AdaptationMethod::kScratch) return scratch();

  out.ranking = rank_sources(pool, type, data);
  const PredictorSet& source_set = pool[out.ranking.front().pool_index];
  const auto [source, serving_type] = serving_regressor(source_set, type);
  // A transferred regressor keeps the reach it was trained for on the source: a few hundred samples
  // should not shrink what it may serve to their range.
  const KernelDomain widened = sampled.merged(source_set.domain(serving_type));
  if (options.method == AdaptationMethod::kUnchanged) {
    out.method = AdaptationMethod::kUnchanged;
    return {source->clone(), widened};
  }
  const MlpOptions& schedule = data.size() >= options.many_samples ? options.fine_tune_many : options.fine_tune;
  auto tuned = fine_tuned(*source, split, fit, schedule, out.fit);
  if (tuned == nullptr) return scratch();
  out.method = AdaptationMethod::kFineTune;
  return {std::move(tuned), widened};
}

/// The pool set chosen as the source of most types (ties: the lower summed divergence).
std::optional<std::size_t> nearest_overall(const std::vector<AdaptedType>& types) {
  std::map<std::size_t, std::pair<int, double>> votes;  // pool index -> (-types won, summed KL)
  for (const auto& t : types)
    if (!t.ranking.empty()) {
      auto& [won, kl] = votes[t.ranking.front().pool_index];
      won -= 1;
      kl += t.ranking.front().kl;
    }
  if (votes.empty()) return std::nullopt;
  return std::min_element(votes.begin(), votes.end(), [](const auto& a, const auto& b) { return a.second < b.second; })
      ->first;
}

}  // namespace

PredictorSet adapt_predictor_set(const KnowledgePool& pool, const MeasuredKernels& samples, const std::string& platform,
                                 FusionRules rules, const AdaptationOptions& options, AdaptationReport* report) {
  const auto start = std::chrono::steady_clock::now();
  AdaptationReport local;
  AdaptationReport& out = report ? *report : local;
  out = {};
  HWNAS_CHECK(samples.count > 0 && !samples.datasets.empty(), "adapting to '{}': no measured kernels", platform);
  HWNAS_CHECK(!pool.empty() || options.method == AdaptationMethod::kScratch,
              "adapting to '{}': the knowledge pool is empty, so there is nothing to {}", platform,
              adaptation_method_name(options.method));

  PredictorSet set(platform, samples.platform.fingerprint_json, std::move(rules));
  FitOptions fit;
  fit.seed = options.seed;
  KernelDataset everything;
  std::size_t index = 0;
  for (const auto& [type, data] : samples.datasets) {
    if (options.on_type) options.on_type(type, index, samples.datasets.size());
    ++index;
    data.validate("kernel type '" + type + "'");
    AdaptedType adapted;
    adapted.type = type;
    adapted.samples = data.size();
    AdaptedRegressor adapted_regressor = adapt_type(pool, type, data, options, fit, adapted);
    set.set_regressor(type, std::move(adapted_regressor.regressor), {}, adapted_regressor.domain);
    out.types.push_back(std::move(adapted));
    for (std::size_t i = 0; i < data.size(); ++i) everything.add(data.x[i], data.latency_ms[i]);
  }
  // Types nothing was measured of (a model's rare op): the nearest platform's own regressor, unchanged,
  // knows them better than a law fitted across the measured types.
  if (const auto nearest = nearest_overall(out.types)) {
    const PredictorSet& source = pool[*nearest];
    for (const auto& type : source.kernel_types())
      if (!samples.datasets.contains(type)) {
        const auto metrics = source.metrics().find(type);
        set.set_regressor(type, source.regressor(type)->clone(),
                          metrics == source.metrics().end() ? AccuracyReport{} : metrics->second, source.domain(type));
        out.inherited.push_back(type);
      }
    out.inherited_from = source.platform();
  }
  // As in train_kernel_predictors(): a rough law over all samples for types none was measured of.
  auto fallback = std::make_unique<LinearRegressor>();
  fallback->fit(everything, {}, fit);
  set.set_fallback(std::move(fallback));

  TrainingInfo info;
  info.regressor = std::string("mlp-") + std::string(adaptation_method_name(options.method));
  info.seed = options.seed;
  info.train_fraction = 1 - options.validation_fraction;
  info.validation_fraction = options.validation_fraction;
  info.campaigns = samples.campaigns;
  info.kernels = samples.count;
  set.set_training_info(info);
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return set;
}

}  // namespace hwnas::predictors
