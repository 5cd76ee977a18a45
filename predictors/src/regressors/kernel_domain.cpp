#include "hwnas/predictors/regressors/kernel_domain.h"

#include <algorithm>
#include <limits>

namespace hwnas::predictors {
namespace {

// KernelFeatures columns of the work a regressor's domain bounds.
constexpr std::size_t kMflops = 9, kMbRead = 11, kInKelements = 13;

}  // namespace

KernelDomain KernelDomain::unbounded() {
  const double inf = std::numeric_limits<double>::infinity();
  return {inf, inf, inf};
}

KernelDomain KernelDomain::of(const KernelDataset& data) {
  KernelDomain d;
  for (const auto& x : data.x) {
    d.max_mflops = std::max(d.max_mflops, x[kMflops]);
    d.max_mb_read = std::max(d.max_mb_read, x[kMbRead]);
    d.max_in_kelements = std::max(d.max_in_kelements, x[kInKelements]);
  }
  return d;
}

KernelDomain KernelDomain::merged(const KernelDomain& other) const {
  return {std::max(max_mflops, other.max_mflops), std::max(max_mb_read, other.max_mb_read),
          std::max(max_in_kelements, other.max_in_kelements)};
}

bool KernelDomain::contains(const FeatureVector& x) const {
  return x[kMflops] <= kReach * max_mflops && x[kMbRead] <= kReach * max_mb_read &&
         x[kInKelements] <= kReach * max_in_kelements;
}

KernelDataset KernelDomain::rows_within(const KernelDataset& data) const {
  KernelDataset out;
  for (std::size_t i = 0; i < data.size(); ++i)
    if (contains(data.x[i])) out.add(data.x[i], data.latency_ms[i]);
  return out;
}

KernelDataset validation_within_reach(const KernelDataset& train, const KernelDataset& validation) {
  KernelDataset within = KernelDomain::of(train).rows_within(validation);
  return within.empty() ? train : within;
}

}  // namespace hwnas::predictors
