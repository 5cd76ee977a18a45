#pragma once
/// LitePred's similarity detection: which known platform's predictor looks most like a new platform,
/// judged on kernels measured on the new one.
///
/// Each pool set predicts the measured kernels; the predicted and the measured latency vectors are each
/// normalised to sum 1 and compared by KL(predicted ‖ measured) (scipy.stats.entropy(pred, measured) in
/// the original). The score ignores a common scale factor: a source that is uniformly 2x slower but
/// orders and spaces the kernels alike is a perfect start for fine-tuning, which fixes the scale.
/// LitePred's code sorts the scores descending and so returns the *least* similar source; the method
/// intends the lowest divergence, which is what rank_sources() puts first.

#include <span>
#include <string>
#include <vector>

#include "hwnas/predictors/predictor_set.h"
#include "hwnas/predictors/regressors/kernel_dataset.h"

namespace hwnas::predictors {

/// The predictor sets of the platforms hwnas already knows: the candidate sources for a new one.
using KnowledgePool = std::vector<PredictorSet>;

/// KL(p ‖ q) = Σ p_i ln(p_i / q_i) of two positive vectors after normalising each to sum 1. Throws
/// hwnas::Error when the lengths differ, a vector is empty, or a value is not finite and positive.
double latency_distribution_kl(std::span<const double> p, std::span<const double> q);

/// The regressor of `set` that serves kernels of `kernel_type` (its own, a sibling type's, or the
/// fallback: PredictorSet's rule) and the type it belongs to; throws hwnas::Error when none does.
std::pair<const KernelRegressor*, std::string> serving_regressor(const PredictorSet& set,
                                                                 const std::string& kernel_type);

/// One pool platform scored as the source for one kernel type.
struct SourceCandidate {
  std::size_t pool_index = 0;  ///< into the pool
  std::string platform;        ///< the pool set's platform
  std::string serving_type;    ///< the pool's type that predicts it ("<fallback>" for the fallback)
  double kl = 0;               ///< KL(predicted ‖ measured); lower is more similar
};

/// Every pool set that can predict `kernel_type`, scored on `measured`, most similar (lowest KL) first.
/// Each pool set is asked about the kernels as the new platform describes them (its conv dispatch), not
/// as the pool platform would: that is the starting point fine-tuning, which trains on the new
/// platform's features, gets. Asking each set under its own dispatch instead was measured and chose
/// worse sources (transfer_bench, 2026-11-24, fine-tuned held-out kernels within ±10% at 10 / 50 / 200
/// samples per type: libtorch-cpu-t2 43.7 / 62.7 / 76.2% -> 41.0 / 60.2 / 72.8%, torchscript-cpu-t1
/// 57.4 / 82.5 / 87.8% -> 47.4 / 71.6 / 84.0%, opencv-cpu-t1 32.4 / 54.1 / 71.6% -> 24.7 / 54.4 / 71.6%;
/// libtorch-cpu-t1 unchanged).
/// Throws hwnas::Error when `measured` is empty or no pool set can predict the type.
std::vector<SourceCandidate> rank_sources(const KnowledgePool& pool, const std::string& kernel_type,
                                          const KernelDataset& measured);

}  // namespace hwnas::predictors
