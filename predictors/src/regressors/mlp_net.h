#pragma once
// The trained state of an MlpRegressor and the input / output scaling shared by the Eigen evaluator,
// the LibTorch trainer and the LibTorch reference forward. Private to the predictors library.

#include <algorithm>
#include <cmath>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include <Eigen/Core>

#include "hwnas/predictors/regressors/mlp_regressor.h"

namespace hwnas::predictors {

struct MlpRegressor::Net {
  MlpInputScaling input = MlpInputScaling::kLogStandardize;
  MlpTarget target = MlpTarget::kLogMse;
  FeatureVector input_mean{};     // of the (log1p) features; 0 for raw input
  FeatureVector input_inv_std{};  // 1 / deviation; 1 for raw input or a constant feature
  double target_mean = 0;         // log target: mean of log(ms); raw target: unused (0)
  double target_scale = 1;        // log target: deviation of log(ms); raw target: ms per output unit
  std::vector<Eigen::MatrixXf> weights;  // layer l: out x in
  std::vector<Eigen::VectorXf> biases;
  std::vector<float> slopes;  // negative slope after hidden layer l (0 = ReLU)

  // LibTorch copies of the weights for predict_into_libtorch(), made on first use.
  mutable std::once_flag torch_once;
  mutable std::shared_ptr<void> torch_weights;

  std::size_t inputs() const { return weights.empty() ? 0 : static_cast<std::size_t>(weights.front().cols()); }

  /// The scaled features of x as columns of a (features x n) float matrix.
  Eigen::MatrixXf scale_inputs(std::span<const FeatureVector> x) const {
    Eigen::MatrixXf out(static_cast<Eigen::Index>(KernelFeatures::kSize), static_cast<Eigen::Index>(x.size()));
    for (std::size_t i = 0; i < x.size(); ++i)
      for (std::size_t j = 0; j < KernelFeatures::kSize; ++j) {
        double v = x[i][j];
        if (input == MlpInputScaling::kLogStandardize) v = std::log1p(std::max(v, 0.0));
        out(static_cast<Eigen::Index>(j), static_cast<Eigen::Index>(i)) =
            static_cast<float>((v - input_mean[j]) * input_inv_std[j]);
      }
    return out;
  }

  /// Milliseconds from one network output.
  double to_ms(double z) const {
    const double ms = target == MlpTarget::kLogMse ? std::exp(z * target_scale + target_mean) : z * target_scale;
    return std::max(ms, kMinLatencyMs);
  }
};

}  // namespace hwnas::predictors
