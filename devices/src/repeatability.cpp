#include "hwnas/devices/repeatability.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>

#include <fmt/format.h>

#include "hwnas/core/error.h"
#include "hwnas/devices/profiler.h"

namespace hwnas::devices {
namespace {

using core::OpKind;

core::Graph conv_bn_relu(std::int64_t hw, std::int64_t cin, std::int64_t cout, std::int64_t k, std::int64_t s,
                         std::int64_t groups = 1) {
  core::Graph g(fmt::format("conv_bn_relu_hw{}_cin{}_cout{}_k{}_s{}_g{}", hw, cin, cout, k, s, groups));
  auto x = g.input({1, cin, hw, hw});
  auto c = g.conv2d(x, {.out_channels = cout, .kernel = k, .stride = s, .padding = k / 2, .groups = groups});
  g.mark_output(g.unary(OpKind::kRelu, g.batch_norm(c)));
  return g;
}

core::Graph dwconv_bn_relu(std::int64_t hw, std::int64_t c, std::int64_t k, std::int64_t s) {
  return conv_bn_relu(hw, c, c, k, s, c);
}

core::Graph linear(std::int64_t tokens, std::int64_t in, std::int64_t out) {
  core::Graph g(fmt::format("linear_l{}_in{}_out{}", tokens, in, out));
  auto x = tokens == 1 ? g.input({1, in}) : g.input({1, tokens, in});
  g.mark_output(g.linear(x, {.out_features = out}));
  return g;
}

core::Graph pool(OpKind kind, std::int64_t hw, std::int64_t c, core::PoolAttrs attrs = {}) {
  core::Graph g(fmt::format("{}_hw{}_c{}_k{}_s{}", core::op_name(kind), hw, c, attrs.kernel, attrs.stride));
  auto x = g.input({1, c, hw, hw});
  g.mark_output(kind == OpKind::kGlobalAvgPool ? g.global_avg_pool(x) : g.add_node(kind, {x}, attrs));
  return g;
}

core::Graph elementwise(OpKind kind, std::int64_t hw, std::int64_t c) {
  core::Graph g(fmt::format("{}_hw{}_c{}", core::op_name(kind), hw, c));
  auto x = g.input({1, c, hw, hw});
  if (kind == OpKind::kAdd)
    g.mark_output(g.add(x, g.input({1, c, hw, hw}, "other")));
  else
    g.mark_output(g.unary(kind, x));
  return g;
}

}  // namespace

std::vector<core::Graph> reference_kernels() {
  std::vector<core::Graph> g;
  // conv-bn-relu: (hw, cin, cout, kernel, stride)
  for (auto [hw, cin, cout, k, s] : std::vector<std::array<std::int64_t, 5>>{
           {56, 16, 16, 3, 1},  {56, 32, 32, 3, 1},   {28, 32, 64, 3, 1},   {28, 64, 64, 3, 1},   {28, 64, 128, 3, 2},
           {14, 128, 128, 3, 1}, {14, 128, 256, 3, 2}, {7, 256, 256, 3, 1},  {112, 3, 16, 3, 2},   {224, 3, 32, 3, 2},
           {56, 64, 64, 1, 1},  {28, 128, 128, 1, 1}, {14, 256, 256, 1, 1}, {7, 512, 512, 1, 1},  {28, 32, 32, 5, 1},
           {14, 64, 64, 5, 1},  {32, 16, 16, 3, 1},   {16, 32, 32, 3, 1},   {8, 64, 64, 3, 1},    {56, 24, 144, 1, 1}})
    g.push_back(conv_bn_relu(hw, cin, cout, k, s));
  // depthwise conv-bn-relu: (hw, channels, kernel, stride)
  for (auto [hw, c, k, s] : std::vector<std::array<std::int64_t, 4>>{
           {112, 32, 3, 1}, {56, 144, 3, 2}, {28, 192, 3, 1}, {28, 240, 5, 1},
           {14, 480, 5, 1}, {14, 672, 7, 1}, {7, 960, 3, 1},  {56, 96, 3, 1}})
    g.push_back(dwconv_bn_relu(hw, c, k, s));
  g.push_back(linear(1, 1280, 1000));
  g.push_back(linear(1, 512, 1000));
  g.push_back(linear(197, 192, 576));
  g.push_back(linear(197, 384, 1536));
  g.push_back(linear(1, 64, 10));
  g.push_back(pool(OpKind::kMaxPool, 112, 64, {.kernel = 3, .stride = 2, .padding = 1}));
  g.push_back(pool(OpKind::kAvgPool, 32, 16, {.kernel = 3, .stride = 1, .padding = 1, .count_include_pad = false}));
  g.push_back(pool(OpKind::kGlobalAvgPool, 7, 1280));
  g.push_back(pool(OpKind::kAvgPool, 56, 64, {.kernel = 2, .stride = 2}));
  g.push_back(elementwise(OpKind::kAdd, 56, 64));
  g.push_back(elementwise(OpKind::kHardswish, 28, 120));
  g.push_back(elementwise(OpKind::kRelu, 112, 32));
  return g;
}

RepeatabilityReport compare_passes(const std::vector<Measurement>& first, const std::vector<Measurement>& second,
                                   double min_latency_ms) {
  HWNAS_CHECK(first.size() == second.size(), "repeatability: passes of {} and {} graphs", first.size(),
              second.size());
  RepeatabilityReport report;
  std::size_t ok5 = 0, ok10 = 0;
  std::vector<double> counted_diffs;
  for (std::size_t i = 0; i < first.size(); ++i) {
    const double a = first[i].median_ms, b = second[i].median_ms;
    const double diff = std::abs(a - b) / std::max(1e-12, std::min(a, b));
    report.first_ms.push_back(a);
    report.second_ms.push_back(b);
    report.first_spread.push_back(first[i].spread);
    report.second_spread.push_back(second[i].spread);
    report.rel_diff.push_back(diff);
    if (std::min(a, b) < min_latency_ms) continue;
    counted_diffs.push_back(diff);
    ok5 += diff <= 0.05;
    ok10 += diff <= 0.10;
  }
  report.counted = counted_diffs.size();
  if (report.counted > 0) {
    report.within_5pct = static_cast<double>(ok5) / static_cast<double>(report.counted);
    report.within_10pct = static_cast<double>(ok10) / static_cast<double>(report.counted);
    report.median_rel_diff = summarize(counted_diffs).median;
    std::vector<double> ratios;
    for (std::size_t i = 0; i < first.size(); ++i)
      if (std::min(report.first_ms[i], report.second_ms[i]) >= min_latency_ms)
        ratios.push_back(report.second_ms[i] / report.first_ms[i]);
    report.host_drift = summarize(ratios).median - 1;
    std::size_t ok5_drift_removed = 0;
    for (double ratio : ratios) {
      const double a = 1, b = ratio / (1 + report.host_drift);
      ok5_drift_removed += std::abs(a - b) / std::min(a, b) <= 0.05;
    }
    report.within_5pct_drift_removed = static_cast<double>(ok5_drift_removed) / static_cast<double>(report.counted);
  }
  return report;
}

RepeatabilityReport check_repeatability(Platform& platform, const std::vector<core::Graph>& graphs,
                                        const ProfileOptions& options, double min_latency_ms) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const auto first = measure_interleaved(platform, graphs, options);
  ProfileOptions second_options = options;
  second_options.seed = options.seed + 1;
  const auto second = measure_interleaved(platform, graphs, second_options);
  const auto end = Clock::now();

  RepeatabilityReport report = compare_passes(first, second, min_latency_ms);
  const double seconds = std::chrono::duration<double>(end - start).count();
  report.seconds_per_graph = graphs.empty() ? 0.0 : seconds / 2.0 / static_cast<double>(graphs.size());
  return report;
}

}  // namespace hwnas::devices
