#pragma once
/// Tree-ensemble baseline in the manner of nn-Meter's random forest, built on XGBoost's C API.
/// Compiled only when libxgboost-dev is found (have_tree_regressor()); otherwise constructing one throws.

#include <memory>

#include "hwnas/predictors/regressors/kernel_regressor.h"

namespace hwnas::predictors {

enum class TreeMode {
  kForest,   ///< random forest: one round of `trees` parallel trees, eta 1, row and column sub-sampling
  kBoosted,  ///< gradient-boosted trees: `rounds` rounds of one tree, eta `learning_rate`
};

struct TreeOptions {
  TreeMode mode = TreeMode::kForest;
  int trees = 200;                 ///< forest: number of parallel trees
  int max_depth = 16;
  double subsample = 0.8;          ///< rows sampled (without replacement) per tree
  double colsample_bynode = 0.6;   ///< features tried per split (nn-Meter: max_features 6 of ~7-10)
  int rounds = 600;                ///< boosted: maximum rounds (the best validation round is kept)
  double learning_rate = 0.05;     ///< boosted: eta
  /// Fit log(ms) rather than ms: the forest then averages in log space and errors are relative.
  bool log_target = true;
};

class TreeRegressor final : public KernelRegressor {
 public:
  explicit TreeRegressor(TreeOptions options = {});
  ~TreeRegressor() override;
  TreeRegressor(const TreeRegressor&);
  TreeRegressor& operator=(const TreeRegressor&);

  std::string_view kind() const override { return "tree"; }
  FitSummary fit(const KernelDataset& train, const KernelDataset& validation, const FitOptions& options) override;
  bool fitted() const override { return booster_ != nullptr; }
  void predict_into(std::span<const FeatureVector> x, std::span<double> out) const override;
  std::unique_ptr<KernelRegressor> clone() const override { return std::make_unique<TreeRegressor>(*this); }
  nlohmann::json to_json() const override;
  void load_state(const nlohmann::json& state, const std::string& what) override;

  const TreeOptions& options() const { return options_; }

  struct Booster;  ///< owns the XGBoost handle (defined in the .cpp)

 private:
  TreeOptions options_;
  std::shared_ptr<const Booster> booster_;
};

}  // namespace hwnas::predictors
