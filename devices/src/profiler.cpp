#include "hwnas/devices/profiler.h"

#include <malloc.h>
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <mutex>
#include <numeric>
#include <random>

#include "hwnas/core/error.h"
#include "hwnas/devices/platform.h"

namespace hwnas::devices {
namespace {

using Clock = std::chrono::steady_clock;

double elapsed_ms(Clock::time_point start, Clock::time_point end) {
  return std::chrono::duration<double, std::milli>(end - start).count();
}

double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) * 1e-6;
}

// Involuntary context switches of every thread of this process (intra-op workers included).
long involuntary_switches() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_nivcsw;
}

// glibc returns freed blocks above a dynamic threshold to the kernel (munmap, heap trimming), so
// depending on what ran before, a run may page-fault its output buffers in afresh every time: a cost
// of the measuring order, not of the graph (seen here: a 0.3 ms conv measured at 8 ms). Pinning the
// thresholds keeps freed memory in the heap; a steady-state inference service sees the same.
void keep_freed_memory() {
  static std::once_flag once;
  std::call_once(once, [] {
    mallopt(M_MMAP_THRESHOLD, 32 << 20);  // the largest glibc accepts on 64-bit
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
  });
}

TimeSource resolve(TimeSource wanted, const PreparedGraph& graph) {
  if (wanted != TimeSource::kAuto) return wanted;
  return graph.single_threaded() ? TimeSource::kThreadCpuTime : TimeSource::kWallClock;
}

// Takes timed samples of one prepared graph.
struct Sampler {
  PreparedGraph& graph;
  const ProfileOptions& options;
  TimeSource source;
  int inner = 1;
  int preempted = 0;

  // `runs` runs back to back, per-run mean in ms.
  double timed(int runs) {
    if (source == TimeSource::kThreadCpuTime) {
      const double start = thread_cpu_ms();
      graph.run(runs);
      return (thread_cpu_ms() - start) / runs;
    }
    const auto start = Clock::now();
    graph.run(runs);
    return elapsed_ms(start, Clock::now()) / runs;
  }

  // A sample during which no thread of ours was preempted, if one comes within the tries and the
  // block's retry budget. Wall time would count the other process's turn; even CPU time is spoilt, as
  // it then includes refilling the caches that process evicted. The budget caps the cost for runs
  // longer than a scheduler time slice on a busy host, which are preempted whatever we do.
  double sample(int& retries_left) {
    if (!options.reject_preempted) return timed(inner);
    for (int attempt = 1;; ++attempt) {
      const long before = involuntary_switches();
      const double ms = timed(inner);
      if (involuntary_switches() == before) return ms;
      if (attempt >= options.max_sample_attempts || retries_left <= 0) {
        ++preempted;
        return ms;
      }
      --retries_left;
    }
  }

  // Warm-up, then the runs per sample so one sample lasts >= min_sample_ms.
  void warm_up_and_calibrate() {
    graph.activate();
    std::vector<double> times;
    const auto begin = Clock::now();
    while (static_cast<int>(times.size()) < options.warmup_runs ||
           elapsed_ms(begin, Clock::now()) < options.min_warmup_ms) {
      times.push_back(timed(1));
      if (times.size() > 100000) break;  // an empty graph: enough
    }
    if (times.empty()) times.push_back(timed(1));
    // The fastest of the last runs estimates one warm run (a preempted one would under-batch).
    const std::size_t tail = std::min<std::size_t>(times.size(), 5);
    const double per_run = std::max(1e-6, *std::min_element(times.end() - static_cast<long>(tail), times.end()));
    const double runs = std::ceil(options.min_sample_ms / per_run);
    inner = static_cast<int>(std::clamp(runs, 1.0, static_cast<double>(options.max_inner_iterations)));
  }

