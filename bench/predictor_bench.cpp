// Prediction throughput of a predictor set on one core: candidates per second, cold (empty kernel
// cache) and warm, for NB201 and FBNet, split into the stages a candidate goes through.
//
//   predictor_bench [--predictors DIR|NAME] [--count N] [--repeats R]
//
// Stages: "graph" builds each candidate's IR graph from its genes and cuts it into kernels
// (decompose); "predict" sums the kernels' predicted latencies with PredictorSet::predict_many, once
// with the cache emptied first (cold: every distinct kernel goes through its MLP) and once more
// (warm: every kernel is a cache hit). "end to end" is graph + predict. Medians of R repeats.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "hwnas/core/error.h"
#include "hwnas/predictors/kernels/decomposer.h"
#include "hwnas/predictors/predictor_set.h"
#include "hwnas/predictors/predictor_sets.h"
#include "hwnas/spaces/search_space.h"

using namespace hwnas;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void bench_space(const predictors::PredictorSet& set, const std::string& name, std::size_t count, int repeats) {
  const auto space = spaces::make_space(name);
  spaces::Rng rng(1);
  std::vector<spaces::Arch> archs;
  for (std::size_t i = 0; i < count; ++i) archs.push_back(space->sample(rng));

  std::vector<double> graph_s, cold_s, warm_s;
  std::vector<std::vector<predictors::Kernel>> networks;
  std::size_t kernels = 0;
  double checksum = 0;
  for (int r = 0; r < repeats; ++r) {
    auto start = Clock::now();
    networks.clear();
    for (const auto& arch : archs) networks.push_back(predictors::decompose(space->to_graph(arch, 1), set.fusion_rules()));
    graph_s.push_back(seconds_since(start));
    const_cast<predictors::PredictorSet&>(set).clear_cache();
    start = Clock::now();
    checksum += set.predict_many(networks).front();
    cold_s.push_back(seconds_since(start));
    start = Clock::now();
    checksum += set.predict_many(networks).front();
    warm_s.push_back(seconds_since(start));
  }
  for (const auto& n : networks) kernels += n.size();
  const auto stats = set.cache_stats();
  const double n = static_cast<double>(count);
  fmt::print("{:<7} {:>6} candidates, {:.0f} kernels each, {} distinct kernels\n", name, count,
             static_cast<double>(kernels) / n, stats.entries);
  fmt::print("  graph + decompose   {:>10.0f} candidates/s  ({:.1f} us each)\n", n / median(graph_s),
             1e6 * median(graph_s) / n);
  fmt::print("  predict, cold cache {:>10.0f} candidates/s  ({:.1f} us each)\n", n / median(cold_s),
             1e6 * median(cold_s) / n);
  fmt::print("  predict, warm cache {:>10.0f} candidates/s  ({:.2f} us each)\n", n / median(warm_s),
             1e6 * median(warm_s) / n);
  fmt::print("  end to end, cold    {:>10.0f} candidates/s\n", n / (median(graph_s) + median(cold_s)));
  fmt::print("  end to end, warm    {:>10.0f} candidates/s   (checksum {:.3f})\n", n / (median(graph_s) + median(warm_s)),
             checksum);
}

}  // namespace

int main(int argc, char** argv) try {
  std::string which = predictors::kDefaultPredictorSet;
  std::size_t count = 5000;
  int repeats = 5;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--predictors") == 0 && i + 1 < argc) which = argv[++i];
    else if (std::strcmp(argv[i], "--count") == 0 && i + 1 < argc) count = std::stoul(argv[++i]);
    else if (std::strcmp(argv[i], "--repeats") == 0 && i + 1 < argc) repeats = std::stoi(argv[++i]);
    else hwnas::fail("unknown flag '{}' (usage: predictor_bench [--predictors DIR] [--count N] [--repeats R])", argv[i]);
  }
  const auto start = Clock::now();
  const auto set = predictors::PredictorSet::load(predictors::predictor_set_path(which));
  fmt::print("predictor set {} ({}) loaded in {:.1f} ms; one thread\n\n", which, set.platform(),
             1e3 * seconds_since(start));
  bench_space(set, "nb201", count, repeats);
  bench_space(set, "fbnet", count, repeats);
  return 0;
} catch (const std::exception& e) {
  fmt::print(stderr, "predictor_bench: {}\n", e.what());
  return 1;
}
