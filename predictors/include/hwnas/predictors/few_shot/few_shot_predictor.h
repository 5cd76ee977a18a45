#pragma once
/// Few-shot latency prediction on a new device from ~10 measured architectures (HELP / Multi-Predict's
/// task), designed by measurement (bench/few_shot_bench):
///
/// 1. Pre-training: for every known device of the public tables, a linear head on the architecture
///    encoding (arch_encoding.h) predicting log latency, fitted on all the table's architectures.
///    A head is the device's learned embedding.
/// 2. Calibration on N measured architectures of the new device: the training device whose head's log
///    predictions correlate best (Pearson) with the N measured log latencies is the starting point,
///    i.e. the one with the least squared log error once mapped affinely; an affine map of its log
///    predictions is fitted to the N (the device is uniformly faster or slower), and the head is then
///    fine-tuned by ridge regression pulled towards that start, with the pull chosen by leave-one-out
///    error on the N samples (the strongest pull within one standard error of the lowest): with few
///    samples the head barely moves, with more it learns the device.
///
/// A calibrated device is a directory with one manifest.json (format "hwnas-few-shot-device").

#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "hwnas/predictors/few_shot/arch_encoding.h"
#include "hwnas/predictors/few_shot/device_latency_table.h"

namespace hwnas::predictors {

/// Spearman rank correlation (ties get their average rank); throws hwnas::Error for lengths that
/// differ or are below 2.
double spearman(std::span<const double> a, std::span<const double> b);

struct DeviceHeads {
  std::vector<std::string> devices;
  std::vector<std::vector<double>> weights;  ///< per device: one weight per encoding feature
};

/// One head per device of `table` not in `exclude`; `encoded` is the table's architectures encoded
/// (row-major, `dim` features each).
DeviceHeads pretrain_device_heads(const DeviceLatencyTable& table, const std::vector<double>& encoded, std::size_t dim,
                                  const std::vector<std::string>& exclude);

struct FewShotDevice {
  static constexpr int kFormatVersion = 1;
  std::string space;
  std::string local_predictors;             ///< predictor set behind the log_local_ms feature
  std::vector<std::string> feature_names;   ///< the encoding it was calibrated with
  std::vector<double> weights;
  std::string reference_device;             ///< the training device it started from
  double reference_spearman = 0;            ///< that device's rank correlation on the samples
  double ridge = 0;                         ///< the pull towards the start that leave-one-out chose
  std::size_t samples = 0;

  /// The encoder of `space` this device predicts from (its local predictor set loaded by name).
  /// Throws hwnas::Error, naming the device by `where`, when it was calibrated for another space or
  /// with another encoding (its local predictor set changed since).
  ArchEncoder encoder(const spaces::SearchSpace& space, const std::string& where) const;
  /// Predicted latencies (ms) of encoded architectures (row-major, feature_names.size() each).
  std::vector<double> predict(const std::vector<double>& encoded) const;
  void save(const std::filesystem::path& dir) const;
  /// Throws hwnas::Error naming the file when it is missing, not a few-shot device or malformed.
  static FewShotDevice load(const std::filesystem::path& dir);
  /// Whether `dir` holds a few-shot device (rather than a kernel predictor set).
  static bool is_few_shot_dir(const std::filesystem::path& dir);
};

/// Calibrates a new device from `latency_ms` of the architectures encoded in `encoded` (N rows,
/// N >= 5). Throws hwnas::Error for fewer than 5 samples.
FewShotDevice calibrate_few_shot(const DeviceHeads& heads, const std::vector<double>& encoded,
                                 const std::vector<double>& latency_ms, std::size_t dim);

/// The "most correlated training device" baseline: its head's predictions, mapped affinely in log space
/// to the samples (the same ranks as that device).
FewShotDevice reference_device_only(const DeviceHeads& heads, const std::vector<double>& encoded,
                                    const std::vector<double>& latency_ms, std::size_t dim);

}  // namespace hwnas::predictors
