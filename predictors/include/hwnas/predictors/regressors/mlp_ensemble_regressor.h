#pragma once
/// A few default MLPs that differ only in their seed, predictions averaged in log space (a geometric
/// mean). One MLP fit on a few hundred kernels has a large variance: which local minimum it lands in
/// decides a good part of its error. Averaging five independent fits removes much of it
/// (regressor_bench --variants: conv kernels within ±10% 69% -> 76%), at five times the fit and
/// evaluation cost.

#include <memory>
#include <vector>

#include "hwnas/predictors/regressors/mlp_regressor.h"

namespace hwnas::predictors {

struct MlpEnsembleOptions {
  int members = 5;
  MlpOptions member = MlpOptions::small();  ///< every member's architecture and schedule
};

class MlpEnsembleRegressor final : public KernelRegressor {
 public:
  explicit MlpEnsembleRegressor(MlpEnsembleOptions options = {});

  std::string_view kind() const override { return "mlp_ensemble"; }
  /// Fits every member on the same data; member i is seeded by a mix of options.seed and i, so the
  /// ensemble is as deterministic as one MLP. The summary adds up the members' epochs and seconds and
  /// reports the validation MAPE of the averaged prediction.
  FitSummary fit(const KernelDataset& train, const KernelDataset& validation, const FitOptions& options) override;
  /// Fine-tunes every member on `train` (see MlpRegressor::fine_tune()).
  FitSummary fine_tune(const KernelDataset& train, const KernelDataset& validation, const FitOptions& options,
                       const MlpOptions& schedule);
  bool fitted() const override { return !members_.empty() && members_.front().fitted(); }
  /// exp(mean over members of log(prediction)).
  void predict_into(std::span<const FeatureVector> x, std::span<double> out) const override;
  std::unique_ptr<KernelRegressor> clone() const override { return std::make_unique<MlpEnsembleRegressor>(*this); }
  nlohmann::json to_json() const override;
  void load_state(const nlohmann::json& state, const std::string& what) override;

  const std::vector<MlpRegressor>& members() const { return members_; }

 private:
  /// The MAPE of the averaged prediction on validation_within_reach(train, validation).
  double ensemble_mape(const KernelDataset& train, const KernelDataset& validation) const;

  MlpEnsembleOptions options_;
  std::vector<MlpRegressor> members_;
};

}  // namespace hwnas::predictors
