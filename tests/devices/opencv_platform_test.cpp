// The opencv-cpu-t1 platform: graphs built layer by layer as cv::dnn::Nets have the IR's shapes and the
// values derived by hand below, unsupported ops are refused by name, OpenCV's fusion pass folds what the
// platform's default fusion rules (predictors) say, and whole networks of the spaces run.

#include "hwnas/devices/opencv_platform.h"

#include <cmath>
#include <functional>
#include <numeric>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <gtest/gtest.h>

#include "quick_profile.h"

#include "error_of.h"
#include "hwnas/core/error.h"
#include "hwnas/predictors/kernels/fusion_rules.h"
#include "hwnas/predictors/sampling/kernel_builder.h"
#include "hwnas/spaces/mobilenet.h"
#include "hwnas/spaces/search_space.h"

namespace hwnas::devices {
namespace {

using core::NodeId;
using core::OpKind;
using test::error_of;

/// 1, 2, 3, ...: a ramp input whose windows can be summed by hand.
std::vector<float> ramp(std::size_t n, float start = 1) {
  std::vector<float> v(n);
  std::iota(v.begin(), v.end(), start);
  return v;
}

std::vector<float> run_once(const core::Graph& g, const std::vector<std::vector<float>>& inputs,
                            OpenCvNetOptions options = {}) {
  OpenCvNet net(g, options);
  net.set_inputs(inputs);
  const auto values = net.output_values();
  EXPECT_EQ(values.size(), 1u);
  return values.front();
}

void expect_near_all(const std::vector<float>& got, const std::vector<float>& expected) {
  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], 1e-5) << "element " << i;
}

TEST(OpenCvPlatform, OutputShapesEqualTheIrs) {
  std::vector<core::Graph> graphs;
  {
    core::Graph g("conv");  // 3x3 stride 2 with bias, 5x5 dilation 2, grouped 1x1
    auto x = g.input({1, 8, 17, 17});
    x = g.conv2d(x, {.out_channels = 16, .kernel = 3, .stride = 2, .padding = 1, .bias = true});
    x = g.conv2d(x, {.out_channels = 16, .kernel = 5, .padding = 4, .dilation = 2});
    g.mark_output(g.conv2d(x, {.out_channels = 8, .kernel = 1, .groups = 4}));
    graphs.push_back(g);
  }
  {
    core::Graph g("dwconv");
    auto x = g.input({1, 24, 15, 15});
    g.mark_output(g.conv2d(x, {.out_channels = 24, .kernel = 5, .stride = 2, .padding = 2, .groups = 24}));
    graphs.push_back(g);
  }
  {
    core::Graph g("pool");  // odd sizes: floor vs ceil rounding shows
    auto x = g.input({1, 4, 15, 15});
    x = g.max_pool(x, {.kernel = 3, .stride = 2, .padding = 1});
    x = g.avg_pool(x, {.kernel = 2, .stride = 2, .ceil_mode = true});
    g.mark_output(g.avg_pool(x, {.kernel = 3, .stride = 1, .padding = 1, .count_include_pad = false}));
    graphs.push_back(g);
  }
  {
    core::Graph g("gap_fc");
    auto x = g.input({2, 32, 7, 7});
    g.mark_output(g.linear(g.flatten(g.global_avg_pool(x)), {.out_features = 10}));
    graphs.push_back(g);
  }
  {
    core::Graph g("add_concat_shuffle");
    auto a = g.input({1, 6, 9, 9});
    auto b = g.input({1, 6, 9, 9});
    auto s = g.add(a, b);
    g.mark_output(g.channel_shuffle(g.concat({s, a, b}), 3));
    graphs.push_back(g);
  }
  {
    core::Graph g("se");
    auto x = g.input({1, 16, 10, 10});
    auto y = g.unary(OpKind::kHardsigmoid, g.conv2d(g.global_avg_pool(x), {.out_channels = 16, .kernel = 1}));
    g.mark_output(g.mul(x, y));
    graphs.push_back(g);
  }
  for (const auto& g : graphs) {
    OpenCvNet net(g);
    EXPECT_EQ(net.output_shapes(), (std::vector<core::Shape>{g.shape(g.outputs().front())})) << g.name();
  }
}

