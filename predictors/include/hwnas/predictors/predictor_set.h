#pragma once
/// A platform's latency predictor: one regressor per kernel type, the fusion rules that cut graphs into
/// those kernels, the feature schema version they were trained with, the platform's identity, training
/// metrics, and an optional model-level correction. Saved as a directory; predicts with a shared cache.
///
/// Directory layout (format version 2; version 1, which has no "type_scales", is read too):
///   manifest.json      {"format": "hwnas-predictor-set", "format_version", "feature_schema_version",
///                       "feature_names", "platform", "fingerprint", "fusion_rules": "fusion_rules.yaml",
///                       "kernels": {type: {"file", "regressor", "metrics", "domain"}}, "fallback": {"file", "regressor"}
///                       or null, "correction": {"scale", "overhead_ms_per_kernel", "constant_ms",
///                       "type_scales": {type: scale}} or null (LatencyCorrection),
///                       "training": {"regressor", "seed", "train_fraction", "validation_fraction",
///                       "campaigns", "kernels", "networks"} or null}
///   <type>.cbor        one regressor per kernel type (KernelRegressor::save, CBOR)
///   _fallback.cbor     the optional fallback regressor
///   fusion_rules.yaml  save_fusion_rules()
///
/// The kernel features the regressors see depend on the platform's convolution dispatch, which the set
/// reads from its fingerprint (conv_dispatch_of) rather than storing it: the two cannot disagree.
///
/// Fallback when a kernel type has no regressor of its own (decided once per type, warned once on stderr
/// and listed by substitutions()): (1) the regressor of the type sharing the same leading token with the
/// longest common token prefix (ties: fewer tokens, then alphabetical), e.g. conv-bn-hswish → conv-bn-relu,
/// as nn-Meter maps every conv* kernel to conv-bn-relu; (2) else the fallback regressor (by convention a
/// LinearRegressor on FLOPs and bytes fitted over all kernel types); (3) else throw hwnas::Error naming the
/// type. A prediction is never a silent zero.
///
/// Thread safety: all const members may be called concurrently. The prediction cache (Kernel::key →
/// ms) is one map behind a std::shared_mutex: lookups take it shared, inserts exclusive; counters are
/// atomics. It holds at most kCacheCapacity entries and is emptied when an insert would pass that. Non-const members (set_*, clear_cache) must not run concurrently with anything else.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "hwnas/core/graph.h"
#include "hwnas/predictors/kernels/fusion_rules.h"
#include "hwnas/predictors/kernels/kernel.h"
#include "hwnas/predictors/latency_correction.h"
#include "hwnas/predictors/regressors/accuracy.h"
#include "hwnas/predictors/regressors/kernel_domain.h"
#include "hwnas/predictors/regressors/kernel_regressor.h"

namespace hwnas::predictors {

/// How a set was trained: what `hwnas eval` needs to rebuild the same held-out split.
struct TrainingInfo {
  std::string regressor;                ///< kind of the per-type regressors ("mlp")
  std::uint64_t seed = 0;               ///< split and fit seed
  double train_fraction = 0.7;          ///< of each kernel type's measurements (the test share is the rest
  double validation_fraction = 0.15;    ///< after train and validation)
  std::vector<std::string> campaigns;   ///< measurement campaigns the kernels came from
  std::size_t kernels = 0;              ///< measured kernels used
  std::size_t networks = 0;             ///< measured whole networks the correction was fitted on
};

/// Prediction cache counters (since construction, load or clear_cache()).
struct CacheStats {
  std::uint64_t hits = 0;         ///< kernels whose latency was already cached when asked for
  std::uint64_t misses = 0;       ///< kernels that were not
  std::uint64_t evaluations = 0;  ///< distinct kernels the regressors evaluated
  std::size_t entries = 0;        ///< kernels cached now
};

class PredictorSet {
 public:
  static constexpr int kFormatVersion = 2;
  /// Version 1 sets predate the correction's per-type scales and read as having none.
  static constexpr int kOldestReadableFormatVersion = 1;
  static constexpr std::size_t kCacheCapacity = std::size_t{1} << 22;

  /// `fingerprint` is opaque to the set: JSON text (stored as JSON, read back in compact form) or any
  /// other string (stored as a string).
  PredictorSet(std::string platform, std::string fingerprint, FusionRules rules);
  ~PredictorSet();
  PredictorSet(PredictorSet&&) noexcept;
  PredictorSet& operator=(PredictorSet&&) noexcept;

  // ---- contents ----
  /// Adds or replaces the regressor of `kernel_type` (must be fitted) with its held-out metrics and
  /// the domain it may serve (see KernelDomain). Clears the cache.
  void set_regressor(const std::string& kernel_type, std::unique_ptr<KernelRegressor> regressor,
                     AccuracyReport metrics = {}, KernelDomain domain = KernelDomain::unbounded());
  /// The regressor for kernel types without one of their own and no sibling (see the file comment).
  void set_fallback(std::unique_ptr<KernelRegressor> regressor);
  void set_correction(std::optional<LatencyCorrection> correction) { correction_ = std::move(correction); }
  void set_training_info(std::optional<TrainingInfo> info) { training_ = std::move(info); }

