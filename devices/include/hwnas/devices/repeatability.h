#pragma once
/// How repeatable the profiler is on this host: measure the same graphs twice, independently, and
/// count how many latencies agree.

#include <vector>

#include "hwnas/core/graph.h"
#include "hwnas/devices/platform.h"
#include "hwnas/devices/profiler.h"

namespace hwnas::devices {

struct RepeatabilityReport {
  std::vector<double> first_ms;   ///< per graph, first pass
  std::vector<double> second_ms;  ///< per graph, second pass
  std::vector<double> first_spread;   ///< per graph, the first pass's relative IQR (Measurement::spread)
  std::vector<double> second_spread;  ///< per graph, the second pass's
  std::vector<double> rel_diff;   ///< |a - b| / min(a, b) per graph
  std::size_t counted = 0;        ///< graphs with min(a, b) >= min_latency_ms, behind the fractions
  double within_5pct = 0;         ///< fraction of counted graphs with rel_diff <= 0.05
  double within_10pct = 0;        ///< ... <= 0.10
  double median_rel_diff = 0;     ///< over counted graphs
  /// Median of second / first - 1 over counted graphs: how much slower (> 0) or faster the whole host
  /// ran during the second pass. A shared host changes speed when its neighbours do; a drift shared by
  /// every kernel is the host, not the profiler's per-kernel noise.
  double host_drift = 0;
  double within_5pct_drift_removed = 0;  ///< within_5pct with every second-pass latency divided by 1 + host_drift
  double seconds_per_graph = 0;   ///< wall time of one pass (prepare + measure) divided by graph count
};

/// Compares two passes' measurements of the same graphs, in the same order (seconds_per_graph left 0).
/// Graphs faster than `min_latency_ms` in either pass are reported but not counted in the fractions.
/// Throws hwnas::Error when the passes differ in length.
RepeatabilityReport compare_passes(const std::vector<Measurement>& first, const std::vector<Measurement>& second,
                                   double min_latency_ms = 0.0);

/// Measures `graphs` twice with measure_interleaved (the second pass with seed + 1, so the block order
/// differs) and compares. Graphs faster than `min_latency_ms` in either pass are reported but not
/// counted in the fractions.
RepeatabilityReport check_repeatability(Platform& platform, const std::vector<core::Graph>& graphs,
                                        const ProfileOptions& options = {}, double min_latency_ms = 0.0);

/// A fixed set of 40 single-kernel graphs (batch 1): conv-bn-relu of varied sizes, depthwise conv,
/// linear, max/avg/global pools and elementwise ops, from ~1 us to a few ms on one core.
std::vector<core::Graph> reference_kernels();

}  // namespace hwnas::devices