TEST(OpenCvPlatform, PoolingMatchesTheIrsSemantics) {
  core::Shape in = {1, 1, 3, 3};  // input 1..9 row-major: [[1,2,3],[4,5,6],[7,8,9]]
  {
    // 3x3 average, stride 1, padding 1. Corner (0,0) sees 1+2+4+5 = 12: 12/4 = 3 without the padding in
    // the count, 12/9 with it. Edge (0,1) sees 1+2+3+4+5+6 = 21 over 6 or 9; the centre sees 45 over 9.
    for (bool include : {false, true}) {
      core::Graph g("avg");
      g.mark_output(g.avg_pool(g.input(in), {.kernel = 3, .stride = 1, .padding = 1, .count_include_pad = include}));
      const float c = include ? 9 : 4, e = include ? 9 : 6;
      expect_near_all(run_once(g, {ramp(9)}),
                      {12 / c, 21 / e, 16 / c, 27 / e, 5, 33 / e, 24 / c, 39 / e, 28 / c});
    }
  }
  {
    // 2x2 average, stride 2, ceil mode: a 2x2 output; the last windows hang over the edge and divide by
    // the cells inside the input (no padding to count): (1+2+4+5)/4, (3+6)/2, (7+8)/2, 9/1.
    core::Graph g("avg_ceil");
    g.mark_output(g.avg_pool(g.input(in), {.kernel = 2, .stride = 2, .ceil_mode = true}));
    expect_near_all(run_once(g, {ramp(9)}), {3, 4.5, 7.5, 9});
  }
  {
    // 3x3 max, stride 2, padding 1 on the 4x4 ramp 1..16: windows centred on (0,0), (0,2), (2,0), (2,2)
    // hold maxima 6, 8, 14, 16 (padding never wins).
    core::Graph g("max");
    g.mark_output(g.max_pool(g.input({1, 1, 4, 4}), {.kernel = 3, .stride = 2, .padding = 1}));
    expect_near_all(run_once(g, {ramp(16)}), {6, 8, 14, 16});
  }
  {
    core::Graph g("gap");  // mean of 1..9 = 5, and of 10..18 = 14
    g.mark_output(g.global_avg_pool(g.input({1, 2, 3, 3})));
    expect_near_all(run_once(g, {ramp(18)}), {5, 14});
  }
}

TEST(OpenCvPlatform, ElementwiseOpsMatchPyTorchs) {
  const std::vector<float> x = {-4, -3, -1.5, 0, 1, 1.5, 3, 7};
  const auto unary = [&](OpKind kind) {
    core::Graph g(std::string(core::op_name(kind)));
    g.mark_output(g.unary(kind, g.input({1, 2, 2, 2})));
    return run_once(g, {x});
  };
  expect_near_all(unary(OpKind::kRelu), {0, 0, 0, 0, 1, 1.5, 3, 7});
  expect_near_all(unary(OpKind::kRelu6), {0, 0, 0, 0, 1, 1.5, 3, 6});
  // hardsigmoid = clip(x / 6 + 1/2, 0, 1): -1.5 -> 0.25, 1 -> 2/3, 1.5 -> 0.75, >= 3 -> 1.
  expect_near_all(unary(OpKind::kHardsigmoid), {0, 0, 0.25, 0.5, 2.0f / 3, 0.75, 1, 1});
  // hardswish = x * hardsigmoid(x).
  expect_near_all(unary(OpKind::kHardswish), {0, 0, -0.375, 0, 2.0f / 3, 1.125, 3, 7});
  const auto sigmoid = [](float v) { return 1 / (1 + std::exp(-v)); };
  std::vector<float> sig, silu;
  for (float v : x) {
    sig.push_back(sigmoid(v));
    silu.push_back(v * sigmoid(v));
  }
  expect_near_all(unary(OpKind::kSigmoid), sig);
  expect_near_all(unary(OpKind::kSilu), silu);
  expect_near_all(unary(OpKind::kZero), std::vector<float>(8, 0));

  {
    // relu(x) + x, with relu reading the graph input directly: the input must survive the relu (OpenCV runs
    // activations in place where it may) and stay the same over repeated runs.
    core::Graph g("relu_add");
    auto in = g.input({1, 2, 2, 2});
    g.mark_output(g.add(g.unary(OpKind::kRelu, in), in));
    OpenCvNet net(g);
    net.set_inputs({x});
    const std::vector<float> expected = {-4, -3, -1.5, 0, 2, 3, 6, 14};
    expect_near_all(net.output_values().front(), expected);
    net.run(3);
    expect_near_all(net.output_values().front(), expected);
  }
  {
    // SE scaling: (1, 2, 2, 2) times a per-channel (1, 2, 1, 1) factor [2, 10], either operand order.
    for (bool swapped : {false, true}) {
      core::Graph g("se_mul");
      auto a = g.input({1, 2, 2, 2});
      auto s = g.input({1, 2, 1, 1});
      g.mark_output(swapped ? g.mul(s, a) : g.mul(a, s));
      expect_near_all(run_once(g, {ramp(8), {2, 10}}), {2, 4, 6, 8, 50, 60, 70, 80});
    }
    // Batch 2: each sample's channels take their own factor; (2, 2, 1, 2) times [[1, 2], [3, 4]].
    core::Graph g("se_mul_batch2");
    const NodeId a = g.input({2, 2, 1, 2});
    g.mark_output(g.mul(a, g.input({2, 2, 1, 1})));
    expect_near_all(run_once(g, {ramp(8), {1, 2, 3, 4}}), {1, 2, 6, 8, 15, 18, 28, 32});
  }
  {
    // Per-channel shift [100, -100], and an equal-shape product (squares).
    core::Graph g("shift");
    const NodeId a = g.input({1, 2, 1, 2});
    g.mark_output(g.add(a, g.input({1, 2, 1, 1})));
    expect_near_all(run_once(g, {ramp(4), {100, -100}}), {101, 102, -97, -96});
    core::Graph p("square");
    auto in = p.input({1, 4});
    p.mark_output(p.mul(in, in));
    expect_near_all(run_once(p, {ramp(4)}), {1, 4, 9, 16});
  }
}

