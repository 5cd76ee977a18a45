// Cost of the zero-cost proxies per architecture: every proxy of random NB201 (CIFAR-10) and FBNet
// (CIFAR-100) architectures at batch 64, seconds per architecture (median, min, max), and what a
// table of the whole space would take. --breakdown also times the passes separately on a few archs.
//
//   proxy_bench [--nb201 N] [--fbnet N] [--batch B] [--seed S] [--breakdown]
//
// LibTorch runs on one thread inside compute_proxies (for bit-identical scores), so the figures are
// single-core; a precompute can run one architecture per core. The allocator keeps freed blocks for
// reuse, as in `hwnas proxies`, so the figures are what the precompute costs.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "hwnas/core/error.h"
#include "hwnas/core/reuse_freed_memory.h"
#include "hwnas/predictors/proxies/zero_cost_proxies.h"
#include "hwnas/spaces/fbnet.h"
#include "hwnas/spaces/nb201.h"

using namespace hwnas;
using namespace hwnas::predictors;

namespace {

double seconds(const core::Graph& graph, const ProxyOptions& options, ProxyScores* scores = nullptr) {
  const auto start = std::chrono::steady_clock::now();
  auto s = compute_proxies(graph, options);
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (scores) *scores = std::move(s);
  return elapsed;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const auto n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

void run_space(const spaces::SearchSpace& space, int count, double space_size, std::int64_t batch, std::uint64_t seed,
               bool breakdown) {
  spaces::Rng rng(seed);
  ProxyOptions options;
  options.batch_size = batch;
  options.seed = seed;
  std::vector<double> times;
  std::vector<core::Graph> graphs;
  int non_finite = 0;
  fmt::print("{}: {} random archs, batch {}\n", space.name(), count, batch);
  for (int i = 0; i < count; ++i) {
    const auto arch = space.sample(rng);
    graphs.push_back(space.to_graph(arch));
    ProxyScores scores;
    times.push_back(seconds(graphs.back(), options, &scores));
    std::string bad;
    for (const auto& [name, value] : scores.values)
      if (!std::isfinite(value)) bad += " " + name;
    if (!bad.empty()) ++non_finite;
    fmt::print("  {:>3} {:.3f} s  {}{}\n", i, times.back(), space.to_string(arch), bad.empty() ? "" : "  non-finite:" + bad);
  }
  const double med = median(times);
  fmt::print("{}: all 12 proxies, seconds per arch: median {:.3f}, min {:.3f}, max {:.3f}; {} of {} with a non-finite value\n",
             space.name(), med, *std::min_element(times.begin(), times.end()),
             *std::max_element(times.begin(), times.end()), non_finite, count);
  fmt::print("{}: table of {:.0f} archs ~ {:.1f} h on one core, {:.1f} h on two\n\n", space.name(), space_size,
             space_size * med / 3600, space_size * med / 7200);

  if (!breakdown) return;
  const std::vector<std::pair<std::string, std::vector<std::string>>> groups = {
      {"forward + naswot", {"naswot"}},
      {"+ jacob_cov backward", {"naswot", "jacob_cov"}},
      {"+ loss backward (grad_norm snip plain fisher)", {"naswot", "jacob_cov", "grad_norm", "snip", "plain", "fisher"}},
      {"+ grasp (double backward)", {"naswot", "jacob_cov", "grad_norm", "snip", "plain", "fisher", "grasp"}},
      {"synflow", {"synflow"}},
      {"zen", {"zen"}},
      {"l2_norm params flops", {"l2_norm", "params", "flops"}},
  };
  const std::size_t n = std::min<std::size_t>(graphs.size(), 5);
  fmt::print("{}: breakdown, median over {} archs\n", space.name(), n);
  for (const auto& [label, proxies] : groups) {
    options.proxies = proxies;
    std::vector<double> t;
    for (std::size_t i = 0; i < n; ++i) t.push_back(seconds(graphs[i], options));
    fmt::print("  {:<48} {:.3f} s\n", label, median(t));
  }
  fmt::print("\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress shows when redirected to a file
  int nb201 = 20, fbnet = 10;
  std::int64_t batch = 64;
  std::uint64_t seed = 0;
  bool breakdown = false;
  try {
    for (int i = 1; i < argc; ++i) {
      const auto value = [&] {
        if (i + 1 >= argc) fail("{} needs a value", argv[i]);
        return std::string(argv[++i]);
      };
      if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
        fmt::print("usage: proxy_bench [--nb201 N] [--fbnet N] [--batch B] [--seed S] [--breakdown]\n"
                   "Seconds per architecture for all 12 zero-cost proxies on N random NB201 (default 20) and\n"
                   "FBNet (default 10) architectures; --breakdown times the passes apart (see bench/proxy_bench.cpp).\n");
        return 0;
      }
      if (!std::strcmp(argv[i], "--nb201")) nb201 = std::stoi(value());
      else if (!std::strcmp(argv[i], "--fbnet")) fbnet = std::stoi(value());
      else if (!std::strcmp(argv[i], "--batch")) batch = std::stoll(value());
      else if (!std::strcmp(argv[i], "--seed")) seed = std::stoull(value());
      else if (!std::strcmp(argv[i], "--breakdown")) breakdown = true;
      else fail("unknown flag '{}'; valid: --nb201 N --fbnet N --batch B --seed S --breakdown", argv[i]);
    }
    core::reuse_freed_memory();
    if (nb201 > 0) run_space(spaces::Nb201Space{}, nb201, 15625, batch, seed, breakdown);
    if (fbnet > 0) run_space(spaces::FbnetSpace{}, fbnet, 5000, batch, seed, breakdown);
  } catch (const std::exception& e) {
    fmt::print(stderr, "proxy_bench: {}\n", e.what());
    return 1;
  }
  return 0;
}
