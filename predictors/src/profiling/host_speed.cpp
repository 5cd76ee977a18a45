#include "hwnas/predictors/profiling/host_speed.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "hwnas/core/error.h"
#include "hwnas/core/statistics.h"
#include "hwnas/predictors/sampling/kernel_builder.h"

namespace hwnas::predictors {

void validate(const HostSpeedOptions& o) {
  HWNAS_CHECK(std::isfinite(o.tolerance) && o.tolerance > 0, "host speed option tolerance must be > 0, got {}",
              o.tolerance);
  HWNAS_CHECK(o.slow_phase_chunks >= 1, "host speed option slow_phase_chunks must be >= 1, got {}",
              o.slow_phase_chunks);
  HWNAS_CHECK(o.max_waits >= 0, "host speed option max_waits must be >= 0, got {}", o.max_waits);
  HWNAS_CHECK(std::isfinite(o.first_wait_seconds) && o.first_wait_seconds >= 0,
              "host speed option first_wait_seconds must be >= 0, got {}", o.first_wait_seconds);
  HWNAS_CHECK(std::isfinite(o.max_unstable_share) && o.max_unstable_share > 0 && o.max_unstable_share <= 1,
              "host speed option max_unstable_share must be in (0, 1], got {}", o.max_unstable_share);
}

std::vector<core::Graph> host_speed_sentinels() {
  const auto image = [](std::int64_t hw, std::int64_t cin, std::int64_t cout, std::int64_t kernel, std::int64_t groups) {
    KernelConfig c;
    c.h = c.w = hw;
    c.cin = cin;
    c.cout = cout;
    c.kernel = kernel;
    c.stride = kernel > 0 ? 1 : 0;
    c.groups = groups;
    return c;
  };
  KernelConfig fc;
  fc.cin = 512;
  fc.cout = 512;
  return {build_kernel("conv", image(28, 32, 32, 3, 1)).graph, build_kernel("dwconv", image(28, 96, 96, 3, 96)).graph,
          build_kernel("fc", fc).graph, build_kernel("maxpool", image(56, 64, 64, 3, 0)).graph,
          build_kernel("add", image(28, 128, 128, 0, 0)).graph};
}

void HostSpeedTrack::observe(const std::vector<double>& sentinel_ms) {
  HWNAS_CHECK(fastest_ms_.empty() || sentinel_ms.size() == fastest_ms_.size(),
              "host speed: {} sentinel latencies, expected {}", sentinel_ms.size(), fastest_ms_.size());
  HWNAS_CHECK(!sentinel_ms.empty(), "host speed: no sentinel latency");
  if (fastest_ms_.empty()) fastest_ms_.assign(sentinel_ms.size(), std::numeric_limits<double>::infinity());
  for (std::size_t i = 0; i < sentinel_ms.size(); ++i) {
    HWNAS_CHECK(std::isfinite(sentinel_ms[i]) && sentinel_ms[i] > 0,
                "host speed: sentinel latency must be > 0 ms, got {}", sentinel_ms[i]);
    fastest_ms_[i] = std::min(fastest_ms_[i], sentinel_ms[i]);
  }
}

double HostSpeedTrack::slowdown(const std::vector<double>& sentinel_ms) const {
  if (fastest_ms_.empty() || sentinel_ms.size() != fastest_ms_.size()) return 0.0;
  std::vector<double> ratios;
  for (std::size_t i = 0; i < sentinel_ms.size(); ++i) ratios.push_back(sentinel_ms[i] / fastest_ms_[i]);
  return core::median(std::move(ratios)) - 1;
}

double HostSpeedReport::median_slowdown() const {
  return chunk_slowdowns.empty() ? 0.0 : core::median(chunk_slowdowns);
}

double HostSpeedReport::max_slowdown() const {
  return chunk_slowdowns.empty() ? 0.0 : *std::max_element(chunk_slowdowns.begin(), chunk_slowdowns.end());
}

void HostSpeedReport::add(const HostSpeedReport& later) {
  chunk_slowdowns.insert(chunk_slowdowns.end(), later.chunk_slowdowns.begin(), later.chunk_slowdowns.end());
  discarded += later.discarded;
  kept_slow += later.kept_slow;
  kept_unsteady += later.kept_unsteady;
  waited_seconds += later.waited_seconds;
}

std::string describe(const HostSpeedReport& report, const HostSpeedOptions& options) {
  if (!options.enabled) return "host speed: not watched (host_speed disabled)";
  if (report.chunk_slowdowns.empty()) return "host speed: nothing measured";
  return fmt::format(
      "host speed over {} chunks: median {:.1f}% and at worst {:.0f}% slower than the fastest sentinels; {} chunk "
      "measurements discarded as slow or unsteady, {:.0f} s spent waiting; {} chunks kept more than {:.0f}% slow, "
      "{} kept unsteady",
      report.chunk_slowdowns.size(), 100 * report.median_slowdown(), 100 * report.max_slowdown(), report.discarded,
      report.waited_seconds, report.kept_slow, 100 * options.tolerance, report.kept_unsteady);
}

}  // namespace hwnas::predictors