TEST(OpenCvPlatform, LayoutOpsMatchPyTorchs) {
  {
    // Channel c holds the value c. Shuffle with 2 groups: (2, 3) -> transpose -> (3, 2), so output
    // channel k reads input channel (k % 2) * 3 + k / 2: 0, 3, 1, 4, 2, 5.
    core::Graph g("shuffle");
    g.mark_output(g.channel_shuffle(g.input({1, 6, 1, 1}), 2));
    expect_near_all(run_once(g, {ramp(6, 0)}), {0, 3, 1, 4, 2, 5});
  }
  {
    // Concat on channels: b's two channels after a's one; then flatten keeps the order.
    core::Graph g("concat");
    g.mark_output(g.flatten(g.concat({g.input({1, 1, 1, 2}), g.input({1, 2, 1, 2})})));
    expect_near_all(run_once(g, {{1, 2}, {3, 4, 5, 6}}), {1, 2, 3, 4, 5, 6});
  }
}

TEST(OpenCvPlatform, OutputsAreTheMarkedOnesOrTheSinks) {
  // Two marked outputs, one of them the graph input itself (through an identity): both come back, in order.
  core::Graph g("two_outputs");
  const NodeId in = g.input({1, 3});
  g.mark_output(g.unary(OpKind::kRelu6, in));
  g.mark_output(g.unary(OpKind::kIdentity, in));
  OpenCvNet net(g);
  net.set_inputs({{-1, 2, 9}});
  EXPECT_EQ(net.output_values(), (std::vector<std::vector<float>>{{0, 2, 6}, {-1, 2, 9}}));
  // Nothing marked: the sinks (nodes nobody reads), in id order.
  core::Graph h("sinks");
  const NodeId x = h.input({1, 2});
  h.unary(OpKind::kRelu, x);
  h.add(x, x);
  OpenCvNet sinks(h);
  sinks.set_inputs({{-3, 4}});
  EXPECT_EQ(sinks.output_values(), (std::vector<std::vector<float>>{{0, 4}, {-6, 8}}));
}

