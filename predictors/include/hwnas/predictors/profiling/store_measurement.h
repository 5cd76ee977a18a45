#pragma once
/// Measuring graphs on a platform into the measurement store, chunk by chunk: what a campaign and a
/// platform calibration both do. Each chunk is measured interleaved (devices::measure_interleaved) and
/// committed in one transaction, so a kill loses at most one chunk and a rerun skips what is stored.

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "hwnas/core/graph.h"
#include "hwnas/devices/measurement_store.h"
#include "hwnas/devices/platform.h"
#include "hwnas/devices/profiler.h"
#include "hwnas/predictors/profiling/host_speed.h"

namespace hwnas::predictors {

/// One row still to be measured.
/// The profiler settings of hwnas's own campaigns (configs/campaign_*.yaml), lighter than the
/// profiler's defaults: kernels 5 samples x 6 rounds of >= 0.5 ms (~0.1-0.3 s a kernel here).
devices::ProfileOptions campaign_kernel_profile();
/// ... and whole networks, which run for milliseconds: 2 samples x 7 rounds of >= 1 ms (~1-3 s a network).
devices::ProfileOptions campaign_network_profile();

struct PendingMeasurement {
  std::string kernel_type;  ///< a kernel type, or kNetworkKernelType
  std::string config_key;   ///< the store's key (kernel_config_json() or a network key)
  const core::Graph* graph = nullptr;
  const devices::ProfileOptions* profile = nullptr;  ///< a chunk never mixes two settings
};

struct StoreMeasurementRun {
  std::size_t measured = 0;    ///< rows measured and committed
  std::size_t unstable = 0;    ///< of them, with a spread above the profiler's threshold
  std::vector<double> spreads;
  bool interrupted = false;    ///< stopped between chunks by SIGINT/SIGTERM (core::InterruptGuard)
  bool stopped = false;        ///< stopped between chunks because `stop` said so (a time budget, say)
  HostSpeedReport host_speed;  ///< how steady the host was (all zero when the sentinel is off)
};

/// Measures `todo` on `platform` into `store` under `campaign`, at most `chunk` rows per transaction.
/// `seed` (+ the chunk's offset) orders each chunk's interleaved blocks. `after_chunk(measured so far)`
/// runs after every commit. Stops between chunks when an interrupt was requested or `stop()` is true.
/// With `host_speed` enabled, every chunk also measures the sentinels (host_speed.h): a chunk measured
/// while the host was slow or unsteady is measured again after a wait, and the run reports how steady the
/// host was.
/// `continued_track` carries the host's fastest speed over from earlier calls (a calibration measures in
/// several); nullptr: this call learns it afresh.
StoreMeasurementRun measure_into_store(devices::Platform& platform, devices::MeasurementStore& store,
                                       std::span<const PendingMeasurement> todo, const std::string& campaign,
                                       std::uint64_t seed, std::size_t chunk,
                                       const std::function<void(std::size_t)>& after_chunk = {},
                                       const std::function<bool()>& stop = {},
                                       const HostSpeedOptions& host_speed = {},
                                       HostSpeedTrack* continued_track = nullptr);

}  // namespace hwnas::predictors
