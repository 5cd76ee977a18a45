#pragma once
/// Is a measurement store still true of this host? Re-measures a random sample of its kernels of each
/// campaign now and compares with what is stored. A shared host changes speed with its neighbours,
/// and a store filled over hours or days can hold campaigns measured in different states of the host:
/// a predictor trained across them learns the disagreement. The report says how far each campaign is
/// from the host as it is now.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "hwnas/devices/measurement_store.h"
#include "hwnas/devices/platform.h"
#include "hwnas/devices/profiler.h"
#include "hwnas/predictors/profiling/store_measurement.h"

namespace hwnas::predictors {

struct StoreRecheckOptions {
  std::size_t samples_per_campaign = 20;  ///< kernels drawn (without replacement) from each campaign
  std::uint64_t seed = 1;                 ///< which kernels are drawn
  /// The campaigns' settings by default (campaign_kernel_profile()): re-measuring the way the rows were
  /// measured, so any difference is the host's.
  devices::ProfileOptions profile = campaign_kernel_profile();
  double min_latency_ms = 0.05;  ///< kernels faster than this (stored or now) are listed, not counted
};

struct RecheckedKernel {
  std::string campaign;
  std::string kernel_type;
  std::string config_key;
  double stored_ms = 0;
  double now_ms = 0;
  double now_spread = 0;  ///< the profiler's spread of the new measurement
};

/// Agreement of stored and new latencies over a set of rechecked kernels (those >= min_latency_ms).
struct RecheckAgreement {
  std::size_t counted = 0;
  double median_ratio = 0;  ///< median of now / stored: > 1 means the host is slower now
  double within_5 = 0;      ///< share with |now - stored| / min(now, stored) <= 5%
  double within_10 = 0;
};

struct StoreRecheckReport {
  std::vector<RecheckedKernel> kernels;
  RecheckAgreement all;
  std::map<std::string, RecheckAgreement> by_campaign;
  double seconds = 0;
};

/// Rechecks the kernel rows (whole networks excluded) of `platform`'s fingerprint in `store`. Throws
/// hwnas::Error when the store has no such rows, or when they were measured under another fingerprint
/// than the platform has now (another host, library or thread count: nothing to compare).
StoreRecheckReport recheck_store(devices::Platform& platform, const devices::MeasurementStore& store,
                                 const StoreRecheckOptions& options = {},
                                 const devices::ProgressCallback& progress = {});

}  // namespace hwnas::predictors
