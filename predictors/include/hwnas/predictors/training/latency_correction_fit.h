#pragma once
/// Fitting the model-level term of whole-network prediction: a network is more than the sum of its
/// kernels measured alone (the framework's per-op dispatch, caches warm or cold between ops, the
/// network's own entry cost), so latency = scale · Σ kernels + overhead · n_kernels + constant, with
/// the three numbers fitted on measured networks.

#include <string>
#include <vector>

#include "hwnas/predictors/predictor_set.h"
#include "hwnas/predictors/regressors/accuracy.h"
#include "hwnas/predictors/training/measured_data.h"

namespace hwnas::predictors {

struct CorrectionFitReport {
  /// With fewer networks only the scale is fitted: three terms on a handful of networks fit their
  /// noise (4 networks of a calibration gave scale 2.57 and -44 ms, and none of 8 others within ±10%).
  static constexpr std::size_t kMinNetworksForAllTerms = 20;

  /// A network whose measured / kernel-sum ratio is more than this factor away (either way) from the
  /// median ratio of the networks is a failure of the kernel predictors, not a model-level term:
  /// fitted on, it bends the correction for every other network (one regnet summed at 20x its measured
  /// latency once gave scale 0.095 and +0.11 ms per kernel, and 8.5% of held-out networks within
  /// ±10%). Such networks are left out of the fit. Relative to the median, since the per-kernel and
  /// constant terms legitimately make small networks' ratios large.
  static constexpr double kMaxRatioFromMedian = 3.0;

  LatencyCorrection correction;
  std::size_t networks = 0;      ///< networks fitted on
  std::vector<std::string> excluded;  ///< keys of the networks left out (kMaxRatioFromMedian)
  AccuracyReport before;         ///< the plain kernel sum on those networks
  AccuracyReport after;          ///< the corrected prediction on those networks
};

/// Least squares on relative error (each network weighted by 1/measured², so a 2 ms and a 600 ms
/// network count alike) over `networks`, predicted by `set` without its correction, except those
/// whose measured / kernel-sum ratio is over kMaxRatioFromMedian from the median: all three terms from
/// kMinNetworksForAllTerms fitted networks on, the scale alone below (or when the three terms' scale is
/// not positive). The per-kernel and constant terms may take either sign: a kernel timed alone also
/// pays a module call the network makes once; the scale is always positive. Throws hwnas::Error for fewer
/// than 3 networks left to fit on (naming those left out).
CorrectionFitReport fit_latency_correction(const PredictorSet& set, const std::vector<MeasuredNetwork>& networks);

}  // namespace hwnas::predictors
