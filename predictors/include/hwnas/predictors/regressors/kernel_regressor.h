#pragma once
/// The interface of a kernel latency regressor: learns latency (ms) of one kernel type from its
/// KernelFeatures, predicts one or many kernels, and saves to / loads from a file.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "hwnas/predictors/regressors/kernel_dataset.h"

namespace hwnas::predictors {

/// Options every regressor's fit() honours; model-specific hyper-parameters live in each
/// implementation's own options struct.
struct FitOptions {
  std::uint64_t seed = 0;  ///< seeds initialisation, shuffling and sub-sampling: same seed, same model
  /// Threads used while fitting. 1 (default) makes training bit-for-bit reproducible; the MLP sets
  /// LibTorch's process-wide intra-op thread count to this for the duration of fit().
  int threads = 1;
  bool verbose = false;  ///< print progress to stderr
};

/// What a fit did.
struct FitSummary {
  int epochs = 0;                  ///< epochs (MLP) or boosting rounds (trees) run; 1 for closed forms
  int best_epoch = 0;              ///< the epoch / round whose parameters were kept
  double validation_mape = 0;      ///< MAPE (fraction) of the kept model on the validation set
  double seconds = 0;              ///< wall-clock time of the fit
};

/// How save() encodes a regressor file. kAuto picks text JSON for a `.json` extension, else CBOR.
enum class RegressorEncoding { kAuto, kJson, kCbor };

class KernelRegressor {
 public:
  virtual ~KernelRegressor() = default;

  /// Short name of the implementation: "mlp", "mlp_ensemble", "mlp_per_path", "linear" or "tree" (see
  /// regressor_kinds()).
  virtual std::string_view kind() const = 0;

  /// Learns from `train`; `validation` steers early stopping / model selection where the model has any
  /// (it may be empty: then the training set is used for that). Throws hwnas::Error on empty or invalid
  /// training data. Refitting replaces the previous model.
  virtual FitSummary fit(const KernelDataset& train, const KernelDataset& validation, const FitOptions& options) = 0;

  /// True once fit() or a load has given the regressor parameters.
  virtual bool fitted() const = 0;

  /// Predicted latencies (ms) of `x` written to `out` (same length). Const and thread-safe.
  /// Throws hwnas::Error if the regressor is not fitted.
  virtual void predict_into(std::span<const FeatureVector> x, std::span<double> out) const = 0;

  /// Predicted latency (ms) of one kernel.
  double predict(const FeatureVector& x) const;
  /// Predicted latencies (ms) of many kernels, evaluated together.
  std::vector<double> predict_batch(std::span<const FeatureVector> x) const;

  virtual std::unique_ptr<KernelRegressor> clone() const = 0;

  /// The full state (options and parameters) as JSON; load_state() of the same kind restores it.
  virtual nlohmann::json to_json() const = 0;
  /// Replaces the state by one written by to_json(); throws hwnas::Error (prefixed by `what`, e.g. the
  /// file name) on a missing field or inconsistent dimensions.
  virtual void load_state(const nlohmann::json& state, const std::string& what) = 0;

  /// Writes the regressor to `path` with a header (format, kind, feature schema version and size).
  void save(const std::filesystem::path& path, RegressorEncoding encoding = RegressorEncoding::kAuto) const;

  /// Reads a regressor written by save(), of any kind (JSON or CBOR, detected from the content).
  /// Throws hwnas::Error naming the file when it is missing, truncated or corrupt, of another feature
  /// schema version, or has parameters of the wrong dimensions.
  static std::unique_ptr<KernelRegressor> load(const std::filesystem::path& path);
};

/// The kinds make_regressor() knows, sorted ("linear", "mlp", "mlp_ensemble", "mlp_per_path", and "tree"
/// when built with XGBoost).
std::vector<std::string> regressor_kinds();

/// A regressor of `kind` with default options; throws hwnas::Error listing the valid kinds.
std::unique_ptr<KernelRegressor> make_regressor(std::string_view kind);

struct MlpOptions;
/// The same, with `mlp` as the network and schedule of the MLP kinds (every member of an ensemble, every
/// path's ensemble); the other kinds ignore it.
std::unique_ptr<KernelRegressor> make_regressor(std::string_view kind, const MlpOptions& mlp);

/// Whether the XGBoost tree ensemble was compiled in.
bool have_tree_regressor();

/// Latency floor (ms) every regressor clamps its predictions to: a latency is never zero or negative.
inline constexpr double kMinLatencyMs = 1e-6;

}  // namespace hwnas::predictors
