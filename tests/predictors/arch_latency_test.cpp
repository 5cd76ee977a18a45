#include "hwnas/predictors/arch_latency.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <thread>

#include <unistd.h>

#include <gtest/gtest.h>

#include "hwnas/predictors/kernels/decomposer.h"
#include "hwnas/predictors/predictor_sets.h"

namespace hwnas::predictors {
namespace {

std::vector<spaces::Arch> sample(const spaces::SearchSpace& space, int count, std::uint64_t seed) {
  spaces::Rng rng(seed);
  std::vector<spaces::Arch> archs;
  for (int i = 0; i < count; ++i) archs.push_back(space.sample(rng));
  return archs;
}

/// Streaming in chunks must not change a single prediction: every architecture's latency equals the
/// shipped set's prediction of its own graph, whatever the chunk size (ragged last chunk included).
TEST(ArchLatency, ChunkedPredictionEqualsPredictingEachGraph) {
  const auto set = PredictorSet::load(predictor_set_path(kDefaultPredictorSet));
  for (const std::string name : {"nb201", "fbnet"}) {
    const auto space = spaces::make_space(name);
    const auto archs = sample(*space, 23, 7);
    std::vector<double> one_by_one;
    for (const auto& arch : archs) one_by_one.push_back(set.predict_graph(space->to_graph(arch, 1)));
    for (std::size_t chunk : {std::size_t{1}, std::size_t{5}, std::size_t{23}, kArchChunk}) {
      const auto streamed = predict_archs(set, *space, archs, chunk);
      ASSERT_EQ(streamed.size(), archs.size()) << name << " chunk " << chunk;
      for (std::size_t i = 0; i < archs.size(); ++i)
        EXPECT_DOUBLE_EQ(streamed[i], one_by_one[i]) << name << " arch " << i << " chunk " << chunk;
    }
    EXPECT_TRUE(predict_archs(set, *space, {}).empty());
  }
}

/// Summed piece by piece, every shipped set (four fusion rule sets, corrections included) gives each
/// architecture the latency of its whole graph, up to the order of summation; pieces are shared, so far
/// fewer are built than asked for, and a second pass builds none.
TEST(ArchLatency, PieceSumsEqualWholeGraphsOnEveryShippedSet) {
  for (const std::string platform : {"libtorch-cpu-t1", "libtorch-cpu-t2", "torchscript-cpu-t1", "opencv-cpu-t1"}) {
    const auto set = PredictorSet::load(predictor_set_path(platform));
    for (const std::string name : {"nb201", "fbnet"}) {
      const auto space = spaces::make_space(name);
      const auto archs = sample(*space, 60, 11);
      const auto expected = predict_archs(set, *space, archs);
      const ArchLatencyPredictor by_pieces(set, *space);
      for (std::size_t chunk : {std::size_t{7}, kArchChunk}) {
        const auto got = by_pieces.predict(archs, chunk);
        ASSERT_EQ(got.size(), archs.size());
        for (std::size_t i = 0; i < archs.size(); ++i)
          EXPECT_NEAR(got[i], expected[i], 1e-12 * expected[i])
              << platform << " " << space->to_string(archs[i]) << " chunk " << chunk;
      }
      const auto stats = by_pieces.stats();
      EXPECT_EQ(stats.archs, 2 * archs.size());
      EXPECT_EQ(stats.whole, 0u) << platform << " " << name << ": no shipped rule fuses across these cuts";
      EXPECT_EQ(stats.entries, stats.pieces_built) << "the second pass built nothing";
      EXPECT_LT(stats.pieces_built, stats.piece_hits);
    }
  }
}

/// A rule fusing conv-bn-relu with the convolution after it lets a kernel cross an FBNet cut where a
/// piece ends with conv-bn-relu and the next piece's input has a conv as its only reader: after the
/// stem when layer 0 is an identity skip (an empty piece), and after a shape-changing skip in the last
/// layer. Those architectures must be predicted whole, the others still by pieces, every result equal
/// to the whole graph's.
TEST(ArchLatency, ArchitecturesWhoseCutsAFusedKernelCrossesArePredictedWhole) {
  namespace fs = std::filesystem;
  const auto dir = fs::temp_directory_path() / ("hwnas_arch_latency_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::copy(predictor_set_path(kDefaultPredictorSet), dir);
  std::ofstream(dir / "fusion_rules.yaml") << "format_version: 1\nplatform: test\nsource: test\n"
                                              "rules:\n  - [conv, bn, relu, conv]\n  - [conv, bn, relu]\n";
  const auto set = PredictorSet::load(dir);
  fs::remove_all(dir);

  const auto space = spaces::make_space("fbnet");
  const auto archs = sample(*space, 40, 3);
  std::size_t crossing = 0;  // architectures whose whole graph has a kernel made of two pieces' ops
  auto block_of = [](const core::Graph& g, core::NodeId id) {  // "stem", "layer7", "header", ...
    const std::string& name = g.node(id).name;
    return name.substr(0, name.find('/'));
  };
  for (const auto& arch : archs) {
    const core::Graph graph = space->to_graph(arch, 1);
    for (const auto& kernel : decompose(graph, set.fusion_rules()))
      if (block_of(graph, kernel.nodes.front()) != block_of(graph, kernel.nodes.back())) {
        ++crossing;
        break;
      }
  }
  ASSERT_GT(crossing, 0u) << "the sample has no architecture to test the check with";
  ASSERT_LT(crossing, archs.size());

  const ArchLatencyPredictor by_pieces(set, *space);
  const auto got = by_pieces.predict(archs);
  const auto expected = predict_archs(set, *space, archs);
  for (std::size_t i = 0; i < archs.size(); ++i)
    EXPECT_NEAR(got[i], expected[i], 1e-12 * expected[i]) << space->to_string(archs[i]);
  // The check is conservative (it does not follow the rule prefix), so it may send more whole, never fewer.
  EXPECT_GE(by_pieces.stats().whole, crossing);
  EXPECT_LT(by_pieces.stats().whole, archs.size());
}

/// Spaces without pieces are predicted whole; concurrent callers share the cache and agree.
TEST(ArchLatency, SpacesWithoutPiecesAndConcurrentCallers) {
  const auto set = PredictorSet::load(predictor_set_path(kDefaultPredictorSet));
  const auto mobilenet = spaces::make_space("mobilenet");
  const auto m_archs = sample(*mobilenet, 5, 1);
  const ArchLatencyPredictor whole(set, *mobilenet);
  EXPECT_EQ(whole.predict(m_archs), predict_archs(set, *mobilenet, m_archs));
  EXPECT_EQ(whole.stats().whole, m_archs.size());

  const auto nb201 = spaces::make_space("nb201");
  const auto archs = sample(*nb201, 200, 5);
  const auto expected = predict_archs(set, *nb201, archs);
  const ArchLatencyPredictor by_pieces(set, *nb201);
  std::vector<std::vector<double>> got(4);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < got.size(); ++t)
    threads.emplace_back([&, t] { got[t] = by_pieces.predict(archs, 16); });
  for (auto& thread : threads) thread.join();
  for (const auto& g : got)
    for (std::size_t i = 0; i < archs.size(); ++i) EXPECT_NEAR(g[i], expected[i], 1e-12 * expected[i]);
}

}  // namespace
}  // namespace hwnas::predictors
