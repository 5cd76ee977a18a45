#pragma once
/// How repeatable the latencies a campaign stores are: the profiler's repeatability check
/// (devices/repeatability.h) with each pass measured the way a campaign measures into its store
/// (measure_into_store): the pass's graphs interleaved with the host-speed sentinels, a pass measured
/// while the host ran slow or unsteady measured again after a wait, and at the end a pass that the
/// other pass's faster sentinels show to have been slow measured once more.
///
/// The plain check times two passes a few seconds apart, and a slow phase of this shared host (20-80 s
/// long, LibTorch's native-path convolutions up to 2x slower and the rest 1.2-1.5x;
/// data/measurements/README.md) can cover one pass whole: the plain check then reports the host, not
/// the profiler. Every campaign row is guarded against such phases by the sentinels, so this check is
/// the repeatability of the ground truth the predictors train on.
///
/// Measured on 2026-11-24 (`hwnas profile --repeatability [--watch-host]`, libtorch-cpu-t1, runs
/// alternating with the plain check; kernels >= 50 us within 5%), it agrees no better than the plain
/// check: watched 94.3, 97.1, 91.2, 100, 82.9 and 61.8% against plain 74.3, 97.1, 94.3, 74.3, 91.4 and
/// 100% (medians 92.8% and 92.9%); with the sentinels' tolerance at 5% (`--host-tolerance 0.05`) 76.5,
/// 88.2, 82.9, 79.4, 88.6 and 17.6% against 85.7, 97.1, 100, 88.6, 68.6 and 71.4%. The passes' differences
/// are mostly below any tolerance the sentinels' own noise allows (a lone sentinel moved up to 45%
/// between passes), and they strike kernel classes unequally: in the 61.8% run, 13 kernels ran 5-10%
/// slower in the second pass while the sentinels' median moved 0.3%. Dividing each kernel by its own
/// class's sentinel (a scratch probe, ten passes) put 77.3% of pairs within 5% against 84.8% as measured.

#include <vector>

#include "hwnas/core/graph.h"
#include "hwnas/devices/platform.h"
#include "hwnas/devices/profiler.h"
#include "hwnas/devices/repeatability.h"
#include "hwnas/predictors/profiling/host_speed.h"

namespace hwnas::predictors {

struct StoreRepeatabilityReport {
  /// The two passes compared; seconds_per_graph includes the sentinels, waits and re-measurements.
  devices::RepeatabilityReport agreement;
  HostSpeedReport host_speed;  ///< what the sentinels saw: one chunk per pass
};

/// Measures `graphs` twice, each pass one chunk of measure_into_store (into a store in memory, thrown
/// away) with `profile` and `host_speed`, and compares the passes (devices::compare_passes). Throws
/// hwnas::Error when the measurement was interrupted before both passes were measured.
StoreRepeatabilityReport check_store_repeatability(devices::Platform& platform, const std::vector<core::Graph>& graphs,
                                                   const devices::ProfileOptions& profile,
                                                   const HostSpeedOptions& host_speed = {},
                                                   double min_latency_ms = 0.0);

}  // namespace hwnas::predictors
