// Do the host-speed sentinels speak for the kernels measured beside them?
//
//   host_speed_bench [--platform P] [--passes N] [--pause SECONDS]
//
// Measures the 40 reference kernels (devices::reference_kernels()) and the five sentinels
// (predictors::host_speed_sentinels()) together, interleaved with campaign profiler settings, N times
// (default 10) with a pause between passes (default 20 s), so the passes catch the shared host in
// different states. The pass the sentinels call fastest (HostSpeedTrack) is the reference. For every
// other pass it prints the slowdown the first sentinel alone (a 3x3 convolution) and all five (their
// median) report, the median slowdown of the kernels (>= 50 us), and the share of kernels within 5% and
// 10% of the reference pass: as measured, and divided by the sentinels' slowdown. The sentinels speak for
// the kernels when their slowdown follows the kernels' median; dividing by it helps only if the host's
// slowdown is shared by every kernel alike.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <string_view>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "hwnas/core/error.h"
#include "hwnas/core/statistics.h"
#include "hwnas/core/text.h"
#include "hwnas/devices/platform.h"
#include "hwnas/devices/profiler.h"
#include "hwnas/devices/repeatability.h"
#include "hwnas/predictors/profiling/host_speed.h"
#include "hwnas/predictors/profiling/store_measurement.h"

using namespace hwnas;

namespace {

constexpr double kMinMs = 0.05;

struct Pass {
  std::vector<double> kernel_ms;
  std::vector<double> sentinel_ms;
};

double share_within(const std::vector<double>& ratios, double tolerance) {
  if (ratios.empty()) return 0;
  const auto n = std::count_if(ratios.begin(), ratios.end(), [&](double r) { return std::abs(r - 1) <= tolerance; });
  return static_cast<double>(n) / static_cast<double>(ratios.size());
}

int run(int argc, char** argv) {
  std::string platform_name = "libtorch-cpu-t1";
  int passes = 10;
  double pause_seconds = 20;
  constexpr const char* kUsage = "usage: host_speed_bench [--platform P] [--passes N] [--pause SECONDS]";
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      fmt::print("{}\nMeasures the reference kernels and the host-speed sentinels together N times (default 10),\n"
                 "SECONDS apart (default 20), and prints whether the sentinels' slowdown follows the kernels'\n"
                 "(see bench/host_speed_bench.cpp).\n",
                 kUsage);
      return 0;
    }
    if (arg != "--platform" && arg != "--passes" && arg != "--pause") fail("unknown argument '{}' ({})", arg, kUsage);
    if (i + 1 >= argc) fail("option '{}' needs a value ({})", arg, kUsage);
    const std::string_view value = argv[++i];
    if (arg == "--platform") {
      platform_name = value;
    } else if (arg == "--passes") {
      const auto n = core::detail::parse_int(value);
      if (!n || *n < 2) fail("--passes '{}': expected an integer >= 2", value);
      passes = static_cast<int>(*n);
    } else {
      const auto seconds = core::detail::parse_double(value);
      if (!seconds || !std::isfinite(*seconds) || *seconds < 0) fail("--pause '{}': expected seconds >= 0", value);
      pause_seconds = *seconds;
    }
  }

  auto platform = devices::make_platform(platform_name);
  std::vector<core::Graph> graphs = devices::reference_kernels();
  const std::size_t kernels = graphs.size();
  const auto sentinels = predictors::host_speed_sentinels();
  graphs.insert(graphs.end(), sentinels.begin(), sentinels.end());
  devices::ProfileOptions profile = predictors::campaign_kernel_profile();

  std::vector<Pass> measured;
  for (int p = 0; p < passes; ++p) {
    if (p > 0) std::this_thread::sleep_for(std::chrono::duration<double>(pause_seconds));
    profile.seed = static_cast<std::uint64_t>(p);
    const auto m = devices::measure_interleaved(*platform, graphs, profile);
    Pass pass;
    for (std::size_t k = 0; k < kernels; ++k) pass.kernel_ms.push_back(m[k].median_ms);
    for (std::size_t k = kernels; k < m.size(); ++k) pass.sentinel_ms.push_back(m[k].median_ms);
    fmt::print(stderr, "pass {}/{}: sentinels {:.4f} ms\n", p + 1, passes, fmt::join(pass.sentinel_ms, " "));
    measured.push_back(std::move(pass));
  }

  predictors::HostSpeedTrack track;
  for (const auto& pass : measured) track.observe(pass.sentinel_ms);
  const auto reference = std::min_element(measured.begin(), measured.end(), [&](const Pass& a, const Pass& b) {
    return track.slowdown(a.sentinel_ms) < track.slowdown(b.sentinel_ms);
  });
  fmt::print("{}: {} reference kernels (>= {} ms counted) and {} sentinels, {} passes {} s apart; reference: pass {}\n",
             platform_name, kernels, kMinMs, sentinels.size(), passes, pause_seconds,
             reference - measured.begin() + 1);
  fmt::print("{:>5} {:>10} {:>10} {:>10} {:>9} {:>9} {:>9} {:>9}\n", "pass", "conv", "sentinels", "kernels", "raw ±5%",
             "raw ±10%", "corr ±5%", "corr ±10%");
  std::vector<double> all_raw, all_corrected, misses;
  for (std::size_t p = 0; p < measured.size(); ++p) {
    if (&measured[p] == &*reference) continue;
    const double conv_ratio = measured[p].sentinel_ms[0] / reference->sentinel_ms[0];
    std::vector<double> sentinel_ratios;
    for (std::size_t s = 0; s < sentinels.size(); ++s)
      sentinel_ratios.push_back(measured[p].sentinel_ms[s] / reference->sentinel_ms[s]);
    const double sentinel_ratio = core::median(sentinel_ratios);
    std::vector<double> raw, corrected;
    for (std::size_t k = 0; k < kernels; ++k) {
      if (std::min(measured[p].kernel_ms[k], reference->kernel_ms[k]) < kMinMs) continue;
      raw.push_back(measured[p].kernel_ms[k] / reference->kernel_ms[k]);
      corrected.push_back(raw.back() / sentinel_ratio);
    }
    all_raw.insert(all_raw.end(), raw.begin(), raw.end());
    all_corrected.insert(all_corrected.end(), corrected.begin(), corrected.end());
    misses.push_back(std::abs(sentinel_ratio - core::median(raw)));
    fmt::print("{:>5} {:>+9.1f}% {:>+9.1f}% {:>+9.1f}% {:>8.1f}% {:>8.1f}% {:>8.1f}% {:>8.1f}%\n", p + 1,
               100 * (conv_ratio - 1), 100 * (sentinel_ratio - 1), 100 * (core::median(raw) - 1),
               100 * share_within(raw, 0.05), 100 * share_within(raw, 0.10), 100 * share_within(corrected, 0.05),
               100 * share_within(corrected, 0.10));
  }
  fmt::print("{:>5} {:>10} {:>10} {:>+9.1f}% {:>8.1f}% {:>8.1f}% {:>8.1f}% {:>8.1f}%\n", "all", "", "",
             100 * (core::median(all_raw) - 1), 100 * share_within(all_raw, 0.05), 100 * share_within(all_raw, 0.10),
             100 * share_within(all_corrected, 0.05), 100 * share_within(all_corrected, 0.10));
  fmt::print("sentinels vs kernels: median |slowdown difference| {:.1f} points, largest {:.1f}\n",
             100 * core::median(misses), 100 * *std::max_element(misses.begin(), misses.end()));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    fmt::print(stderr, "host_speed_bench: {}\n", e.what());
    return 1;
  }
}
