#include "hwnas/predictors/regressors/per_path_mlp_regressor.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "hwnas/core/error.h"
#include "hwnas/predictors/regressors/accuracy.h"
#include "hwnas/predictors/regressors/kernel_domain.h"

namespace hwnas::predictors {
namespace {

int path_of(const FeatureVector& x) { return x[PerPathMlpRegressor::path_feature()] > 0.5 ? 1 : 0; }

/// The rows of `data` on each path.
std::array<KernelDataset, 2> by_path(const KernelDataset& data) {
  std::array<std::vector<std::size_t>, 2> rows;
  for (std::size_t i = 0; i < data.size(); ++i) rows[static_cast<std::size_t>(path_of(data.x[i]))].push_back(i);
  return {data.subset(rows[0]), data.subset(rows[1])};
}

void add_up(FitSummary& total, const FitSummary& part) {
  total.epochs += part.epochs;
  total.best_epoch += part.best_epoch;
  total.seconds += part.seconds;
}

}  // namespace

std::size_t PerPathMlpRegressor::path_feature() {
  static const std::size_t index = [] {
    const auto& names = KernelFeatures::names();
    return static_cast<std::size_t>(std::find(names.begin(), names.end(), "native_conv") - names.begin());
  }();
  return index;
}

PerPathMlpRegressor::PerPathMlpRegressor(PerPathMlpOptions options) : options_(std::move(options)) {
  HWNAS_CHECK(options_.min_path_kernels >= 2, "a per-path MLP needs min_path_kernels >= 2, got {}",
              options_.min_path_kernels);
}

FitSummary PerPathMlpRegressor::fit(const KernelDataset& train, const KernelDataset& validation,
                                    const FitOptions& options) {
  const auto train_paths = by_path(train);
  const bool split = std::min(train_paths[0].size(), train_paths[1].size()) >= options_.min_path_kernels;
  FitSummary summary;
  shared_.reset();
  by_path_ = {};
  if (split) {
    const auto validation_paths = by_path(validation);
    for (std::size_t p = 0; p < 2; ++p) {
      MlpEnsembleRegressor ensemble(options_.ensemble);
      add_up(summary, ensemble.fit(train_paths[p], validation_paths[p], options));
      by_path_[p] = std::move(ensemble);
    }
  } else {
    MlpEnsembleRegressor ensemble(options_.ensemble);
    add_up(summary, ensemble.fit(train, validation, options));
    shared_ = std::move(ensemble);
  }
  const KernelDataset check = validation_within_reach(train, validation);
  summary.validation_mape = accuracy_report(predict_batch(check.x), check.latency_ms).mape;
  return summary;
}

FitSummary PerPathMlpRegressor::fine_tune(const KernelDataset& train, const KernelDataset& validation,
                                          const FitOptions& options, const MlpOptions& schedule) {
  HWNAS_CHECK(fitted(), "per-path MLP fine-tuning needs a trained regressor to start from");
  FitSummary summary;
  if (!split()) {
    add_up(summary, shared_->fine_tune(train, validation, options, schedule));
  } else {
    const auto train_paths = by_path(train);
    const auto validation_paths = by_path(validation);
    for (std::size_t p = 0; p < 2; ++p) {
      const bool own = train_paths[p].size() >= options_.min_fine_tune_kernels;
      add_up(summary, by_path_[p]->fine_tune(own ? train_paths[p] : train, own ? validation_paths[p] : validation,
                                             options, schedule));
    }
  }
  const KernelDataset check = validation_within_reach(train, validation);
  summary.validation_mape = accuracy_report(predict_batch(check.x), check.latency_ms).mape;
  return summary;
}

const MlpEnsembleRegressor& PerPathMlpRegressor::serving(int path) const {
  return split() ? *by_path_[static_cast<std::size_t>(path)] : *shared_;
}

void PerPathMlpRegressor::predict_into(std::span<const FeatureVector> x, std::span<double> out) const {
  HWNAS_CHECK(fitted(), "per-path MLP used before fit() or load");
  HWNAS_ASSERT(x.size() == out.size(), "{} inputs, {} outputs", x.size(), out.size());
  if (!split()) return shared_->predict_into(x, out);
  // Each path's kernels are gathered and evaluated as one batch, then scattered back in order.
  for (int p = 0; p < 2; ++p) {
    std::vector<std::size_t> rows;
    std::vector<FeatureVector> batch;
    for (std::size_t i = 0; i < x.size(); ++i)
      if (path_of(x[i]) == p) {
        rows.push_back(i);
        batch.push_back(x[i]);
      }
    if (rows.empty()) continue;
    std::vector<double> predicted(rows.size());
    serving(p).predict_into(batch, predicted);
    for (std::size_t r = 0; r < rows.size(); ++r) out[rows[r]] = predicted[r];
  }
}

nlohmann::json PerPathMlpRegressor::to_json() const {
  HWNAS_CHECK(fitted(), "cannot serialise an unfitted per-path MLP");
  nlohmann::json state = {{"path_feature", std::string(KernelFeatures::names()[path_feature()])},
                          {"min_path_kernels", options_.min_path_kernels},
                          {"min_fine_tune_kernels", options_.min_fine_tune_kernels}};
  if (split())
    state["paths"] = nlohmann::json::array({by_path_[0]->to_json(), by_path_[1]->to_json()});
  else
    state["shared"] = shared_->to_json();
  return state;
}

void PerPathMlpRegressor::load_state(const nlohmann::json& state, const std::string& what) {
  const auto feature = state.at("path_feature").get<std::string>();
  if (feature != KernelFeatures::names()[path_feature()])
    fail("{}: a per-path MLP routed by feature '{}', this build routes by '{}'", what, feature,
         KernelFeatures::names()[path_feature()]);
  PerPathMlpOptions options = options_;
  options.min_path_kernels = state.at("min_path_kernels").get<std::size_t>();
  options.min_fine_tune_kernels = state.at("min_fine_tune_kernels").get<std::size_t>();
  std::optional<MlpEnsembleRegressor> shared;
  std::array<std::optional<MlpEnsembleRegressor>, 2> paths;
  if (state.contains("paths")) {
    const auto& list = state.at("paths");
    if (!list.is_array() || list.size() != 2) fail("{}: a per-path MLP needs a \"paths\" array of 2 ensembles", what);
    for (std::size_t p = 0; p < 2; ++p)
      paths[p].emplace().load_state(list[p], fmt::format("{} (path {})", what, p));
  } else if (state.contains("shared")) {
    shared.emplace().load_state(state.at("shared"), fmt::format("{} (shared)", what));
  } else {
    fail("{}: a per-path MLP needs either \"paths\" or \"shared\"", what);
  }
  options_ = std::move(options);
  shared_ = std::move(shared);
  by_path_ = std::move(paths);
}

}  // namespace hwnas::predictors
