#pragma once
/// The profiler: robust latency measurement on a noisy, shared machine.
///
/// Noise control, in order:
/// 1. Warm-up: `warmup_runs` untimed runs, continued until `min_warmup_ms` has passed (first-run
///    allocations, oneDNN primitive creation, TorchScript profiling runs, CPU frequency ramp-up).
///    glibc is also told to keep freed memory (mallopt), or a run could page-fault its buffers in
///    afresh each time, depending on what ran before it.
/// 2. Batching: a timed sample runs the graph `inner` times back to back and records the per-run
///    mean, with `inner` chosen so a sample lasts >= `min_sample_ms` (1 ms by default; keep it
///    >= ~0.2 ms). Reading the clock costs ~25 ns (wall) to ~0.5 us (CPU clock, a system call), and a
///    single short run varies with cache and branch-predictor state and timer interrupts; batching
///    amortises the clock below 0.05 % and averages the per-run jitter. Measured here: per-round
///    minima of 1 ms samples agreed across passes far more often than those of 0.2 ms samples.
/// 3. Time source: with one intra-op thread, the run executes on the calling thread, so its CPU time
///    (CLOCK_THREAD_CPUTIME_ID) is the latency without the time other processes held the CPU: on a
///    2-core host under a load of 6, wall time of a 5 ms kernel was 2-2.5x its CPU time, which
///    itself stayed within a few %. Multi-threaded runs use std::chrono::steady_clock wall time.
/// 4. Preemption rejection: the process's involuntary context switches (getrusage) are read around
///    each sample; a sample during which the scheduler took the CPU away is retaken (up to
///    `max_sample_attempts` tries, and at most `repeats` retakes per block): its wall time includes
///    another process's turn, and even its CPU time includes refilling the caches that process evicted.
/// 5. Rounds: `rounds` blocks of `repeats` samples. measure_interleaved() runs the blocks of all
///    graphs round after round in a freshly shuffled order, so slow drifts (other processes, the
///    hypervisor) spread evenly over the graphs instead of biasing those measured at a bad moment.
///    With `preparations` > 1 each graph is prepared that many times and round r runs preparation
///    r mod preparations, so the rounds sample where its tensors landed in memory as they sample time,
///    and the median of step 6 outvotes an unlucky placement. Off by default: eight preparations of
///    a kernel, interleaved, mostly agreed within 2% here (one of eight of a 144-channel depthwise
///    conv ran 7% slower, steady in itself), and in five alternating `hwnas profile --repeatability`
///    runs on a busy host 1, 3 and 6 preparations put a median 88.6%, 82.4% and 94.1% of kernels
///    within 5%: the passes' disagreements are the host's phases, which slow some kernels far more
///    than others (native-path convs 2x, depthwise ones 20%), not placement.
/// 6. A robust statistic: by default the median over rounds of each round's fastest sample (see
///    RoundMerge), with spread = (Q3 - Q1) / median of those per-round values. Interference only ever
///    adds time, so within a round the fastest sample is the one least disturbed; the median across
///    rounds then ignores rounds that were disturbed throughout.
/// 7. Re-measurement: a graph whose spread exceeds `max_rel_spread` is measured again (fresh rounds,
///    up to `max_remeasure` times); the attempt with the lowest spread is kept.

#include <cstdint>
#include <functional>
#include <vector>

#include "hwnas/core/graph.h"

