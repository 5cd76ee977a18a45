#pragma once
/// Synthetic kernels and latencies from a known law, for testing and benchmarking the regressors
/// before (or besides) real measurements. Kernels are cut by the real decomposer from small graphs,
/// so their configs, features and keys are exactly what a real network gives.

#include <cstdint>
#include <string>
#include <vector>

#include "hwnas/predictors/kernels/kernel.h"
#include "hwnas/predictors/regressors/kernel_dataset.h"

namespace hwnas::predictors {

/// A known latency function of the features.
enum class SyntheticLaw {
  /// ms = 0.005 + MFLOPs / 8000 + (MB read + MB written) / 10: an 8 GFLOP/s, 10 GB/s machine.
  kLinear,
  /// As kLinear, but compute runs at 40% efficiency when the kernel has fewer than 48 input channels
  /// (a per-channel-count step that no linear function of FLOPs and bytes captures).
  kChannelStep,
};

/// The kernel types synthetic_kernels() builds: conv, conv-bn-relu, dwconv-bn-relu, fc, add, relu, maxpool.
const std::vector<std::string>& synthetic_kernel_types();

/// `count` kernels of `type` with random configurations in nn-Meter's ranges (HW in {7..224} with
/// channel counts shrinking as HW grows, K in {1,3,5,7}, S in {1,2}), the same for the same seed.
/// Throws hwnas::Error for a type outside synthetic_kernel_types().
std::vector<Kernel> synthetic_kernels(const std::string& type, std::size_t count, std::uint64_t seed);

/// The noise-free latency (ms) of a kernel with features `x` under `law`.
double synthetic_latency_ms(const FeatureVector& x, SyntheticLaw law);

/// Features of `kernels` with latencies from `law` times multiplicative log-normal noise
/// exp(N(0, noise_sigma²)) drawn from a generator seeded by `seed`. The features are those of a
/// kAlwaysBlocked platform, as is any predictor set built without a platform fingerprint.
KernelDataset synthetic_dataset(const std::vector<Kernel>& kernels, SyntheticLaw law, double noise_sigma,
                                std::uint64_t seed);

}  // namespace hwnas::predictors
