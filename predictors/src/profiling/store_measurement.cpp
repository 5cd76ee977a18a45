#include "hwnas/predictors/profiling/store_measurement.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

#include <fmt/core.h>

#include "hwnas/core/interrupt.h"
#include "hwnas/core/statistics.h"

namespace hwnas::predictors {

devices::ProfileOptions campaign_kernel_profile() {
  devices::ProfileOptions o;
  o.repeats = 5;
  o.rounds = 6;
  o.min_sample_ms = 0.5;
  return o;
}

devices::ProfileOptions campaign_network_profile() {
  devices::ProfileOptions o;
  o.repeats = 2;
  o.rounds = 7;
  o.min_sample_ms = 1;
  return o;
}

namespace {

using Clock = std::chrono::steady_clock;

/// What a chunk's measurement says of the host while it ran: its sentinels' latencies (none when they
/// are off), and how many of its own graphs stayed above the profiler's spread threshold.
struct ChunkHealth {
  std::vector<double> sentinel_ms;
  std::size_t unstable = 0;
  std::size_t graphs = 0;
};

/// One chunk's measurements and its health.
struct ChunkMeasurement {
  std::vector<devices::Measurement> graphs;
  ChunkHealth health;
};

/// Sleeps `seconds` in short steps; false (early) when an interrupt was requested or `stop` says so.
bool wait_for_host(double seconds, const std::function<bool()>& stop) {
  const auto until = Clock::now() + std::chrono::duration<double>(seconds);
  while (Clock::now() < until) {
    if (core::InterruptGuard::requested() || (stop && stop())) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return true;
}

}  // namespace

StoreMeasurementRun measure_into_store(devices::Platform& platform, devices::MeasurementStore& store,
                                       std::span<const PendingMeasurement> todo, const std::string& campaign,
                                       std::uint64_t seed, std::size_t chunk,
                                       const std::function<void(std::size_t)>& after_chunk,
                                       const std::function<bool()>& stop, const HostSpeedOptions& host_speed,
                                       HostSpeedTrack* continued_track) {
  validate(host_speed);
  const auto fingerprint = platform.fingerprint();
  const std::vector<core::Graph> sentinels = host_speed.enabled ? host_speed_sentinels() : std::vector<core::Graph>{};
  HostSpeedTrack own_track;
  HostSpeedTrack& track = continued_track ? *continued_track : own_track;

  const auto measure_chunk = [&](std::size_t begin, std::size_t end, std::uint64_t block_seed) {
    std::vector<core::Graph> graphs;
    for (std::size_t i = begin; i < end; ++i) graphs.push_back(*todo[i].graph);
    // Interleaved with the chunk, the sentinels see what its graphs saw.
    graphs.insert(graphs.end(), sentinels.begin(), sentinels.end());
    devices::ProfileOptions profile = *todo[begin].profile;
    profile.seed = block_seed;
    ChunkMeasurement out{devices::measure_interleaved(platform, graphs, profile), {}};
    for (std::size_t i = end - begin; i < out.graphs.size(); ++i)
      out.health.sentinel_ms.push_back(out.graphs[i].median_ms);
    out.graphs.resize(end - begin);
    out.health.graphs = out.graphs.size();
    for (const auto& m : out.graphs) out.health.unstable += m.stable ? 0 : 1;
    if (!sentinels.empty()) track.observe(out.health.sentinel_ms);
    return out;
  };
  const auto slow = [&](const ChunkHealth& h) { return track.slowdown(h.sentinel_ms) > host_speed.tolerance; };
  const auto unstable_share = [](const ChunkHealth& h) {
    return h.graphs == 0 ? 0.0 : static_cast<double>(h.unstable) / static_cast<double>(h.graphs);
  };
  const auto unsteady = [&](const ChunkHealth& h) { return unstable_share(h) > host_speed.max_unstable_share; };
  // How far a chunk's measurement is from a steady host's, 1 at the limit: the worse of its sentinels'
  // slowdown against the tolerance and its share of unstable graphs against the largest share allowed.
  // Of two measurements of a chunk, the less disturbed one is kept.
  const auto disturbance = [&](const ChunkHealth& h) {
    return std::max(track.slowdown(h.sentinel_ms) / host_speed.tolerance,
                    unstable_share(h) / host_speed.max_unstable_share);
  };
  const auto disturbed = [&](const ChunkHealth& h) { return host_speed.enabled && (slow(h) || unsteady(h)); };

  std::vector<double> spreads(todo.size());
  std::vector<bool> unstable(todo.size());
  const auto commit = [&](std::size_t begin, std::size_t end, const ChunkMeasurement& chunk_measurement) {
    std::vector<devices::StoredMeasurement> rows;
    for (std::size_t i = begin; i < end; ++i) {
      const devices::Measurement& m = chunk_measurement.graphs[i - begin];
      devices::StoredMeasurement row;
      row.platform_key = fingerprint.key();
      row.platform_json = fingerprint.to_json();
      row.kernel_type = todo[i].kernel_type;
      row.config_key = todo[i].config_key;
      row.campaign = campaign;
      row.median_ms = m.median_ms;
      row.spread = m.spread;
      row.repeats = m.repeats;
      row.min_ms = std::min(m.min_ms, m.median_ms);
      row.mean_ms = m.mean_ms;
      rows.push_back(std::move(row));
      spreads[i] = m.spread;
      unstable[i] = !m.stable;
    }
    store.put_batch(rows);  // one transaction per chunk
  };

  struct CommittedChunk {
    std::size_t begin, end;
    ChunkHealth health;
  };
  std::vector<CommittedChunk> committed;
  StoreMeasurementRun run;
  HostSpeedReport& speed = run.host_speed;
  const std::size_t chunk_size = std::max<std::size_t>(1, chunk);
  int slow_in_a_row = 0;  // chunks kept disturbed one after another: a slow phase, not a passing disturbance
  for (std::size_t begin = 0; begin < todo.size();) {
    if (core::InterruptGuard::requested()) {
      run.interrupted = true;
      break;
    }
    if (stop && stop()) {
      run.stopped = true;
      break;
    }
    std::size_t end = begin;
    while (end < todo.size() && end - begin < chunk_size && todo[end].profile == todo[begin].profile) ++end;
    // A different block order per chunk, the same on a resume; each re-measurement another again.
    std::uint64_t block_seed = seed + begin;
    ChunkMeasurement measured = measure_chunk(begin, end, block_seed);
    const bool in_slow_phase = slow_in_a_row >= host_speed.slow_phase_chunks;
    for (int wait = 0; !in_slow_phase && wait < host_speed.max_waits && disturbed(measured.health); ++wait) {
      const double seconds = host_speed.first_wait_seconds * std::pow(2.0, wait);
      if (slow(measured.health))
        fmt::print(stderr,
                   "hwnas: the host runs {:.0f}% slower than earlier in this run (median of {} sentinel kernels); "
                   "waiting {:.0f} s, then measuring these {} again\n",
                   100 * track.slowdown(measured.health.sentinel_ms), sentinels.size(), seconds, end - begin);
      else
        fmt::print(stderr,
                   "hwnas: the host is unsteady: {} of these {} measurements stayed above the profiler's spread "
                   "threshold; waiting {:.0f} s, then measuring them again\n",
                   measured.health.unstable, end - begin, seconds);
      const auto wait_start = Clock::now();
      const bool waited = wait_for_host(seconds, stop);
      speed.waited_seconds += std::chrono::duration<double>(Clock::now() - wait_start).count();
      if (!waited) break;  // stopping: what was measured is kept (the final report counts it as slow)
      ++speed.discarded;  // one of the two measurements: the more disturbed
      block_seed += todo.size();
      ChunkMeasurement again = measure_chunk(begin, end, block_seed);
      if (disturbance(again.health) <= disturbance(measured.health)) measured = std::move(again);
    }
    commit(begin, end, measured);
    const bool stays_disturbed = disturbed(measured.health);
    if (stays_disturbed && ++slow_in_a_row == host_speed.slow_phase_chunks)
      fmt::print(stderr,
                 "hwnas: {} chunks in a row ran slow or unsteady: measuring on without waiting until the host "
                 "recovers\n",
                 slow_in_a_row);
    if (!stays_disturbed) slow_in_a_row = 0;
    committed.push_back({begin, end, measured.health});
    run.measured = end;
    if (after_chunk) after_chunk(run.measured);
    begin = end;
  }

  // A run that starts on a slow host learns how fast the host can be only later: chunks that were kept
  // slow or unsteady, or that the fastest sentinels now show to be slow, are measured once more, and the
  // less disturbed measurement of the two is kept; unless the host is in a slow phase still, which the
  // sweep would only measure again.
  const auto kept_disturbed = [&](const CommittedChunk& c) { return disturbed(c.health); };
  if (host_speed.enabled && host_speed.final_sweep && !run.interrupted && !run.stopped) {
    const auto to_sweep = std::count_if(committed.begin(), committed.end(), kept_disturbed);
    if (to_sweep > 0)
      fmt::print(stderr,
                 "hwnas: measuring {} chunks again that ran more than {:.0f}% slower than the sentinels' best, or "
                 "unsteady\n",
                 to_sweep, 100 * host_speed.tolerance);
    int still_slow_in_a_row = 0;
    for (auto& c : committed) {
      if (!kept_disturbed(c)) continue;
      if (core::InterruptGuard::requested() || (stop && stop())) break;
      if (still_slow_in_a_row >= host_speed.slow_phase_chunks) {
        fmt::print(stderr, "hwnas: the host is still slow: the remaining slow chunks stay as measured\n");
        break;
      }
      const ChunkMeasurement again = measure_chunk(c.begin, c.end, seed + c.begin + 2 * todo.size());
      if (disturbance(again.health) < disturbance(c.health)) {
        commit(c.begin, c.end, again);
        c.health = again.health;
      }
      ++speed.discarded;  // one of the two measurements is thrown away
      still_slow_in_a_row = kept_disturbed(c) ? still_slow_in_a_row + 1 : 0;
    }
  }

  for (const auto& c : committed) {
    if (!host_speed.enabled) break;
    speed.chunk_slowdowns.push_back(std::max(0.0, track.slowdown(c.health.sentinel_ms)));
    speed.kept_slow += slow(c.health) ? 1 : 0;
    speed.kept_unsteady += unsteady(c.health) ? 1 : 0;
  }
  for (std::size_t i = 0; i < run.measured; ++i) {
    run.spreads.push_back(spreads[i]);
    run.unstable += unstable[i] ? 1 : 0;
  }
  return run;
}

}  // namespace hwnas::predictors
