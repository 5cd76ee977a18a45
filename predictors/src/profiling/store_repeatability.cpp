#include "hwnas/predictors/profiling/store_repeatability.h"

#include <chrono>
#include <string>

#include <fmt/format.h>

#include "hwnas/core/error.h"
#include "hwnas/devices/measurement_store.h"
#include "hwnas/predictors/profiling/store_measurement.h"

namespace hwnas::predictors {

StoreRepeatabilityReport check_store_repeatability(devices::Platform& platform, const std::vector<core::Graph>& graphs,
                                                   const devices::ProfileOptions& profile,
                                                   const HostSpeedOptions& host_speed, double min_latency_ms) {
  using Clock = std::chrono::steady_clock;
  HWNAS_CHECK(!graphs.empty(), "repeatability: no graphs to measure");
  const auto pass_type = [](int pass) { return fmt::format("repeatability-pass-{}", pass); };
  // Keyed by position too: two graphs may share a name.
  const auto key = [&](std::size_t i) { return fmt::format("{}:{}", i, graphs[i].name()); };
  std::vector<PendingMeasurement> todo;
  for (int pass = 1; pass <= 2; ++pass)
    for (std::size_t i = 0; i < graphs.size(); ++i) todo.push_back({pass_type(pass), key(i), &graphs[i], &profile});

  auto store = devices::MeasurementStore::in_memory();
  const auto start = Clock::now();
  // One chunk per pass: the second pass's sentinels judge the first, and the final sweep measures a pass
  // again that they show to have been slow.
  const StoreMeasurementRun run =
      measure_into_store(platform, store, todo, "repeatability", profile.seed, graphs.size(), {}, {}, host_speed);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (run.measured < todo.size()) fail("repeatability: interrupted before both passes were measured");

  const std::string platform_key = platform.fingerprint().key();
  std::vector<devices::Measurement> passes[2];
  for (int pass = 1; pass <= 2; ++pass)
    for (std::size_t i = 0; i < graphs.size(); ++i) {
      const auto row = store.find(platform_key, pass_type(pass), key(i));
      HWNAS_ASSERT(row.has_value(), "repeatability: pass {} of graph {} was not stored", pass, key(i));
      devices::Measurement m;
      m.median_ms = row->median_ms;
      m.spread = row->spread;
      m.repeats = row->repeats;
      passes[pass - 1].push_back(m);
    }
  StoreRepeatabilityReport report;
  report.agreement = devices::compare_passes(passes[0], passes[1], min_latency_ms);
  report.agreement.seconds_per_graph = seconds / 2.0 / static_cast<double>(graphs.size());
  report.host_speed = run.host_speed;
  return report;
}

}  // namespace hwnas::predictors
