#pragma once
/// Learning a new platform's kernel predictors from a few hundred kernels measured on it (LitePred):
/// for each kernel type, the most similar pool platform's regressor (rank_sources()) is fine-tuned on the
/// measured samples. Training from scratch on the same samples, and the chosen source unchanged, are the
/// baselines every report compares with.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "hwnas/predictors/regressors/mlp_ensemble_regressor.h"
#include "hwnas/predictors/training/measured_data.h"
#include "hwnas/predictors/transfer/platform_similarity.h"

namespace hwnas::predictors {

enum class AdaptationMethod {
  kFineTune,   ///< the most similar source's MLP (every one of an ensemble), trained further on the samples
  kScratch,    ///< a fresh MLP ensemble trained on the samples alone
  kUnchanged,  ///< the most similar source's regressor as it is
};

/// "fine-tune", "scratch", "unchanged".
std::string_view adaptation_method_name(AdaptationMethod method);

struct AdaptationOptions {
  AdaptationMethod method = AdaptationMethod::kFineTune;
  /// The fine-tuning schedules (the layers come from the source; see MlpRegressor::fine_tune()): for a
  /// type with fewer than `many_samples` samples a gentle one that stays near the source, from there on
  /// hwnas's full training schedule, which learns where the new platform differs. transfer_bench over
  /// the four platforms, mean of held-out kernels / networks within ±10%, gentle vs full (both on the
  /// squared log error then): 20 samples per type 47.6 / 31.7% vs 46.5 / 26.8%, 50: 58.1 / 30.8% vs
  /// 58.8 / 24.6%, 100: 69.5 / 33.0% vs 71.7 / 40.2%, 200: 74.9 / 42.4% vs 75.4 / 54.5%.
  MlpOptions fine_tune = fine_tune_schedule();
  MlpOptions fine_tune_many = full_schedule();
  std::size_t many_samples = 100;
  /// The from-scratch model: hwnas's default regressor, as the shipped sets are trained.
  MlpEnsembleOptions scratch = {.member = full_schedule()};
  /// Share of each type's samples held for early stopping (at least one sample when there are 3+).
  double validation_fraction = 0.15;
  std::uint64_t seed = 0;
  /// Called before each type is adapted: (type, index, number of types).
  std::function<void(const std::string&, std::size_t, std::size_t)> on_type;

  /// The default MLP on the Huber loss of the log error (threshold 0.1), as the shipped sets are
  /// trained. transfer_bench, fine-tuned held-out kernels within ±10% against the squared loss, mean
  /// of the four platforms: 50 samples per type 62.2% vs 58.2%, 200: 76.1% vs 74.9%.
  static MlpOptions full_schedule();
  /// A gentler restart than training from scratch: lower peak rate, fewer epochs, early stopping.
  static MlpOptions fine_tune_schedule();
};

/// What adaptation did to one kernel type.
struct AdaptedType {
  std::string type;
  std::size_t samples = 0;                ///< measured kernels of the type used
  std::vector<SourceCandidate> ranking;   ///< the pool scored on them, most similar first (empty for scratch)
  /// What was done in the end: the requested method, or scratch when the chosen source is neither an
  /// MLP nor an MLP ensemble (a fallback law cannot be fine-tuned).
  AdaptationMethod method = AdaptationMethod::kFineTune;
  FitSummary fit{};                       ///< zero for kUnchanged
};

struct AdaptationReport {
  std::vector<AdaptedType> types;
  /// Types with no samples taken unchanged from the platform chosen most often as a source.
  std::vector<std::string> inherited;
  std::string inherited_from;
  double seconds = 0;
};

/// The new platform's predictor set from `samples` (kernels measured on it) and the pool. Types with
/// samples get a regressor by `options.method`; types without samples that the nearest pool platform
/// (the one chosen for most types) knows get its regressor unchanged (not for kScratch, which uses no
/// pool); the fallback is a linear law fitted on all samples; the fingerprint is the samples'. Throws hwnas::Error when `samples` is empty or the pool is empty (for a
/// method that needs it).
PredictorSet adapt_predictor_set(const KnowledgePool& pool, const MeasuredKernels& samples, const std::string& platform,
                                 FusionRules rules, const AdaptationOptions& options,
                                 AdaptationReport* report = nullptr);

}  // namespace hwnas::predictors
