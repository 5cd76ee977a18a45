#pragma once
/// Where to measure: samplers that propose kernels for a platform's predictors.
///
/// * PriorSampler: the kernels that really occur in the registered search spaces, cut by the
///   platform's fusion rules, so predictors are trained where search will ask.
/// * RandomSampler: configurations drawn over declared ranges (log-uniform channels and resolutions,
///   the usual kernel sizes and strides), to cover what the spaces do not.
/// * AdaptiveSampler (nn-Meter): after a first fit, every config whose prediction error exceeds a
///   threshold spawns fine-grained neighbours (same HW/K/S, channels drawn from [0.5c, 1.2c)).

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "hwnas/predictors/kernels/fusion_rules.h"
#include "hwnas/predictors/sampling/kernel_sample.h"
#include "hwnas/spaces/search_space.h"

namespace hwnas::predictors {

using SamplerRng = std::mt19937_64;

struct PriorSamplerOptions {
  std::vector<std::string> spaces = {"nb201", "fbnet"};
  std::vector<spaces::SpaceOptions> space_options;  ///< per space, parallel to `spaces` (empty = defaults)
  int archs_per_space = 200;                        ///< random architectures decomposed per space
  std::vector<std::string> kernel_types;            ///< keep only these types (empty = all)
};

/// Samples architectures from each space, decomposes them under `rules`, and returns up to `count`
/// distinct kernels drawn uniformly from everything found (deterministic under the seed).
std::vector<KernelSample> sample_prior_kernels(const PriorSamplerOptions& options, const FusionRules& rules,
                                               std::size_t count, std::uint64_t seed);

struct IntRange {
  std::int64_t min = 1;
  std::int64_t max = 1;
};

struct RandomSamplerOptions {
  IntRange hw = {4, 224};     ///< input resolution, log-uniform
  IntRange cin = {8, 512};    ///< channels, log-uniform
  IntRange cout = {8, 512};   ///< output channels (conv, fc), log-uniform
  IntRange seq_len = {16, 256};
  /// Rows of an fc kernel's input, log-uniform: 1 is a classifier's vector, more are a transformer's
  /// tokens or a channels-last conv net's pixels (one GEMM either way). The default {1, 1} draws
  /// nothing, so campaigns written before it plan the same kernels.
  IntRange fc_rows = {1, 1};
  std::vector<std::int64_t> kernels = {1, 3, 5, 7};
  std::vector<std::int64_t> strides = {1, 2};
  std::vector<std::int64_t> pool_kernels = {2, 3};
};

/// Draws `count` distinct kernels of `type` over the ranges (deterministic under the seed). Channel
/// counts are rounded to multiples of 8 above 16 (as networks use), resolutions kept >= kernel size.
std::vector<KernelSample> sample_random_kernels(const std::string& type, const RandomSamplerOptions& options,
                                                std::size_t count, std::uint64_t seed);

struct AdaptiveSamplerOptions {
  double error_threshold = 0.10;  ///< relative error above which a config spawns neighbours
  int neighbours = 10;            ///< fine-grained configs per badly predicted config
};

/// Predicted latency of a kernel, in ms: whatever regressor the adaptive loop is refining.
using KernelLatencyFn = std::function<double(const KernelSample&)>;

/// One round of nn-Meter's adaptive sampling: for each measured sample whose prediction misses by more
/// than the threshold, proposes neighbours with the same HW, K and S and channels drawn from
/// [0.5c, 1.2c). Returns only kernels whose keys are not in `measured`.
std::vector<KernelSample> sample_adaptive_kernels(const std::vector<KernelSample>& measured,
                                                  const std::vector<double>& measured_ms,
                                                  const KernelLatencyFn& predict, const AdaptiveSamplerOptions& options,
                                                  std::uint64_t seed);

}  // namespace hwnas::predictors