namespace hwnas::devices {

class Platform;
class PreparedGraph;

/// What a timed sample measures.
enum class TimeSource {
  kAuto,           ///< kThreadCpuTime when the prepared graph runs on the calling thread only, else kWallClock
  kWallClock,      ///< std::chrono::steady_clock elapsed time
  kThreadCpuTime,  ///< CPU time of the calling thread (CLOCK_THREAD_CPUTIME_ID): immune to preemption
};

/// How the samples of several rounds become one latency: always a median, over these values.
enum class RoundMerge {
  kMedianOfRoundMinima,   ///< each round's fastest sample: drops interference local to a round
  kMedianOfRoundMedians,  ///< each round's median
  kMedianOfAllSamples,    ///< every sample of every round
};

struct ProfileOptions {
  int warmup_runs = 3;             ///< untimed runs before calibration
  double min_warmup_ms = 10.0;     ///< ... continued until this much time has passed
  int block_warmup_runs = 1;       ///< untimed samples at the start of each block (caches after a switch)
  int repeats = 5;                 ///< timed samples per round
  int rounds = 12;                 ///< blocks of `repeats` samples, interleaved across graphs
  int preparations = 1;            ///< separate preparations of each graph, taking turns across rounds
  double min_sample_ms = 1.0;      ///< each timed sample lasts at least this (batches of inner runs)
  int max_inner_iterations = 4096; ///< cap on runs per sample
  TimeSource time_source = TimeSource::kAuto;
  bool reject_preempted = true;    ///< retake a sample during which the process was preempted
  int max_sample_attempts = 4;     ///< tries per sample before a preempted one is kept anyway
  double max_rel_spread = 0.05;    ///< re-measure a graph whose spread exceeds this
  int max_remeasure = 1;           ///< at most this many re-measurements per graph
  RoundMerge merge = RoundMerge::kMedianOfRoundMinima;
  std::uint64_t seed = 0;          ///< seeds the block order of measure_interleaved
};

/// Order statistics of a set of samples (milliseconds). Quantiles interpolate linearly between order
/// statistics (numpy's default "linear" method).
struct SampleStats {
  std::size_t count = 0;
  double min = 0, q1 = 0, median = 0, q3 = 0, max = 0, mean = 0;
  double spread = 0;  ///< relative interquartile range: (q3 - q1) / median (0 when median is 0)
};

/// Summary of `samples`; throws hwnas::Error when empty.
SampleStats summarize(std::vector<double> samples);
/// Linear-interpolated quantile q in [0, 1] of sorted samples.
double quantile_sorted(const std::vector<double>& sorted, double q);

/// The latency of one graph on one platform.
struct Measurement {
  double median_ms = 0;        ///< the robust latency: median of the values options.merge names
  double spread = 0;           ///< relative IQR, (Q3 - Q1) / median, of those same values
  int repeats = 0;             ///< timed samples behind median_ms (repeats x rounds)
  int rounds = 0;
  int inner_iterations = 1;    ///< runs per timed sample (of the first preparation; each calibrates its own)
  int remeasured = 0;          ///< re-measurements triggered by a high spread
  int preempted = 0;           ///< samples kept although preempted (every attempt was)
  TimeSource time_source = TimeSource::kWallClock;  ///< what the samples measured (never kAuto)
  bool stable = true;          ///< spread <= max_rel_spread in the kept attempt
  double min_ms = 0, q1_ms = 0, q3_ms = 0, max_ms = 0, mean_ms = 0;  ///< over all samples
  std::vector<std::vector<double>> round_samples;  ///< the samples (ms per run) behind it, per round
};

/// Merges per-round samples (ms) into a Measurement: median_ms and spread over the values `merge`
/// names, min/q1/q3/max/mean over all samples. Throws hwnas::Error when there is no sample.
Measurement merge_rounds(const std::vector<std::vector<double>>& rounds, RoundMerge merge);

/// progress(done, total): blocks of timed runs done so far, out of the blocks planned now (a
/// re-measurement adds blocks).
using ProgressCallback = std::function<void(std::size_t done, std::size_t total)>;

/// Prepares every graph min(preparations, rounds) times on `platform`, then measures them all with
/// interleaved, shuffled rounds (see the file comment). One Measurement per graph, in input order.
std::vector<Measurement> measure_interleaved(Platform& platform, const std::vector<core::Graph>& graphs,
                                             const ProfileOptions& options = {},
                                             const ProgressCallback& progress = {});

/// Validates options; throws hwnas::Error naming the bad field.
void validate(const ProfileOptions& options);

}  // namespace hwnas::devices
