#pragma once
/// The host's speed while a store is filled, watched through a sentinel kernel.
///
/// The profiler's spread catches noise among a chunk's rounds, seconds apart; it cannot see the whole
/// host turning slower for minutes. On this shared 2-core VM, a 10-minute `hwnas calibrate --platform
/// opencv-cpu-t1` measured the same configs as an earlier run 1.05x slower in some minutes and 1.9x in
/// others (in CPU time), while reporting a median spread of 2.75%. The same kernel configs measured on a steady host trained to 79% of held-out kernels
/// within ±10%; the mixed data trained to 20% (hswish, a single elementwise op, to 19%).
///
/// So every chunk also measures a few fixed kernels, the sentinels, interleaved with the chunk's own
/// graphs. The median over the sentinels of each one's latency against its fastest in this run is the
/// host's slowdown while the chunk was measured: a slow chunk is measured again after a wait, and what
/// stays slow is counted and reported. One sentinel is not enough: a lone 3x3 convolution on
/// opencv-cpu-t1 switched between 0.19 and 0.28 ms from one preparation to the next while the other
/// kernels measured beside it moved by 0-7% (`bench/host_speed_bench`), and flagged most chunks of a
/// calibration as slow.
///
/// Load can also come in bursts that scatter a chunk's rounds more than they move the sentinels' medians.
/// On 2026-11-23 a chunk of 40 MobileNet networks was stored with spreads of 1.5-64% (median 33%; 36 of
/// them above the profiler's 5% threshold), and no rule here looked at that. So a chunk most of whose
/// graphs stay above the profiler's spread threshold (after its own re-measurement) now counts as
/// measured on an unsteady host: it is waited out and measured again like a slow one, and of two
/// measurements the less disturbed is kept.

#include <cstddef>
#include <string>
#include <vector>

#include "hwnas/core/graph.h"

namespace hwnas::predictors {

struct HostSpeedOptions {
  bool enabled = true;
  /// A chunk whose sentinels are (in their median) more than this much slower than their fastest was
  /// measured on a slow host: above their own noise (spreads of ~1-3% here), far below the slowdowns
  /// seen (35-110%).
  double tolerance = 0.10;
  int max_waits = 2;               ///< waits, each followed by measuring the chunk again, before it is kept
  double first_wait_seconds = 5;   ///< the first wait; each further one doubles
  /// After this many chunks in a row were kept slow, the host is in a slow phase that lasts minutes, and
  /// waiting seconds does not end it: chunks are then kept without waiting (the final sweep remains), so
  /// a time budget is spent measuring. Waiting resumes after the first chunk that is not slow.
  int slow_phase_chunks = 3;
  /// After the last chunk, measure once more every chunk that was kept slow or that faster sentinels
  /// later showed to be slow (a run that starts on a slow host learns the host's speed only later); the
  /// sweep ends early when slow_phase_chunks of its re-measurements in a row are slow still.
  bool final_sweep = true;
  /// A chunk in which more than this share of the graphs stayed above the profiler's spread threshold
  /// was measured on an unsteady host (a few such graphs per chunk are normal here: 5-8%). 1 turns the
  /// rule off.
  double max_unstable_share = 0.5;
};

/// Throws hwnas::Error naming the field when an option is out of range.
void validate(const HostSpeedOptions& options);

/// The sentinels: five kernels of 0.01-0.3 ms on one thread here that every platform can run, compute-
/// and memory-bound (a 3x3 convolution, a depthwise one, a linear layer, a max pool, an add).
std::vector<core::Graph> host_speed_sentinels();

/// A run's sentinel latencies, one value per sentinel per chunk.
class HostSpeedTrack {
 public:
  /// Records one chunk's sentinel latencies (each > 0 ms, as many as the first call had).
  void observe(const std::vector<double>& sentinel_ms);
  /// The median over the sentinels of latency / that sentinel's fastest seen so far, minus 1: how much
  /// slower than its best the host ran (0 before anything was observed).
  double slowdown(const std::vector<double>& sentinel_ms) const;
  const std::vector<double>& fastest_ms() const { return fastest_ms_; }

 private:
  std::vector<double> fastest_ms_;
};

/// What the sentinel saw while a store was filled.
struct HostSpeedReport {
  /// Per committed chunk, its slowdown against the fastest sentinel at the end of the run.
  std::vector<double> chunk_slowdowns;
  std::size_t discarded = 0;       ///< chunk measurements thrown away because the host was slow or unsteady
  std::size_t kept_slow = 0;       ///< chunks committed slower than the tolerance (after every wait and the sweep)
  std::size_t kept_unsteady = 0;   ///< chunks committed unsteady (more than max_unstable_share unstable graphs)
  double waited_seconds = 0;       ///< spent waiting for the host to recover

  double median_slowdown() const;  ///< 0 when no chunk was measured
  double max_slowdown() const;
  /// Appends a later run's report (one that continued the same HostSpeedTrack).
  void add(const HostSpeedReport& later);
};

/// One line for a command's summary: chunks, median and worst slowdown, discarded measurements, time
/// spent waiting, and chunks kept slow or unsteady.
std::string describe(const HostSpeedReport& report, const HostSpeedOptions& options);

}  // namespace hwnas::predictors
