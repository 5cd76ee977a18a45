// Prediction throughput of a predictor set on one core: candidates per second, cold (empty kernel
// cache) and warm, for NB201 and FBNet, split into the stages a candidate goes through.
//
//   predictor_bench [--predictors DIR|NAME] [--count N] [--repeats R]
//
// Stages, timed chunk by chunk as predict_archs streams candidates: "graph" builds each candidate's IR
// graph from its genes, "decompose" cuts it into kernels, "predict" sums the kernels' predicted
// latencies with PredictorSet::predict_many, once with the cache emptied at the start of the pass
// (cold: every distinct kernel goes through its MLP the first time it is seen) and once more (warm:
// every kernel is a cache hit). "whole graphs" times predict_archs itself: cold from an emptied
// cache, then warm. "by pieces" times ArchLatencyPredictor, as searches and `hwnas predict --archs`
// call it: each distinct piece (an NB201 cell at a stage, an FBNet block at a layer) is built and
// predicted once; cold starts from empty piece and kernel caches, warm predicts the same candidates
// again, and "warm, new candidates" predicts as many other candidates (another seed) with the caches
// the first two passes left. Medians of R repeats.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "hwnas/core/error.h"
#include "hwnas/predictors/arch_latency.h"
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
  std::vector<spaces::Arch> archs, others;
  for (std::size_t i = 0; i < count; ++i) archs.push_back(space->sample(rng));
  for (std::size_t i = 0; i < count; ++i) others.push_back(space->sample(rng));

  auto& cache_owner = const_cast<predictors::PredictorSet&>(set);
  std::vector<double> graph_s, decompose_s, cold_s, warm_s, end_to_end_cold_s, end_to_end_warm_s;
  std::vector<double> pieces_cold_s, pieces_warm_s, pieces_new_s;
  predictors::PieceCacheStats piece_stats;
  std::size_t kernels = 0;
  std::uint64_t key_digest = 0;  // changes if decomposition or kernel keys change
  double checksum = 0;
  double max_relative_gap = 0;  // by pieces vs whole graphs: summation order only
  for (int r = 0; r < repeats; ++r) {
    // Stages, chunk by chunk as predict_archs streams them; the first pass starts from an empty cache.
    cache_owner.clear_cache();
    double graph = 0, cut = 0, cold = 0, warm = 0;
    kernels = 0;
    key_digest = 0;
    for (std::size_t begin = 0; begin < count; begin += predictors::kArchChunk) {
      const std::size_t end = std::min(count, begin + predictors::kArchChunk);
      auto start = Clock::now();
      std::vector<core::Graph> graphs;
      for (std::size_t i = begin; i < end; ++i) graphs.push_back(space->to_graph(archs[i], 1));
      graph += seconds_since(start);
      start = Clock::now();
      std::vector<std::vector<predictors::Kernel>> networks;
      for (const auto& g : graphs) networks.push_back(predictors::decompose(g, set.fusion_rules()));
      cut += seconds_since(start);
      start = Clock::now();
      checksum += set.predict_many(networks).front();
      cold += seconds_since(start);
      start = Clock::now();
      checksum += set.predict_many(networks).front();
      warm += seconds_since(start);
      for (const auto& n : networks) {
        kernels += n.size();
        for (const auto& k : n) key_digest = key_digest * 31 + k.key_hash;
      }
    }
    graph_s.push_back(graph);
    decompose_s.push_back(cut);
    cold_s.push_back(cold);
    warm_s.push_back(warm);
    // Whole graphs, streamed.
    cache_owner.clear_cache();
    auto start = Clock::now();
    const auto whole = predictors::predict_archs(set, *space, archs);
    end_to_end_cold_s.push_back(seconds_since(start));
    start = Clock::now();
    checksum += predictors::predict_archs(set, *space, archs).front();
    end_to_end_warm_s.push_back(seconds_since(start));
    // By pieces, as searches and `hwnas predict --archs` take it.
    cache_owner.clear_cache();
    start = Clock::now();
    const predictors::ArchLatencyPredictor by_pieces(set, *space);
    const auto pieces = by_pieces.predict(archs);
    pieces_cold_s.push_back(seconds_since(start));
    start = Clock::now();
    checksum += by_pieces.predict(archs).front();
    pieces_warm_s.push_back(seconds_since(start));
    start = Clock::now();
    checksum += by_pieces.predict(others).front();
    pieces_new_s.push_back(seconds_since(start));
    piece_stats = by_pieces.stats();
    for (std::size_t i = 0; i < count; ++i)
      max_relative_gap = std::max(max_relative_gap, std::abs(pieces[i] - whole[i]) / whole[i]);
  }
  const auto stats = set.cache_stats();
  const double n = static_cast<double>(count);
  fmt::print("{:<7} {:>6} candidates, {:.0f} kernels each, {} distinct kernels\n", name, count,
             static_cast<double>(kernels) / n, stats.entries);
  auto rate = [&](const char* what, double seconds) {
    fmt::print("  {:<32}{:>10.0f} candidates/s  ({:.2f} us each)\n", what, n / seconds, 1e6 * seconds / n);
  };
  rate("graph", median(graph_s));
  rate("decompose", median(decompose_s));
  rate("predict, cold cache", median(cold_s));
  rate("predict, warm cache", median(warm_s));
  rate("whole graphs, cold", median(end_to_end_cold_s));
  rate("whole graphs, warm", median(end_to_end_warm_s));
  rate("by pieces, cold", median(pieces_cold_s));
  rate("by pieces, warm", median(pieces_warm_s));
  rate("by pieces, warm, new candidates", median(pieces_new_s));
  fmt::print("  by pieces: {} distinct pieces for {} candidates, {} predicted whole; largest gap to whole graphs "
             "{:.1e}\n",
             piece_stats.entries, 2 * count, piece_stats.whole, max_relative_gap);
  fmt::print("  (checksum {:.3f}, kernel key digest {:016x})\n", checksum, key_digest);
}

}  // namespace

int main(int argc, char** argv) try {
  std::string which = predictors::kDefaultPredictorSet;
  std::size_t count = 5000;
  int repeats = 5;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      fmt::print("usage: predictor_bench [--predictors DIR] [--count N] [--repeats R]\n"
                 "Predictor throughput per stage on one core for N random candidates (default 5000), median of\n"
                 "R repeats (default 5), cold and warm cache (see bench/predictor_bench.cpp).\n");
      return 0;
    }
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
