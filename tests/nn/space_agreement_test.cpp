// The LibTorch module built for an architecture agrees with the IR graph of that architecture: the same
// parameter count (real tensors vs the IR's formulas) and the same output shape on a random input, for
// many random architectures of every built-in space.

#include <gtest/gtest.h>

#include "hwnas/core/cost.h"
#include "hwnas/nn/runnable_graph.h"
#include "hwnas/spaces/search_space.h"

namespace hwnas::nn {
namespace {

void expect_agreement(const std::string& space_name, int archs, std::uint64_t seed,
                      const spaces::SpaceOptions& options = {}) {
  const auto space = spaces::make_space(space_name, options);
  spaces::Rng rng(seed);
  for (int i = 0; i < archs; ++i) {
    const spaces::Arch arch = space->sample(rng);
    const core::Graph graph = space->to_graph(arch);
    RunnableGraph module(graph, {.engine = Engine::kEager, .seed = seed + static_cast<std::uint64_t>(i)});
    EXPECT_EQ(module.parameter_count(), core::graph_cost(graph).params) << space_name << " " << space->to_string(arch);
    const auto shapes = module.output_shapes();
    ASSERT_EQ(shapes.size(), 1u);
    EXPECT_EQ(shapes[0], graph.shape(graph.outputs().front())) << space_name << " " << space->to_string(arch);
  }
}

TEST(SpaceAgreement, Nb201ModulesMatchTheirGraphs) {
  expect_agreement("nb201", 25, 1);
  expect_agreement("nb201", 5, 2, {{"dataset", "imagenet16-120"}});
}

TEST(SpaceAgreement, FbnetModulesMatchTheirGraphs) {
  expect_agreement("fbnet", 25, 3);
  expect_agreement("fbnet", 2, 4, {{"dataset", "imagenet"}});
}

TEST(SpaceAgreement, MobilenetAndVitModulesMatchTheirGraphs) {
  expect_agreement("mobilenet", 2, 5);
  expect_agreement("vit", 1, 6);
}

}  // namespace
}  // namespace hwnas::nn
