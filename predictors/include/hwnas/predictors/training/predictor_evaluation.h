#pragma once
/// Judging a trained predictor set against measurements it did not learn from: kernel by kernel on
/// the held-out test share of every type (side by side with baseline regressors fitted on exactly the
/// same training share), and network by network on the measured whole networks the per-model
/// correction was not fitted on.

#include <map>
#include <string>
#include <vector>

#include "hwnas/predictors/predictor_set.h"
#include "hwnas/predictors/regressors/accuracy.h"
#include "hwnas/predictors/training/measured_data.h"

namespace hwnas::predictors {

/// One kernel type's held-out accuracy per regressor: "set" (the predictor set's own regressor) and
/// each baseline kind.
struct KernelTypeAccuracy {
  std::string type;  ///< a kernel type, or "all" for every type's test kernels pooled
  std::map<std::string, AccuracyReport> by_regressor;
};

/// Kernels at least this long (ms) are pooled again in a row of their own: below, a kernel is a few
/// microseconds of work whose latency moves by more than 10% with where its buffers land in memory
/// (measured: the same elementwise op takes 2.2 or 3.4 us from one preparation to the next).
inline constexpr double kLongKernelMs = 0.05;
inline constexpr const char* kLongKernelsRow = "all>=50us";

/// The set's regressors and freshly fitted `baselines` (make_regressor() kinds) on the held-out split
/// of every measured type the set has a regressor for, cut as training cut it (TrainingInfo). Rows
/// sorted by type, then the pooled "all" row and the pooled row of kernels of at least kLongKernelMs. Throws hwnas::Error when the set has no TrainingInfo.
std::vector<KernelTypeAccuracy> evaluate_kernel_regressors(const PredictorSet& set, const MeasuredKernels& kernels,
                                                           const std::vector<std::string>& baselines);

/// One held-out kernel and the set's prediction of it.
struct KernelPrediction {
  std::string type;
  FeatureVector features;  ///< KernelFeatures::of() the kernel's config
  double measured_ms = 0;
  double predicted_ms = 0;
};

/// The set's own prediction of every held-out (test share) kernel, cut as evaluate_kernel_regressors()
/// cuts it, by type. Throws hwnas::Error when the set has no TrainingInfo.
std::vector<KernelPrediction> predict_held_out_kernels(const PredictorSet& set, const MeasuredKernels& kernels);

struct NetworkPrediction {
  std::string key;
  std::string group;
  double measured_ms = 0;
  double spread = 0;          ///< of the measurement
  double kernel_sum_ms = 0;   ///< Σ predicted kernel latencies, before the correction
  double predicted_ms = 0;    ///< with the set's correction
  std::size_t kernels = 0;
  bool held_out = false;      ///< not among the networks the correction was fitted on
};

/// The set's prediction of every measured network.
std::vector<NetworkPrediction> predict_measured_networks(const PredictorSet& set,
                                                         const std::vector<MeasuredNetwork>& networks);

}  // namespace hwnas::predictors
