#include "hwnas/predictors/profiling/store_measurement.h"

#include <algorithm>

#include "hwnas/core/interrupt.h"

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

StoreMeasurementRun measure_into_store(devices::Platform& platform, devices::MeasurementStore& store,
                                       std::span<const PendingMeasurement> todo, const std::string& campaign,
                                       std::uint64_t seed, std::size_t chunk,
                                       const std::function<void(std::size_t)>& after_chunk,
                                       const std::function<bool()>& stop) {
  const auto fingerprint = platform.fingerprint();
  StoreMeasurementRun run;
  const std::size_t chunk_size = std::max<std::size_t>(1, chunk);
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
    std::vector<core::Graph> graphs;
    for (std::size_t i = begin; i < end; ++i) graphs.push_back(*todo[i].graph);
    devices::ProfileOptions profile = *todo[begin].profile;
    profile.seed = seed + begin;  // a different block order per chunk, the same on a resume
    const auto measurements = devices::measure_interleaved(platform, graphs, profile);

    std::vector<devices::StoredMeasurement> rows;
    for (std::size_t i = begin; i < end; ++i) {
      const devices::Measurement& m = measurements[i - begin];
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
      run.spreads.push_back(m.spread);
      run.unstable += m.stable ? 0 : 1;
    }
    store.put_batch(rows);  // one transaction per chunk
    run.measured = end;
    if (after_chunk) after_chunk(run.measured);
    begin = end;
  }
  return run;
}

}  // namespace hwnas::predictors
