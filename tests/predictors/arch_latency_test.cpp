#include "hwnas/predictors/arch_latency.h"

#include <gtest/gtest.h>

#include "hwnas/predictors/predictor_sets.h"

namespace hwnas::predictors {
namespace {

/// Streaming in chunks must not change a single prediction: every architecture's latency equals the
/// shipped set's prediction of its own graph, whatever the chunk size (ragged last chunk included).
TEST(ArchLatency, ChunkedPredictionEqualsPredictingEachGraph) {
  const auto set = PredictorSet::load(predictor_set_path(kDefaultPredictorSet));
  for (const std::string name : {"nb201", "fbnet"}) {
    const auto space = spaces::make_space(name);
    spaces::Rng rng(7);
    std::vector<spaces::Arch> archs;
    for (int i = 0; i < 23; ++i) archs.push_back(space->sample(rng));
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

}  // namespace
}  // namespace hwnas::predictors