  const std::string& platform() const { return platform_; }
  const std::string& fingerprint() const { return fingerprint_; }
  const FusionRules& fusion_rules() const { return rules_; }
  int feature_schema_version() const { return KernelFeatures::kVersion; }
  /// The platform's convolution dispatch, read from the fingerprint: what the kernel features of this
  /// set's regressors are computed under.
  ConvDispatch conv_dispatch() const { return conv_dispatch_; }
  /// KernelFeatures::of(config, conv_dispatch()): what this set's regressors see for `config`.
  FeatureVector features_of(const KernelConfig& config) const { return KernelFeatures::of(config, conv_dispatch_); }
  const std::optional<LatencyCorrection>& correction() const { return correction_; }
  const std::optional<TrainingInfo>& training_info() const { return training_; }
  /// Throws hwnas::Error, naming both, unless this set was trained on measurements of a platform with
  /// the fingerprint `fingerprint_json` (devices::PlatformFingerprint::to_json()): comparing it with
  /// measurements of another host, library or thread count would be comparing different things.
  void require_fingerprint(const std::string& fingerprint_json, const std::string& what) const;
  /// Kernel types with a regressor of their own, sorted.
  std::vector<std::string> kernel_types() const;
  /// The regressor of exactly this type, or nullptr.
  const KernelRegressor* regressor(const std::string& kernel_type) const;
  /// The domain given with the regressor of exactly this type (unbounded when it has none).
  const KernelDomain& domain(const std::string& kernel_type) const;
  const KernelRegressor* fallback() const { return fallback_.get(); }
  /// Held-out metrics per kernel type, as given to set_regressor().
  const std::map<std::string, AccuracyReport>& metrics() const { return metrics_; }

  // ---- files ----
  /// Writes the directory (created if needed; existing files of the same names are replaced).
  void save(const std::filesystem::path& dir) const;
  /// Reads and validates a directory written by save(). Throws a one-line hwnas::Error for a missing
  /// directory or manifest, malformed JSON, an unsupported format version, a feature schema version
  /// other than KernelFeatures::kVersion (naming both), a kernel type without a weights file, a weights
  /// file missing, truncated or of wrong dimensions (naming the file), or bad fusion rules.
  static PredictorSet load(const std::filesystem::path& dir);

  // ---- prediction ----
  /// Latency (ms) of one kernel, without the correction. Cached.
  double predict_kernel(const Kernel& kernel) const;
  /// Latencies (ms) of each kernel, without the correction. Uncached kernels are evaluated together:
  /// one batched regressor call per serving regressor.
  std::vector<double> kernel_latencies(const std::vector<Kernel>& kernels) const;
  /// A network's latency (ms): Σ kernel latencies, with the correction applied if one is set.
  double predict_kernels(const std::vector<Kernel>& kernels) const;
  /// What a kernel of `kernel_type` predicted at `kernel_ms` alone adds to a network's scaled sum: the
  /// correction's scale of that type times kernel_ms, or kernel_ms when the set has no correction.
  double in_network_ms(std::string_view kernel_type, double kernel_ms) const {
    return correction_ ? correction_->scale_of(kernel_type) * kernel_ms : kernel_ms;
  }
  /// A network's latency (ms) from the Σ in_network_ms() of its `n_kernels` kernels: the sum itself, or
  /// the correction applied to it if one is set.
  double network_latency(double scaled_sum_ms, std::size_t n_kernels) const {
    return correction_ ? correction_->apply(scaled_sum_ms, n_kernels) : scaled_sum_ms;
  }
  /// predict_kernels() of many networks at once: the uncached kernels of all of them are grouped by
  /// serving regressor and each group evaluated in one batched call.
  std::vector<double> predict_many(const std::vector<std::vector<Kernel>>& networks) const;
  /// Cuts `graph` with this set's fusion rules and predicts it (predict_kernels()).
  double predict_graph(const core::Graph& graph) const;

  /// Kernel types served by another regressor so far: requested type → serving type, or "<fallback>".
  std::map<std::string, std::string> substitutions() const;
  /// The type whose regressor serves `kernel_type` ("<fallback>" for the fallback regressor); throws
  /// hwnas::Error when none does.
  std::string serving_type(const std::string& kernel_type) const;

  CacheStats cache_stats() const;
  void clear_cache();

  struct Cache;  ///< prediction cache and its lock (defined in the .cpp)

 private:
  /// The regressor serving `kernel_type` and the type it belongs to (see the fallback rule).
  std::pair<const KernelRegressor*, std::string> resolve(const std::string& kernel_type) const;
  const KernelDomain& domain_of(const KernelRegressor* regressor) const;
  void note_out_of_domain(const std::string& kernel_type) const;
  /// Latencies of `kernels` into `out`: cache lookups, then one batched call per serving regressor.
  void evaluate(std::span<const Kernel* const> kernels, std::span<double> out) const;

  std::string platform_;
  std::string fingerprint_;
  ConvDispatch conv_dispatch_;
  FusionRules rules_;
  std::map<std::string, std::unique_ptr<KernelRegressor>> regressors_;
  std::map<std::string, AccuracyReport> metrics_;
  std::map<std::string, KernelDomain> domains_;
  std::unique_ptr<KernelRegressor> fallback_;
  std::optional<LatencyCorrection> correction_;
  std::optional<TrainingInfo> training_;
  std::unique_ptr<Cache> cache_;
};

}  // namespace hwnas::predictors
