#include "hwnas/predictors/regressors/linear_regressor.h"

#include <algorithm>
#include <chrono>

#include <Eigen/Dense>
#include <nlohmann/json.hpp>

#include "hwnas/core/error.h"
#include "hwnas/predictors/regressors/accuracy.h"

namespace hwnas::predictors {
namespace {

double linear_value(const std::array<double, 4>& w, const FeatureVector& x) {
  double v = w[0];
  for (std::size_t j = 0; j < LinearRegressor::kColumns.size(); ++j) v += w[j + 1] * x[LinearRegressor::kColumns[j]];
  return std::max(v, kMinLatencyMs);
}

}  // namespace

FitSummary LinearRegressor::fit(const KernelDataset& train, const KernelDataset& validation,
                                const FitOptions& /*options*/) {
  const auto start = std::chrono::steady_clock::now();
  HWNAS_CHECK(!train.empty(), "linear regressor: empty training set");
  train.validate("linear regressor training set");
  validation.validate("linear regressor validation set");

  const auto n = static_cast<Eigen::Index>(train.size());
  Eigen::MatrixXd a(n, 4);
  Eigen::VectorXd b(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto& x = train.x[static_cast<std::size_t>(i)];
    const double y = train.latency_ms[static_cast<std::size_t>(i)];
    // Row i scaled by 1/y turns Σ((a_i·w − y_i)/y_i)² into ordinary least squares.
    const double weight = options_.relative ? 1.0 / y : 1.0;
    a(i, 0) = weight;
    for (std::size_t j = 0; j < kColumns.size(); ++j) a(i, static_cast<Eigen::Index>(j + 1)) = weight * x[kColumns[j]];
    b(i) = weight * y;
  }
  // Scale columns to unit norm so the rank decision of the decomposition is not fooled by units.
  Eigen::VectorXd norms = a.colwise().norm().transpose();
  for (Eigen::Index j = 0; j < 4; ++j)
    if (norms(j) > 0) a.col(j) /= norms(j);
  Eigen::VectorXd w = a.completeOrthogonalDecomposition().solve(b);
  for (Eigen::Index j = 0; j < 4; ++j) {
    coefficients_[static_cast<std::size_t>(j)] = norms(j) > 0 ? w(j) / norms(j) : 0.0;
  }
  fitted_ = true;

  FitSummary summary;
  summary.epochs = summary.best_epoch = 1;
  const KernelDataset& check = validation.empty() ? train : validation;
  summary.validation_mape = accuracy_report(predict_batch(check.x), check.latency_ms).mape;
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

void LinearRegressor::predict_into(std::span<const FeatureVector> x, std::span<double> out) const {
  HWNAS_CHECK(fitted_, "linear regressor used before fit() or load");
  HWNAS_ASSERT(x.size() == out.size(), "{} inputs, {} outputs", x.size(), out.size());
  for (std::size_t i = 0; i < x.size(); ++i) out[i] = linear_value(coefficients_, x[i]);
}

nlohmann::json LinearRegressor::to_json() const {
  return {{"relative", options_.relative}, {"columns", kColumns}, {"coefficients", coefficients_}};
}

void LinearRegressor::load_state(const nlohmann::json& state, const std::string& what) {
  const auto columns = state.at("columns").get<std::vector<std::size_t>>();
  const auto coefficients = state.at("coefficients").get<std::vector<double>>();
  if (columns != std::vector<std::size_t>(kColumns.begin(), kColumns.end()) || coefficients.size() != 4)
    fail("{} has wrong dimensions: linear regressor with {} columns and {} coefficients, expected columns [9, 11, 12] "
         "and 4 coefficients",
         what, columns.size(), coefficients.size());
  options_.relative = state.at("relative").get<bool>();
  std::copy(coefficients.begin(), coefficients.end(), coefficients_.begin());
  fitted_ = true;
}

}  // namespace hwnas::predictors
