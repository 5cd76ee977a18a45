#pragma once
/// Training data of a kernel latency regressor: feature vectors (KernelFeatures layout) and measured
/// latencies, with a seeded train/validation/test split and a CSV form for exchanging measurements.

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "hwnas/predictors/kernels/kernel_features.h"

namespace hwnas::predictors {

/// One kernel's features, in the order of KernelFeatures::names().
using FeatureVector = std::array<double, KernelFeatures::kSize>;

struct KernelDataset {
  std::vector<FeatureVector> x;
  std::vector<double> latency_ms;  ///< measured latency of x[i], milliseconds, > 0

  std::size_t size() const { return x.size(); }
  bool empty() const { return x.empty(); }
  void add(const FeatureVector& features, double ms);
  /// The rows at `indices`, in that order.
  KernelDataset subset(const std::vector<std::size_t>& indices) const;
  /// Throws hwnas::Error (prefixed by `what`) if x and latency_ms differ in length or a latency is not a
  /// finite positive number or a feature is not finite.
  void validate(const std::string& what) const;
};

struct DatasetSplit {
  KernelDataset train;
  KernelDataset validation;
  KernelDataset test;
};

/// Fractions of a split; the test share is what remains (1 - train - validation).
struct SplitFractions {
  double train = 0.7;
  double validation = 0.15;
};

/// Shuffles the rows with a seeded generator (std::mt19937_64) and cuts them into train, validation
/// and test. With at least 3 rows, validation and test each get at least one row when their
/// fraction is positive. The same data and seed give the same split.
DatasetSplit split_dataset(const KernelDataset& data, SplitFractions fractions = {}, std::uint64_t seed = 0);

/// Reads measurements as CSV with the header `kernel_type,<KernelFeatures::names()...>,latency_ms`
/// (columns in exactly that order), one kernel per row; returns one dataset per kernel type.
/// Throws hwnas::Error naming the file and line of a bad header, row or number.
std::map<std::string, KernelDataset> read_kernel_csv(const std::filesystem::path& path);

/// Writes datasets in the layout read_kernel_csv() reads (numbers with round-trip precision).
void write_kernel_csv(const std::map<std::string, KernelDataset>& datasets, const std::filesystem::path& path);

}  // namespace hwnas::predictors
