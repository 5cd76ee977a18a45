#pragma once

#include "hwnas/predictors/regressors/kernel_dataset.h"

namespace hwnas::predictors {

/// The range of work a kernel type's regressor was trained on. A learned regressor is trusted only
/// up to kReach times beyond it: past that (VGG's 100M-parameter fc against fcs of at most 0.3M
/// measured), an MLP on log features extrapolates exponentially, so the set serves such a kernel with
/// its fallback law instead, which scales with FLOPs and bytes (and warns once per type).
struct KernelDomain {
  static constexpr double kReach = 2.0;
  double max_mflops = 0;
  double max_mb_read = 0;
  double max_in_kelements = 0;
  /// No limits: what a regressor without a recorded domain gets.
  static KernelDomain unbounded();
  /// The range covered by `data` (KernelFeatures layout).
  static KernelDomain of(const KernelDataset& data);
  /// The smallest domain holding both.
  KernelDomain merged(const KernelDomain& other) const;
  bool contains(const FeatureVector& x) const;
  /// The rows of `data` this domain contains.
  KernelDataset rows_within(const KernelDataset& data) const;
};

/// What early stopping should judge a fit by: the kernels of `validation` within reach of `train`
/// (all of `train` when none is). Beyond that reach a set serves its fallback law instead, and one
/// kernel extrapolated there, its relative error unbounded above, could otherwise choose the epoch
/// alone: a 1280x1000 fc 7x past the largest trained one kept epoch 2 of 300, and the t1 set's
/// held-out fc kernels fell to 12% within ±10%.
KernelDataset validation_within_reach(const KernelDataset& train, const KernelDataset& validation);

}  // namespace hwnas::predictors
