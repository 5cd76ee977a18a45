#pragma once
/// Linear baseline: latency = w0 + w1·MFLOPs + w2·MB read + w3·MB written, by least squares (Eigen).

#include <array>

#include "hwnas/predictors/regressors/kernel_regressor.h"

namespace hwnas::predictors {

struct LinearOptions {
  /// Minimise the squared *relative* error Σ((pred − y)/y)² (weighted least squares with weights 1/y²)
  /// instead of the absolute one. Relative fits what the ±10% metric asks and keeps large kernels from
  /// drowning small ones; set false for plain ordinary least squares.
  bool relative = true;
};

class LinearRegressor final : public KernelRegressor {
 public:
  /// The feature columns it uses (indices into KernelFeatures): mflops, mb_read, mb_written.
  static constexpr std::array<std::size_t, 3> kColumns = {9, 11, 12};

  explicit LinearRegressor(LinearOptions options = {}) : options_(options) {}

  std::string_view kind() const override { return "linear"; }
  /// Closed form (rank-revealing complete orthogonal decomposition, so constant or collinear columns,
  /// e.g. zero FLOPs for relu, get zero weight instead of blowing up). `validation` only feeds the summary.
  FitSummary fit(const KernelDataset& train, const KernelDataset& validation, const FitOptions& options) override;
  bool fitted() const override { return fitted_; }
  void predict_into(std::span<const FeatureVector> x, std::span<double> out) const override;
  std::unique_ptr<KernelRegressor> clone() const override { return std::make_unique<LinearRegressor>(*this); }
  nlohmann::json to_json() const override;
  void load_state(const nlohmann::json& state, const std::string& what) override;

  /// w0 (ms), then the weight of each kColumns entry.
  const std::array<double, 4>& coefficients() const { return coefficients_; }
  const LinearOptions& options() const { return options_; }

 private:
  LinearOptions options_;
  std::array<double, 4> coefficients_{};
  bool fitted_ = false;
};

}  // namespace hwnas::predictors