  // One block: block warm-up, then `repeats` timed samples.
  std::vector<double> block() {
    graph.activate();
    for (int i = 0; i < options.block_warmup_runs; ++i) graph.run(inner);
    std::vector<double> samples;
    samples.reserve(static_cast<std::size_t>(options.repeats));
    int retries_left = options.repeats;  // at most doubles the block's cost
    for (int i = 0; i < options.repeats; ++i) samples.push_back(sample(retries_left));
    return samples;
  }
};

}  // namespace

double quantile_sorted(const std::vector<double>& sorted, double q) {
  HWNAS_CHECK(!sorted.empty(), "quantile of no samples");
  HWNAS_CHECK(q >= 0 && q <= 1, "quantile {} is outside [0, 1]", q);
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const auto hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (pos - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

SampleStats summarize(std::vector<double> samples) {
  HWNAS_CHECK(!samples.empty(), "cannot summarize an empty set of samples");
  std::sort(samples.begin(), samples.end());
  SampleStats s;
  s.count = samples.size();
  s.min = samples.front();
  s.max = samples.back();
  s.q1 = quantile_sorted(samples, 0.25);
  s.median = quantile_sorted(samples, 0.5);
  s.q3 = quantile_sorted(samples, 0.75);
  s.mean = std::accumulate(samples.begin(), samples.end(), 0.0) / static_cast<double>(samples.size());
  s.spread = s.median > 0 ? (s.q3 - s.q1) / s.median : 0.0;
  return s;
}

Measurement merge_rounds(const std::vector<std::vector<double>>& rounds, RoundMerge merge) {
  std::vector<double> all, round_values;
  for (const auto& r : rounds) {
    if (r.empty()) continue;
    all.insert(all.end(), r.begin(), r.end());
    if (merge == RoundMerge::kMedianOfRoundMinima) round_values.push_back(*std::min_element(r.begin(), r.end()));
    if (merge == RoundMerge::kMedianOfRoundMedians) round_values.push_back(summarize(r).median);
  }
  HWNAS_CHECK(!all.empty(), "cannot merge rounds without samples");
  const SampleStats s = summarize(all);
  const SampleStats v = merge == RoundMerge::kMedianOfAllSamples ? s : summarize(round_values);
  Measurement m;
  m.median_ms = v.median;
  m.spread = v.spread;
  m.repeats = static_cast<int>(s.count);
  m.rounds = static_cast<int>(std::count_if(rounds.begin(), rounds.end(), [](const auto& r) { return !r.empty(); }));
  m.min_ms = s.min;
  m.q1_ms = s.q1;
  m.q3_ms = s.q3;
  m.max_ms = s.max;
  m.mean_ms = s.mean;
  m.round_samples = rounds;
  return m;
}

void validate(const ProfileOptions& o) {
  HWNAS_CHECK(o.warmup_runs >= 0, "profile option warmup_runs must be >= 0, got {}", o.warmup_runs);
  HWNAS_CHECK(o.min_warmup_ms >= 0, "profile option min_warmup_ms must be >= 0, got {}", o.min_warmup_ms);
  HWNAS_CHECK(o.block_warmup_runs >= 0, "profile option block_warmup_runs must be >= 0, got {}", o.block_warmup_runs);
  HWNAS_CHECK(o.repeats >= 1, "profile option repeats must be >= 1, got {}", o.repeats);
  HWNAS_CHECK(o.rounds >= 1, "profile option rounds must be >= 1, got {}", o.rounds);
  HWNAS_CHECK(o.preparations >= 1, "profile option preparations must be >= 1, got {}", o.preparations);
  HWNAS_CHECK(o.min_sample_ms >= 0, "profile option min_sample_ms must be >= 0, got {}", o.min_sample_ms);
  HWNAS_CHECK(o.max_inner_iterations >= 1, "profile option max_inner_iterations must be >= 1, got {}",
              o.max_inner_iterations);
  HWNAS_CHECK(o.max_sample_attempts >= 1, "profile option max_sample_attempts must be >= 1, got {}",
              o.max_sample_attempts);
  HWNAS_CHECK(o.max_rel_spread > 0, "profile option max_rel_spread must be > 0, got {}", o.max_rel_spread);
  HWNAS_CHECK(o.max_remeasure >= 0, "profile option max_remeasure must be >= 0, got {}", o.max_remeasure);
}

std::vector<Measurement> measure_interleaved(Platform& platform, const std::vector<core::Graph>& graphs,
                                             const ProfileOptions& options, const ProgressCallback& progress) {
  validate(options);
  keep_freed_memory();
  const std::size_t n = graphs.size();
  // samplers[p * n + i]: preparation p of graph i. More preparations than rounds would never run.
  const auto preparations = static_cast<std::size_t>(std::min(options.preparations, options.rounds));
  std::vector<std::unique_ptr<PreparedGraph>> prepared;
  std::vector<Sampler> samplers;
  prepared.reserve(n * preparations);
  samplers.reserve(n * preparations);
  for (std::size_t p = 0; p < preparations; ++p)
    for (std::size_t i = 0; i < n; ++i) {
      prepared.push_back(platform.prepare(graphs[i]));
      samplers.push_back(Sampler{*prepared.back(), options, resolve(options.time_source, *prepared.back())});
      samplers.back().warm_up_and_calibrate();
    }
  const auto sampler = [&](std::size_t graph, int round) -> Sampler& {
    return samplers[static_cast<std::size_t>(round) % preparations * n + graph];
  };

  std::mt19937_64 rng(options.seed);
  std::size_t blocks_done = 0;
  std::size_t blocks_planned = n * static_cast<std::size_t>(options.rounds);
  // Runs `rounds` interleaved rounds over the graphs `which` and returns one Measurement per entry.
  const auto run_rounds = [&](const std::vector<std::size_t>& which) {
    std::vector<std::vector<std::vector<double>>> samples(which.size());
    const auto preempted_of = [&](std::size_t graph) {
      int total = 0;
      for (std::size_t p = 0; p < preparations; ++p) total += samplers[p * n + graph].preempted;
      return total;
    };
    std::vector<int> preempted_before(which.size());
    for (std::size_t k = 0; k < which.size(); ++k) preempted_before[k] = preempted_of(which[k]);
    std::vector<std::size_t> order(which.size());
    std::iota(order.begin(), order.end(), 0);
    for (int r = 0; r < options.rounds; ++r) {
      std::shuffle(order.begin(), order.end(), rng);
      for (std::size_t k : order) {
        samples[k].push_back(sampler(which[k], r).block());
        if (progress) progress(++blocks_done, blocks_planned);
      }
    }
    std::vector<Measurement> out;
    for (std::size_t k = 0; k < which.size(); ++k) {
      const Sampler& s = sampler(which[k], 0);
      Measurement m = merge_rounds(samples[k], options.merge);
      m.inner_iterations = s.inner;
      m.preempted = preempted_of(which[k]) - preempted_before[k];
      m.time_source = s.source;
      m.stable = m.spread <= options.max_rel_spread;
      out.push_back(m);
    }
    return out;
  };

  std::vector<std::size_t> all(n);
  std::iota(all.begin(), all.end(), 0);
  std::vector<Measurement> result = run_rounds(all);
  for (int attempt = 1; attempt <= options.max_remeasure; ++attempt) {
    std::vector<std::size_t> noisy;
    for (std::size_t i = 0; i < n; ++i)
      if (!result[i].stable) noisy.push_back(i);
    if (noisy.empty()) break;
    blocks_planned += noisy.size() * static_cast<std::size_t>(options.rounds);
    const auto again = run_rounds(noisy);
    for (std::size_t k = 0; k < noisy.size(); ++k) {
      Measurement& kept = result[noisy[k]];
      const int remeasured = kept.remeasured + 1;
      if (again[k].spread < kept.spread) kept = again[k];
      kept.remeasured = remeasured;
    }
  }
  return result;
}

}  // namespace hwnas::devices
