#include "hwnas/nn/runnable_graph.h"

#include <cmath>
#include <set>

#include <gtest/gtest.h>

#include "hwnas/core/cost.h"
#include "hwnas/core/error.h"
#include "test_graphs.h"

namespace hwnas::nn {
namespace {

using testing::all_graphs;

// torch.allclose(a, b, rtol, atol): |a - b| <= atol + rtol * |b| elementwise.
void expect_allclose(const std::vector<std::vector<float>>& a, const std::vector<std::vector<float>>& b,
                     double rtol, double atol, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (std::size_t o = 0; o < a.size(); ++o) {
    ASSERT_EQ(a[o].size(), b[o].size()) << what << " output " << o;
    for (std::size_t i = 0; i < a[o].size(); ++i)
      ASSERT_LE(std::abs(a[o][i] - b[o][i]), atol + rtol * std::abs(b[o][i]))
          << what << " output " << o << " element " << i << ": " << a[o][i] << " vs " << b[o][i];
  }
}

std::vector<core::Shape> ir_output_shapes(const core::Graph& g) {
  std::vector<core::Shape> shapes;
  for (auto id : g.outputs()) shapes.push_back(g.shape(id));
  return shapes;
}

TEST(RunnableGraph, TestGraphsCoverEveryOpKind) {
  std::set<core::OpKind> seen;
  for (const auto& g : all_graphs())
    for (const auto& n : g.nodes()) seen.insert(n.kind);
  for (auto kind : core::all_op_kinds()) EXPECT_TRUE(seen.count(kind)) << core::op_name(kind) << " is not covered";
}

TEST(RunnableGraph, OutputShapesMatchTheIr) {
  for (const auto& g : all_graphs()) {
    for (auto engine : {Engine::kEager, Engine::kTorchScript}) {
      RunnableGraph r(g, {.engine = engine});
      EXPECT_EQ(r.output_shapes(), ir_output_shapes(g)) << g.name() << " " << engine_name(engine);
    }
  }
}

TEST(RunnableGraph, ParameterCountMatchesGraphCost) {
  for (const auto& g : all_graphs()) {
    RunnableGraph r(g);
    EXPECT_EQ(r.parameter_count(), core::graph_cost(g).params) << g.name();
  }
  // Independent hand count for conv_bn_relu: conv 16*8*3*3 = 1152 (no bias) + bn 2*16 = 32.
  EXPECT_EQ(RunnableGraph(testing::conv_bn_relu()).parameter_count(), 1184);
}

TEST(RunnableGraph, EagerAndTorchScriptAgree) {
  for (const auto& g : all_graphs()) {
    RunnableGraph eager(g, {.engine = Engine::kEager, .seed = 7});
    RunnableGraph script(g, {.engine = Engine::kTorchScript, .seed = 7});
    const auto a = eager.output_values();
    const auto b = script.output_values();
    expect_allclose(b, a, 1e-4, 1e-4, g.name());
    // Not vacuous: the outputs are not all zero.
    double norm = 0;
    for (float v : a[0]) norm += std::abs(v);
    EXPECT_GT(norm, 1e-3) << g.name();
  }
}

TEST(RunnableGraph, TorchScriptTimesGroupOpsOnOneDnnInputsAndStaysExact) {
  // A pool, an add and a bn after a conv run inside its oneDNN group in a TorchScript network, so alone
  // they are run on oneDNN inputs; a conv starts its own group, and hardswish (through hwnas's wrapper,
  // see script_module.cpp) ends one, so those run as optimize_for_inference builds them. Eager never.
  auto single = [](const std::string& name, auto build) {
    core::Graph g(name);
    g.mark_output(build(g, g.input({1, 8, 12, 12})));
    return g;
  };
  using core::NodeId;
  const std::vector<std::pair<core::Graph, bool>> cases = {
      {single("avgpool", [](core::Graph& g, NodeId x) { return g.avg_pool(x, {.kernel = 3, .stride = 1, .padding = 1}); }),
       true},
      {single("add", [](core::Graph& g, NodeId x) { return g.add(x, g.input({1, 8, 12, 12})); }), true},
      {single("bn", [](core::Graph& g, NodeId x) { return g.batch_norm(x); }), true},
      {single("conv", [](core::Graph& g, NodeId x) { return g.conv2d(x, {.out_channels = 8, .kernel = 3}); }), false},
      {single("hswish", [](core::Graph& g, NodeId x) { return g.unary(core::OpKind::kHardswish, x); }), false},
  };
  for (const auto& [g, onednn] : cases) {
    RunnableGraph script(g, {.engine = Engine::kTorchScript, .seed = 3});
    EXPECT_EQ(script.onednn_inputs(), onednn) << g.name();
    RunnableGraph eager(g, {.engine = Engine::kEager, .seed = 3});
    EXPECT_FALSE(eager.onednn_inputs()) << g.name();
    expect_allclose(script.output_values(), eager.output_values(), 1e-4, 1e-4, g.name());
  }
}

TEST(RunnableGraph, DeterministicUnderTheSeed) {
  const auto g = testing::conv_net();
  const auto a = RunnableGraph(g, {.seed = 3}).output_values();
  const auto b = RunnableGraph(g, {.seed = 3}).output_values();
  const auto c = RunnableGraph(g, {.seed = 4}).output_values();
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST(RunnableGraph, RunRepeatsAndMoves) {
  RunnableGraph r(testing::conv_bn_relu(), {.engine = Engine::kTorchScript});
  r.run();
  r.run(3);
  RunnableGraph moved = std::move(r);
  EXPECT_EQ(moved.engine(), Engine::kTorchScript);
  EXPECT_EQ(moved.output_shapes(), (std::vector<core::Shape>{{1, 16, 10, 10}}));
}

TEST(RunnableGraph, SinksAreOutputsWhenNoneIsMarked) {
  core::Graph g("unmarked");
  auto x = g.input({1, 4, 6, 6});
  g.unary(core::OpKind::kRelu, x);
  g.max_pool(x, {.kernel = 2, .stride = 2});
  for (auto engine : {Engine::kEager, Engine::kTorchScript}) {
    RunnableGraph r(g, {.engine = engine});
    EXPECT_EQ(r.output_shapes(), (std::vector<core::Shape>{{1, 4, 6, 6}, {1, 4, 3, 3}}));
  }
}

TEST(RunnableGraph, IrTextOnlyForTorchScript) {
  EXPECT_TRUE(RunnableGraph(testing::conv_bn_relu()).ir_text().empty());
  EXPECT_NE(RunnableGraph(testing::conv_bn_relu(), {.engine = Engine::kTorchScript}).ir_text().find("graph("),
            std::string::npos);
}

TEST(RunnableGraph, EngineNamesRoundTrip) {
  for (auto engine : {Engine::kEager, Engine::kTorchScript}) EXPECT_EQ(engine_from_name(engine_name(engine)), engine);
  try {
    engine_from_name("onnx");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("torchscript"), std::string::npos) << e.what();
  }
}

TEST(RunnableGraph, ThreadsAndVersion) {
  const int before = intra_op_threads();
  set_intra_op_threads(1);
  EXPECT_EQ(intra_op_threads(), 1);
  set_intra_op_threads(before);
  EXPECT_THROW(set_intra_op_threads(0), Error);
  EXPECT_EQ(torch_version().rfind("1.", 0), 0u) << torch_version();
}

}  // namespace
}  // namespace hwnas::nn
