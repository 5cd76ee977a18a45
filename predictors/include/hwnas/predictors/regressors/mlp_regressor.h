#pragma once
/// LitePred-style MLP latency regressor: trained with LibTorch (CPU), evaluated with Eigen, so a
/// trained predictor needs no LibTorch to predict.

#include <memory>
#include <vector>

#include "hwnas/predictors/regressors/kernel_regressor.h"

namespace hwnas::predictors {

/// What the network's output means and which loss trains it.
enum class MlpTarget {
  kLogMse,   ///< output = standardised log(ms), loss = MSE; prediction = exp(...)
  kRawMape,  ///< output = ms / s (s = median training latency), loss = MAPE, as in LitePred
};

/// How features are scaled before the first layer.
enum class MlpInputScaling {
  kLogStandardize,  ///< log1p(x), then standardised with the training mean and deviation
  kRaw,             ///< features as they are, as in LitePred
};

struct MlpLayer {
  int width = 0;
  float negative_slope = 0;  ///< 0: ReLU; > 0: LeakyReLU with this slope
};

struct MlpOptions {
  /// Hidden layers, input side first; the output layer (width 1, no activation) is implied.
  std::vector<MlpLayer> hidden = {{64}, {64}, {32}};
  MlpInputScaling input = MlpInputScaling::kLogStandardize;
  MlpTarget target = MlpTarget::kLogMse;
  int max_epochs = 300;
  int batch_size = 32;
  double learning_rate = 3e-3;      ///< Adam's initial rate, annealed by a cosine to min_learning_rate
  double min_learning_rate = 1e-5;  ///< the cosine schedule runs over max_epochs
  double weight_decay = 0;
  /// kLogMse only: > 0 trains on the Huber loss of the log error with this threshold (0.1: errors
  /// beyond about 10% count linearly, not squared), so a kernel measured in a slow moment pulls the fit
  /// less; 0 keeps the squared log error.
  double huber_delta = 0;
  /// Stop when validation MAPE has not improved for this many epochs (0: never stop early); the
  /// parameters of the best validation epoch are kept either way.
  int patience = 60;

  /// in→64→64→32→1, ReLU: the default.
  static MlpOptions small();
  /// LitePred's 16-layer MLP (in→16→32→64→128→128→256×7→128→64→16→1, LeakyReLU(0.3) after Linear 13–14,
  /// ReLU elsewhere), raw features, MAPE loss, lr 1e-3, batch 32, 350 epochs, no early stop.
  static MlpOptions litepred();
};

class MlpRegressor final : public KernelRegressor {
 public:
  explicit MlpRegressor(MlpOptions options = {});
  ~MlpRegressor() override;
  MlpRegressor(const MlpRegressor&);
  MlpRegressor& operator=(const MlpRegressor&);

  std::string_view kind() const override { return "mlp"; }
  /// Adam with a cosine learning-rate schedule and early stopping on the MAPE of the validation kernels
  /// within reach of the training set (validation_within_reach()). Deterministic for
  /// a given seed: weights are initialised from a std::mt19937_64 seeded by options.seed (LibTorch's
  /// default init scheme, U(±1/sqrt(fan_in))), batches shuffled by the same generator, and LibTorch runs
  /// with options.threads intra-op threads (1 by default) during the fit.
  FitSummary fit(const KernelDataset& train, const KernelDataset& validation, const FitOptions& options) override;
  /// Fine-tuning (LitePred's transfer to a new platform): continues training from the current
  /// parameters on `train`, under `schedule`'s epochs, batch, learning rates and patience (its layers
  /// must match this network's). The input scaling is kept, since the weights are tied to it; the
  /// output is first rescaled by the median measured/predicted ratio on `train`, and the starting point
  /// competes in early stopping, so validation never ends worse than the rescaled start. Throws
  /// hwnas::Error if the regressor is not fitted or the layers differ.
  FitSummary fine_tune(const KernelDataset& train, const KernelDataset& validation, const FitOptions& options,
                       const MlpOptions& schedule);
  bool fitted() const override { return net_ != nullptr; }
  /// Eigen (float32), one matrix product per layer for the whole batch.
  void predict_into(std::span<const FeatureVector> x, std::span<double> out) const override;
  std::unique_ptr<KernelRegressor> clone() const override { return std::make_unique<MlpRegressor>(*this); }
  nlohmann::json to_json() const override;
  void load_state(const nlohmann::json& state, const std::string& what) override;

  /// The same network evaluated by a LibTorch forward pass (for checking and benchmarking the Eigen path).
  void predict_into_libtorch(std::span<const FeatureVector> x, std::span<double> out) const;

  const MlpOptions& options() const { return options_; }
  /// Number of weights and biases.
  std::size_t parameter_count() const;

  struct Net;  ///< trained parameters and scaling (defined in the .cpp)

 private:
  /// The training loop shared by fit() and fine_tune(): `net` carries the scaling, `initial` the
  /// flat parameters to start from (empty: seeded initialisation).
  FitSummary train_from(std::shared_ptr<Net> net, std::vector<float> initial, const KernelDataset& train,
                        const KernelDataset& validation, const FitOptions& options);

  MlpOptions options_;
  std::shared_ptr<const Net> net_;  // immutable once built; copies share it
};

}  // namespace hwnas::predictors