TEST(OpenCvPlatform, WeightedOpsWithConstantWeights) {
  const OpenCvNetOptions ones{.constant_weights = 1.0f};
  {
    // 3x3 conv, padding 1, all weights 1, on an all-ones 1-channel 3x3 input: each output counts the input
    // cells its window covers: 4 at corners, 6 on edges, 9 in the centre.
    core::Graph g("conv3x3");
    g.mark_output(g.conv2d(g.input({1, 1, 3, 3}), {.out_channels = 1, .kernel = 3, .padding = 1}));
    expect_near_all(run_once(g, {std::vector<float>(9, 1)}, ones), {4, 6, 4, 6, 9, 6, 4, 6, 4});
  }
  {
    // Depthwise 3x3 (groups = channels = 2), padding 1, on a 1x1 map: only the centre tap sees the input,
    // so each channel is copied: [3, 5]. A dense conv would mix them (8, 8).
    core::Graph g("dwconv");
    g.mark_output(g.conv2d(g.input({1, 2, 1, 1}), {.out_channels = 2, .kernel = 3, .padding = 1, .groups = 2}));
    expect_near_all(run_once(g, {{3, 5}}, ones), {3, 5});
  }
  {
    // Linear 4 -> 3 with weights 0.25 and zero bias: the mean of the input, 2.5, three times. Batch norm in
    // constant mode is mean 0, var 1, scale 1, shift 0: x / sqrt(1 + 1e-5).
    core::Graph g("fc_bn");
    g.mark_output(g.batch_norm(g.linear(g.input({1, 4}), {.out_features = 3})));
    const float y = 2.5f / std::sqrt(1 + 1e-5f);
    expect_near_all(run_once(g, {ramp(4)}, {.constant_weights = 0.25f}), {y, y, y});
  }
}

TEST(OpenCvPlatform, RandomWeightsAndInputFollowTheSeed) {
  core::Graph g("conv_bn");
  g.mark_output(g.batch_norm(g.conv2d(g.input({1, 3, 6, 6}), {.out_channels = 4, .kernel = 3, .bias = true})));
  const auto a = OpenCvNet(g, {.seed = 7}).output_values();
  const auto b = OpenCvNet(g, {.seed = 7}).output_values();
  const auto c = OpenCvNet(g, {.seed = 8}).output_values();
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  for (float v : a.front()) EXPECT_TRUE(std::isfinite(v));
}

TEST(OpenCvPlatform, UnsupportedOpsAreNamed) {
  core::Graph ln("tokens");
  ln.mark_output(ln.layer_norm(ln.input({1, 4, 8}), {}, "norm"));
  const auto platform = make_opencv_platform();
  const std::string m = error_of([&] { platform->prepare(ln); });
  for (const char* part : {"opencv-cpu-t1", "graph 'tokens'", "node 1 'norm'", "layer_norm", "supported:"})
    EXPECT_NE(m.find(part), std::string::npos) << m;

  core::Graph mm("mm");
  mm.mark_output(mm.matmul(mm.input({1, 2, 3}), mm.input({1, 3, 2}), "product"));
  const std::string m2 = error_of([&] { OpenCvNet net(mm); });
  EXPECT_NE(m2.find("node 2 'product' (matmul)"), std::string::npos) << m2;

  core::Graph bad("broadcast");  // (1, 4, 1, 3) + (1, 4, 2, 1): a broadcast OpenCV's layers cannot do
  bad.mark_output(bad.add(bad.input({1, 4, 1, 3}), bad.input({1, 4, 2, 1}), "sum"));
  const std::string m3 = error_of([&] { OpenCvNet net(bad); });
  EXPECT_NE(m3.find("node 2 'sum' (add)"), std::string::npos) << m3;

  core::Graph two("two_inputs");
  two.mark_output(two.add(two.input({1, 2}), two.input({1, 2})));
  OpenCvNet ok(two);
  EXPECT_NE(error_of([&] { ok.set_inputs({{1, 2}}); }).find("expects 2 input(s), got 1"), std::string::npos);
  EXPECT_NE(error_of([&] { ok.set_inputs({{1, 2}, {1, 2, 3}}); }).find("input 1 has 3 values, expected 2"),
            std::string::npos);
}

TEST(OpenCvPlatform, DefaultFusionRulesAreWhatOpenCvFuses) {
  // predictors' default rules for this platform against OpenCV's own fusion pass, read from the library:
  // every rule runs as one layer (all its ops but the first skipped), and every other pair of ops runs
  // as two layers.
  const auto rules = predictors::default_fusion_rules("opencv-cpu-t1");
  ASSERT_FALSE(rules.patterns.empty());
  const predictors::KernelConfig config{.h = 8, .w = 8, .cin = 16, .cout = 16, .kernel = 3, .stride = 1};
  const auto skipped_of = [&](const std::string& type, std::vector<NodeId>* ops) {
    const auto sample = predictors::build_kernel(type, config);
    *ops = sample.kernel.nodes;
    return OpenCvNet(sample.graph).skipped_nodes();
  };
  for (const auto& rule : rules.patterns) {
    const std::string type = fmt::format("{}", fmt::join(rule, "-"));
    std::vector<NodeId> ops;
    const auto skipped = skipped_of(type, &ops);
    ASSERT_EQ(ops.size(), rule.size()) << type;
    EXPECT_EQ(skipped, std::vector<NodeId>(ops.begin() + 1, ops.end())) << type;
  }
  int pairs = 0;
  for (const char* lead : {"conv", "dwconv", "fc", "maxpool", "avgpool", "gap", "bn", "add", "mul", "relu", "swish"}) {
    for (const char* follow : {"bn", "relu", "relu6", "hswish", "hsigmoid", "sigmoid", "swish", "zero", "add"}) {
      if (rules.matches({lead, follow})) continue;
      std::vector<NodeId> ops;
      EXPECT_EQ(skipped_of(fmt::format("{}-{}", lead, follow), &ops), std::vector<NodeId>{}) << lead << "-" << follow;
      ++pairs;
    }
  }
  EXPECT_GT(pairs, 40);
}

