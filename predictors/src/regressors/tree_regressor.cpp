// Tree ensemble on XGBoost's C API (random forest by default, as nn-Meter's regressors).
#include "hwnas/predictors/regressors/tree_regressor.h"

#include <chrono>
#include <cmath>
#include <limits>
#include <mutex>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "hwnas/core/error.h"
#include "hwnas/predictors/regressors/accuracy.h"

#ifdef HWNAS_HAVE_XGBOOST
#include <xgboost/c_api.h>
#endif

namespace hwnas::predictors {

#ifdef HWNAS_HAVE_XGBOOST

namespace {

void check(int status, const char* what) {
  if (status != 0) fail("XGBoost {} failed: {}", what, XGBGetLastError());
}

const char* mode_name(TreeMode m) { return m == TreeMode::kBoosted ? "boosted" : "forest"; }

}  // namespace

struct TreeRegressor::Booster {
  BoosterHandle handle = nullptr;
  bool log_target = true;
  mutable std::mutex mutex;  // XGBoost's prediction buffers belong to the handle: one caller at a time

  Booster() = default;
  Booster(const Booster&) = delete;
  Booster& operator=(const Booster&) = delete;
  ~Booster() {
    if (handle) XGBoosterFree(handle);
  }

  /// Raw model outputs (log ms or ms) of x.
  std::vector<float> margins(std::span<const FeatureVector> x, int iteration_end = 0) const {
    if (x.empty()) return {};
    const std::string array = fmt::format(
        R"({{"data": [{}, true], "shape": [{}, {}], "typestr": "<f8", "version": 3}})",
        reinterpret_cast<std::uintptr_t>(x.data()), x.size(), KernelFeatures::kSize);
    const std::string config = fmt::format(
        R"({{"type": 0, "training": false, "iteration_begin": 0, "iteration_end": {}, "strict_shape": false, "missing": NaN, "cache_id": 0}})",
        iteration_end);
    std::lock_guard lock(mutex);
    const bst_ulong* shape = nullptr;
    bst_ulong dims = 0;
    const float* result = nullptr;
    check(XGBoosterPredictFromDense(handle, array.c_str(), config.c_str(), nullptr, &shape, &dims, &result),
          "prediction");
    return {result, result + x.size()};
  }

