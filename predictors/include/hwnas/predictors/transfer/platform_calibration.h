#pragma once
/// Learning a new platform in minutes (LitePred's workflow, `hwnas calibrate --platform`):
///
/// 1. plan representative kernels per type: as they occur in the search spaces (prior), from LitePred's
///    VAE over those configurations (conv, dwconv and pool families), and over random ranges, interleaved
///    so that any prefix of the plan mixes the three;
/// 2. measure a first share of them on the platform into a measurement store (resumable: a rerun skips
///    what is stored);
/// 3. nn-Meter's adaptive step: fine-tune on most of what was measured, and let every checked kernel
///    predicted more than 10% off spawn neighbours (same HW, K, S; nearby channels) for the second share;
/// 4. hold out a share of all measurements, score fine-tuned, from-scratch and unchanged-source sets on
///    it, then fine-tune on everything for the set that is written;
/// 5. whole networks of the spaces, measured after the first round: the per-model correction is fitted
///    on half of them (is_correction_fit_network(), as `hwnas train` does) and scored on the other half.
/// With a time budget, the first round's cost per kernel (and the networks') sizes the second.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hwnas/devices/profiler.h"
#include "hwnas/predictors/profiling/store_measurement.h"
#include "hwnas/predictors/regressors/accuracy.h"
#include "hwnas/predictors/training/latency_correction_fit.h"
#include "hwnas/predictors/transfer/platform_adaptation.h"

namespace hwnas::predictors {

struct PlatformCalibrationOptions {
  /// Fewer samples of a type leave nothing to hold out and check the adaptation on.
  static constexpr std::size_t kMinSamplesPerType = 5;

  std::string platform;              ///< registry name of the platform to learn (devices::make_platform)
  std::filesystem::path database;    ///< where its measurements are kept (created if missing)
  std::size_t samples_per_type = 100;  ///< measured kernels per type (when budget_seconds is 0)
  /// > 0: a wall-time budget from the start instead of a sample count; measuring stops when it is spent
  double budget_seconds = 0;
  /// Kernel types to measure; empty: default_calibration_kernel_types() under the platform's rules.
  std::vector<std::string> kernel_types;
  std::vector<std::string> prior_spaces = {"nb201", "fbnet", "mobilenet"};
  devices::ProfileOptions profile = campaign_kernel_profile();
  double first_round_share = 0.6;    ///< of the samples measured before the adaptive round
  double held_out_fraction = 0.2;    ///< of each type's measurements, for the final report only
  std::uint64_t seed = 1;
  AdaptationOptions adaptation;      ///< its method is ignored: every method is scored, fine-tune is kept
  /// Whole networks measured per space, for the correction and the whole-network score; empty: none
  /// (the set then predicts a network as its plain kernel sum).
  std::map<std::string, std::size_t> networks_per_space = {{"nb201", 4}, {"fbnet", 4}, {"mobilenet", 4}};
  devices::ProfileOptions network_profile = campaign_network_profile();
  HostSpeedOptions host_speed;       ///< the sentinel that watches the host's speed while measuring
  /// Progress: (stage, done, total) with stage "measure", "networks" or "adapt".
  std::function<void(const std::string&, std::size_t, std::size_t)> on_progress;
};

/// The default transfer kernel set (the conv / dwconv / linear / pool / elementwise), each
/// named as `rules` cut it: conv and dwconv as conv-bn-relu and conv-bn where the platform fuses those
/// (both occur in the spaces), else alone; a standalone bn where convolutions do not absorb it.
std::vector<std::string> default_calibration_kernel_types(const FusionRules& rules);

struct HeldOutScore {
  AdaptationMethod method;
  AccuracyReport accuracy;
};

struct PlatformCalibrationReport {
  std::size_t measured = 0;           ///< kernels measured by this run
  std::size_t reused = 0;             ///< kernels found already in the store
  std::size_t adaptive = 0;           ///< of the measured, neighbours proposed by the adaptive step
  double profiling_seconds = 0;
  double seconds = 0;                 ///< the whole calibration
  double median_spread = 0;           ///< of this run's measurements
  HostSpeedReport host_speed;         ///< how steady the host was while this run measured
  std::vector<HeldOutScore> held_out; ///< fine-tune, scratch, unchanged on the held-out kernels
  AdaptationReport adaptation;        ///< of the final fine-tuning on every measurement
  std::size_t networks = 0;           ///< whole networks measured (by this run or before it)
  /// The correction fitted on half of them; absent with fewer than 3 in that half.
  std::optional<CorrectionFitReport> correction;
  AccuracyReport networks_held_out;           ///< the written set (corrected) on the other half
  AccuracyReport networks_held_out_plain_sum; ///< the same networks predicted as plain kernel sums
  bool interrupted = false;           ///< stopped by a signal; what was measured is stored
  bool budget_exhausted = false;      ///< measuring stopped when the time budget ran out
};

/// Runs the workflow above and returns the new platform's predictor set (fine-tuned). Throws
/// hwnas::Error for an unknown platform or kernel type, or an empty pool.
PredictorSet calibrate_platform(const KnowledgePool& pool, const PlatformCalibrationOptions& options,
                                PlatformCalibrationReport* report = nullptr);

}  // namespace hwnas::predictors
