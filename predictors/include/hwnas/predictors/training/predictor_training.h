#pragma once
/// Training a platform's predictor set from its measurements: one regressor per kernel type on a
/// seeded train/validation/test split (test metrics kept in the set), a linear fallback over every
/// type for kernel types never measured, and the per-model correction fitted on measured networks.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "hwnas/predictors/predictor_set.h"
#include "hwnas/predictors/regressors/kernel_dataset.h"
#include "hwnas/predictors/regressors/mlp_regressor.h"
#include "hwnas/predictors/training/latency_correction_fit.h"
#include "hwnas/predictors/training/measured_data.h"

namespace hwnas::predictors {

struct TrainOptions {
  std::string regressor = "mlp_ensemble";  ///< make_regressor() kind of the per-type regressors
  MlpOptions mlp = MlpOptions::small();    ///< the MLP kinds' network, loss and schedule
  SplitFractions split = {0.7, 0.15};
  std::uint64_t seed = 0;         ///< split and fit seed
  int threads = 1;                ///< FitOptions::threads (1: bit-for-bit reproducible)
  /// Types with fewer measurements get no regressor of their own: a sibling type's or the fallback
  /// serves them (PredictorSet's fallback rule), rather than a model fitted to a handful of points.
  std::size_t min_kernels = 20;
  /// Called before each type is fitted: (type, index, number of types).
  std::function<void(const std::string&, std::size_t, std::size_t)> on_type;
};

/// What training did to one kernel type.
struct TrainedType {
  std::string type;
  std::size_t train = 0, validation = 0, test = 0;  ///< split sizes
  FitSummary fit{};
  AccuracyReport test_report{};  ///< on the held-out test share
};

struct TrainingReport {
  std::vector<TrainedType> types;
  std::vector<std::string> too_few;  ///< types left to the fallback for lack of measurements
  std::optional<CorrectionFitReport> correction;
  double seconds = 0;
};

/// Trains the per-type regressors and the fallback on `kernels` (see the file comment). The set's
/// fingerprint is the measurements'. Throws hwnas::Error when no type has enough measurements.
PredictorSet train_kernel_predictors(const MeasuredKernels& kernels, const std::string& platform,
                                     FusionRules rules, const TrainOptions& options, TrainingReport* report = nullptr);

/// Fits `set`'s per-model correction on the measured networks of `platform` in `store` (those `keep`
/// accepts) that is_correction_fit_network() picks (graph files looked up in `graph_dirs`), records their number in
/// the set's TrainingInfo, and returns the fit; nullopt (the set unchanged) with fewer than 3 of them.
std::optional<CorrectionFitReport> fit_correction_on_measured_networks(
    PredictorSet& set, const devices::MeasurementStore& store, const StoredPlatform& platform,
    const std::vector<std::filesystem::path>& graph_dirs, const MeasurementFilter& keep = {});

/// The held-out split of one type's dataset, exactly as train_kernel_predictors() cut it.
DatasetSplit training_split(const KernelDataset& data, const std::string& type, const TrainOptions& options);

}  // namespace hwnas::predictors