  double to_ms(float margin) const {
    return std::max(log_target ? std::exp(static_cast<double>(margin)) : static_cast<double>(margin), kMinLatencyMs);
  }
};

TreeRegressor::TreeRegressor(TreeOptions options) : options_(options) {
  HWNAS_CHECK(options_.trees > 0 && options_.rounds > 0 && options_.max_depth > 0,
              "tree options: trees {}, rounds {}, max_depth {} must be positive", options_.trees, options_.rounds,
              options_.max_depth);
  HWNAS_CHECK(options_.subsample > 0 && options_.subsample <= 1 && options_.colsample_bynode > 0 &&
                  options_.colsample_bynode <= 1,
              "tree options: subsample {} and colsample_bynode {} must be in (0, 1]", options_.subsample,
              options_.colsample_bynode);
}

TreeRegressor::~TreeRegressor() = default;
TreeRegressor::TreeRegressor(const TreeRegressor&) = default;
TreeRegressor& TreeRegressor::operator=(const TreeRegressor&) = default;

FitSummary TreeRegressor::fit(const KernelDataset& train, const KernelDataset& validation,
                              const FitOptions& fit_options) {
  const auto start = std::chrono::steady_clock::now();
  HWNAS_CHECK(train.size() >= 2, "tree regressor: needs at least 2 training samples, got {}", train.size());
  train.validate("tree training set");
  validation.validate("tree validation set");
  const KernelDataset& check_set = validation.empty() ? train : validation;

  std::vector<float> x(train.size() * KernelFeatures::kSize);
  std::vector<float> y(train.size());
  double mean = 0;
  for (std::size_t i = 0; i < train.size(); ++i) {
    for (std::size_t j = 0; j < KernelFeatures::kSize; ++j)
      x[i * KernelFeatures::kSize + j] = static_cast<float>(train.x[i][j]);
    y[i] = static_cast<float>(options_.log_target ? std::log(train.latency_ms[i]) : train.latency_ms[i]);
    mean += y[i];
  }
  mean /= static_cast<double>(train.size());

  DMatrixHandle dtrain = nullptr;
  check(XGDMatrixCreateFromMat(x.data(), train.size(), KernelFeatures::kSize, std::numeric_limits<float>::quiet_NaN(),
                               &dtrain),
        "DMatrix creation");
  std::unique_ptr<void, int (*)(DMatrixHandle)> dtrain_guard(dtrain, XGDMatrixFree);
  check(XGDMatrixSetFloatInfo(dtrain, "label", y.data(), train.size()), "setting labels");

  auto booster = std::make_shared<Booster>();
  booster->log_target = options_.log_target;
  check(XGBoosterCreate(&dtrain, 1, &booster->handle), "booster creation");
  const bool forest = options_.mode == TreeMode::kForest;
  const std::vector<std::pair<std::string, std::string>> params = {
      {"verbosity", "0"},
      {"objective", "reg:squarederror"},
      {"tree_method", "exact"},
      {"seed", std::to_string(fit_options.seed)},
      {"nthread", std::to_string(std::max(1, fit_options.threads))},
      {"base_score", fmt::format("{}", mean)},
      {"max_depth", std::to_string(options_.max_depth)},
      {"subsample", fmt::format("{}", options_.subsample)},
      {"colsample_bynode", fmt::format("{}", options_.colsample_bynode)},
      {"num_parallel_tree", std::to_string(forest ? options_.trees : 1)},
      {"eta", forest ? "1" : fmt::format("{}", options_.learning_rate)},
      // A forest's leaves should be plain means of their samples: no L2 shrinkage.
      {"lambda", forest ? "0" : "1"},
      {"min_child_weight", "1"},
  };
  for (const auto& [key, value] : params)
    check(XGBoosterSetParam(booster->handle, key.c_str(), value.c_str()), ("setting " + key).c_str());

  FitSummary summary;
  auto validation_mape = [&](int iteration_end) {
    const auto margins = booster->margins(check_set.x, iteration_end);
    std::vector<double> pred(margins.size());
    for (std::size_t i = 0; i < pred.size(); ++i) pred[i] = booster->to_ms(margins[i]);
    return accuracy_report(pred, check_set.latency_ms).mape;
  };
  const int rounds = forest ? 1 : options_.rounds;
  double best = std::numeric_limits<double>::infinity();
  for (int round = 0; round < rounds; ++round) {
    check(XGBoosterUpdateOneIter(booster->handle, round, dtrain), "training");
    summary.epochs = round + 1;
    // Boosting keeps the best validation round; check every 10 rounds and at the end.
    if (forest || (round + 1) % 10 == 0 || round + 1 == rounds) {
      const double mape = validation_mape(round + 1);
      if (mape < best) {
        best = mape;
        summary.best_epoch = round + 1;
      }
      if (fit_options.verbose) fmt::print(stderr, "tree round {} validation MAPE {:.3f}%\n", round + 1, 100 * mape);
    }
  }
  if (summary.best_epoch < summary.epochs) {
    BoosterHandle sliced = nullptr;
    check(XGBoosterSlice(booster->handle, 0, summary.best_epoch, 1, &sliced), "slicing");
    XGBoosterFree(booster->handle);
    booster->handle = sliced;
  }
  booster_ = std::move(booster);
  summary.validation_mape = best;
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

void TreeRegressor::predict_into(std::span<const FeatureVector> x, std::span<double> out) const {
  HWNAS_CHECK(booster_ != nullptr, "tree regressor used before fit() or load");
  HWNAS_ASSERT(x.size() == out.size(), "{} inputs, {} outputs", x.size(), out.size());
  const auto margins = booster_->margins(x);
  for (std::size_t i = 0; i < x.size(); ++i) out[i] = booster_->to_ms(margins[i]);
}

nlohmann::json TreeRegressor::to_json() const {
  HWNAS_CHECK(booster_ != nullptr, "cannot serialise an unfitted tree regressor");
  bst_ulong length = 0;
  const char* buffer = nullptr;
  {
    std::lock_guard lock(booster_->mutex);
    check(XGBoosterSaveModelToBuffer(booster_->handle, R"({"format": "json"})", &length, &buffer), "saving");
  }
  return {{"options",
           {{"mode", mode_name(options_.mode)},
            {"trees", options_.trees},
            {"max_depth", options_.max_depth},
            {"subsample", options_.subsample},
            {"colsample_bynode", options_.colsample_bynode},
            {"rounds", options_.rounds},
            {"learning_rate", options_.learning_rate},
            {"log_target", options_.log_target}}},
          {"xgboost_model", nlohmann::json::parse(buffer, buffer + length)}};
}

void TreeRegressor::load_state(const nlohmann::json& state, const std::string& what) {
  const auto& o = state.at("options");
  TreeOptions options;
  const auto mode = o.at("mode").get<std::string>();
  if (mode != "forest" && mode != "boosted") fail("{}: unknown tree mode '{}' (valid: forest, boosted)", what, mode);
  options.mode = mode == "boosted" ? TreeMode::kBoosted : TreeMode::kForest;
  options.trees = o.at("trees").get<int>();
  options.max_depth = o.at("max_depth").get<int>();
  options.subsample = o.at("subsample").get<double>();
  options.colsample_bynode = o.at("colsample_bynode").get<double>();
  options.rounds = o.at("rounds").get<int>();
  options.learning_rate = o.at("learning_rate").get<double>();
  options.log_target = o.at("log_target").get<bool>();

  const auto& model = state.at("xgboost_model");
  // The model's feature count: a forest trained on another feature layout must not load.
  const auto features = model.at("learner").at("learner_model_param").at("num_feature").get<std::string>();
  if (features != std::to_string(KernelFeatures::kSize))
    fail("{} has wrong dimensions: tree model over {} features, expected {}", what, features, KernelFeatures::kSize);
  const std::string text = model.dump();
  auto booster = std::make_shared<Booster>();
  booster->log_target = options.log_target;
  check(XGBoosterCreate(nullptr, 0, &booster->handle), "booster creation");
  if (XGBoosterLoadModelFromBuffer(booster->handle, text.data(), text.size()) != 0)
    fail("{}: XGBoost cannot read the tree model: {}", what, XGBGetLastError());
  check(XGBoosterSetParam(booster->handle, "nthread", "1"), "setting nthread");
  check(XGBoosterSetParam(booster->handle, "verbosity", "0"), "setting verbosity");
  options_ = options;
  booster_ = std::move(booster);
}

#else  // !HWNAS_HAVE_XGBOOST

struct TreeRegressor::Booster {};

TreeRegressor::TreeRegressor(TreeOptions options) : options_(options) {
  fail("the tree regressor is not built in: install libxgboost-dev and reconfigure");
}
TreeRegressor::~TreeRegressor() = default;
TreeRegressor::TreeRegressor(const TreeRegressor&) = default;
TreeRegressor& TreeRegressor::operator=(const TreeRegressor&) = default;
FitSummary TreeRegressor::fit(const KernelDataset&, const KernelDataset&, const FitOptions&) { return {}; }
void TreeRegressor::predict_into(std::span<const FeatureVector>, std::span<double>) const {}
nlohmann::json TreeRegressor::to_json() const { return {}; }
void TreeRegressor::load_state(const nlohmann::json&, const std::string&) {}

#endif

}  // namespace hwnas::predictors