TEST(OpenCvPlatform, FingerprintNamesTheEngineAndItsVersion) {
  const auto platform = make_platform("opencv-cpu-t1");
  const auto f = platform->fingerprint();
  EXPECT_EQ(f.platform, "opencv-cpu-t1");
  EXPECT_EQ(f.engine, "opencv-dnn " + opencv_version());
  EXPECT_EQ(opencv_version().rfind("4.", 0), 0u) << opencv_version();
  EXPECT_EQ(f.threads, 1);
  EXPECT_TRUE(f.torch_version.empty());  // LibTorch runs nothing on this platform
  EXPECT_NE(f.cpu_model, "unknown");
  EXPECT_GE(f.cores, 1);
  EXPECT_EQ(make_platform("opencv-cpu-t1")->fingerprint(), f);
  EXPECT_NE(f.hash(), make_platform("libtorch-cpu-t1")->fingerprint().hash());
  EXPECT_THROW(make_opencv_platform({.name = "opencv-cpu-t0", .threads = 0}), Error);
  EXPECT_THROW(make_opencv_platform({.name = ""}), Error);
}

TEST(OpenCvPlatform, MeasuresASmallConv) {
  core::Graph g("conv");
  auto x = g.input({1, 16, 16, 16});
  g.mark_output(g.unary(OpKind::kRelu, g.batch_norm(g.conv2d(x, {.out_channels = 16, .kernel = 3, .padding = 1}))));
  auto platform = make_platform("opencv-cpu-t1");
  const Measurement m = platform->measure(g, hwnas::test::quick_profile_options());
  EXPECT_TRUE(std::isfinite(m.median_ms));
  EXPECT_GT(m.median_ms, 0);
  EXPECT_TRUE(std::isfinite(m.spread));
  EXPECT_GE(m.spread, 0);
  EXPECT_LE(m.min_ms, m.median_ms);
  EXPECT_LE(m.median_ms, m.max_ms);
  EXPECT_EQ(m.time_source, TimeSource::kThreadCpuTime);  // one thread: OpenCV runs on the calling thread
}

TEST(OpenCvPlatform, RunsWholeNetworksOfTheSpaces) {
  auto platform = make_platform("opencv-cpu-t1");
  const auto run_space = [&](const std::string& name, std::uint64_t seed,
                             const std::function<void(spaces::Arch&)>& fix) {
    const auto space = spaces::make_space(name);
    spaces::Rng rng(seed);
    for (int i = 0; i < 2; ++i) {
      spaces::Arch arch = space->sample(rng);
      fix(arch);
      const core::Graph graph = space->to_graph(arch);
      OpenCvNet net(graph, {.seed = seed});
      EXPECT_EQ(net.output_shapes(), (std::vector<core::Shape>{graph.shape(graph.outputs().front())}))
          << name << " " << space->to_string(arch);
      const auto values = net.output_values();
      for (float v : values.front()) ASSERT_TRUE(std::isfinite(v)) << name << " " << space->to_string(arch);
      platform->prepare(graph)->run(1);
    }
  };
  run_space("nb201", 1, [](spaces::Arch&) {});
  run_space("fbnet", 2, [](spaces::Arch&) {});
  // MobileNetV3 brings the SE block (mul by a per-channel factor) and hardswish; at 128x128 to stay fast.
  run_space("mobilenet", 3, [](spaces::Arch& a) { a.genes[spaces::kMobilenetResolutionGene] = 0; });
}

}  // namespace
}  // namespace hwnas::devices
