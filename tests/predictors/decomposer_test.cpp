#include "hwnas/predictors/kernels/decomposer.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "error_of.h"
#include "hwnas/core/error.h"
#include "hwnas/predictors/kernels/kernel_features.h"

namespace hwnas::predictors {
namespace {

using core::OpKind;

std::vector<std::string> types(const std::vector<Kernel>& kernels) {
  std::vector<std::string> out;
  for (const auto& k : kernels) out.push_back(k.type);
  return out;
}

/// conv-bn-relu, then a residual block whose conv output is also read by the add, then dwconv-bn, fc.
core::Graph residual_graph() {
  core::Graph g("residual");
  auto x = g.input({1, 3, 32, 32});
  auto a = g.unary(OpKind::kRelu, g.batch_norm(g.conv2d(x, {.out_channels = 16, .kernel = 3, .padding = 1})));
  auto b = g.batch_norm(g.conv2d(a, {.out_channels = 16, .kernel = 3, .padding = 1}));
  auto sum = g.unary(OpKind::kRelu, g.add(b, a));  // `a` has two consumers: ends its kernel
  auto dw = g.batch_norm(g.conv2d(sum, {.out_channels = 16, .kernel = 3, .padding = 1, .groups = 16}));
  g.mark_output(g.linear(g.flatten(g.global_avg_pool(dw)), {.out_features = 10}));
  return g;
}

FusionRules rules(std::vector<FusionPattern> patterns) { return FusionRules{"test", "test", std::move(patterns)}; }

TEST(Decomposer, EagerRulesGiveOneKernelPerOp) {
  const auto g = residual_graph();
  const auto kernels = decompose(g, default_fusion_rules("libtorch-cpu-t1"));
  EXPECT_EQ(types(kernels), (std::vector<std::string>{"conv", "bn", "relu", "conv", "bn", "add", "relu", "dwconv",
                                                      "bn", "gap", "flatten", "fc"}));
}

TEST(Decomposer, FusesLongestRuleAndStopsAtBranches) {
  const auto g = residual_graph();
  const auto kernels =
      decompose(g, rules({{"conv", "bn", "relu"}, {"conv", "bn"}, {"conv", "bn", "add", "relu"}, {"dwconv", "bn"},
                          {"gap", "flatten", "fc"}}));
  EXPECT_EQ(types(kernels), (std::vector<std::string>{"conv-bn-relu", "conv-bn-add-relu", "dwconv-bn",
                                                      "gap-flatten-fc"}));
  // The add's second operand is `a`, which is also the conv's input: one distinct external tensor.
  EXPECT_EQ(kernels[1].config.inputs, 1);
  EXPECT_EQ(kernels[2].config.inputs, 1);
  EXPECT_EQ(kernels[0].config.cin, 3);
  EXPECT_EQ(kernels[0].config.cout, 16);
  EXPECT_EQ(kernels[0].config.kernel, 3);
  EXPECT_EQ(kernels[2].config.groups, 16);
}

TEST(Decomposer, BacktracksToTheLongestWholeRule) {
  // "conv-bn-hswish" is a prefix of nothing but "conv-bn-hswish-add": with relu after bn, keep conv-bn.
  const auto g = residual_graph();
  const auto kernels = decompose(g, rules({{"conv", "bn"}, {"conv", "bn", "hswish", "add"}}));
  EXPECT_EQ(types(kernels).front(), "conv-bn");
  EXPECT_EQ(types(kernels)[1], "relu");
}

TEST(Decomposer, ATensorReadTwiceOrReturnedEndsItsKernel) {
  // relu's output is both operands of the add (x + x): two reads, so relu-add must not fuse. bn's
  // output is a graph output and also read by the fc-less tail: it ends its kernel too.
  core::Graph g("twice");
  auto x = g.input({1, 8, 8, 8});
  auto r = g.unary(OpKind::kRelu, x);
  auto sum = g.add(r, r);
  auto bn = g.batch_norm(sum);
  g.mark_output(bn);
  g.mark_output(g.unary(OpKind::kRelu, bn));
  const auto kernels = decompose(g, rules({{"relu", "add"}, {"add", "bn"}, {"bn", "relu"}}));
  EXPECT_EQ(types(kernels), (std::vector<std::string>{"relu", "add-bn", "relu"}));
}

TEST(Decomposer, CoversEveryOpExactlyOnce) {
  const auto g = residual_graph();
  const auto kernels = decompose(g, rules({{"conv", "bn", "relu"}, {"add", "relu"}}));
  std::vector<int> seen(g.size(), 0);
  for (const auto& k : kernels)
    for (auto id : k.nodes) ++seen[static_cast<std::size_t>(id)];
  for (const auto& node : g.nodes()) EXPECT_EQ(seen[static_cast<std::size_t>(node.id)], node.kind == OpKind::kInput ? 0 : 1);
}

TEST(Decomposer, EqualComputationsShareAKeyAndKernelGraphsStandAlone) {
  core::Graph g;
  auto x = g.input({1, 8, 16, 16});
  auto a = g.unary(OpKind::kRelu, g.conv2d(x, {.out_channels = 8, .kernel = 3, .padding = 1}, "first"));
  auto b = g.unary(OpKind::kRelu, g.conv2d(a, {.out_channels = 8, .kernel = 3, .padding = 1}, "second"));
  g.mark_output(g.unary(OpKind::kRelu, g.conv2d(b, {.out_channels = 8, .kernel = 5, .padding = 2})));
  const auto kernels = decompose(g, rules({{"conv", "relu"}}));
  ASSERT_EQ(kernels.size(), 3u);
  EXPECT_EQ(kernels[0].key, kernels[1].key);  // names differ, computation does not
  EXPECT_NE(kernels[0].key, kernels[2].key);
  const core::Graph standalone = kernel_graph(g, kernels[2]);
  ASSERT_EQ(standalone.inputs().size(), 1u);
  EXPECT_EQ(standalone.shape(standalone.inputs()[0]), (core::Shape{1, 8, 16, 16}));
  EXPECT_EQ(standalone.shape(standalone.outputs()[0]), (core::Shape{1, 8, 16, 16}));
  // 8 -> 8 channels, 5x5, on 16x16: 2 * 8*8*25 * 256 FLOPs for the conv, 8*256 for the relu.
  EXPECT_DOUBLE_EQ(kernels[2].config.flops, 2.0 * 8 * 8 * 25 * 256 + 8 * 256);
  EXPECT_DOUBLE_EQ(KernelFeatures::of(kernels[2].config, ConvDispatch::kAtenOneThread)[9], kernels[2].config.flops / 1e6);
}

// ConvNeXt runs its pointwise layers as linears on channels-last (1, H, W, C) tensors, a ViT on
// (1, tokens, C): both are one GEMM over rows of C features, and are described alike.
TEST(Decomposer, ALinearOrLayerNormSeesRowsOfFeaturesWhateverTheRank) {
  core::Graph g("rows");
  const core::NodeId pixels = g.input({1, 8, 8, 96});
  const core::NodeId tokens = g.input({1, 64, 96});
  g.mark_output(g.linear(g.layer_norm(pixels), {.out_features = 384}));
  g.mark_output(g.linear(g.layer_norm(tokens), {.out_features = 384}));
  g.mark_output(g.linear(g.input({1, 96}), {.out_features = 10}));
  const auto kernels = decompose(g, default_fusion_rules("libtorch-cpu-t1"));
  ASSERT_EQ(types(kernels), (std::vector<std::string>{"ln", "fc", "ln", "fc", "fc"}));
  for (std::size_t i : {0, 2}) {
    EXPECT_EQ(kernels[i].config.cin, 96);
    EXPECT_EQ(kernels[i].config.cout, 96);
    EXPECT_EQ(kernels[i].config.seq_len, 64);
    EXPECT_EQ(kernels[i].config.h, 0);
  }
  for (std::size_t i : {1, 3}) {
    EXPECT_EQ(kernels[i].config.cin, 96);
    EXPECT_EQ(kernels[i].config.cout, 384);
    EXPECT_EQ(kernels[i].config.seq_len, 64);
    EXPECT_EQ(kernels[i].config.h, 0);
  }
  EXPECT_EQ(KernelFeatures::of(kernels[1].config, ConvDispatch::kAtenOneThread),
            KernelFeatures::of(kernels[3].config, ConvDispatch::kAtenOneThread));
  EXPECT_EQ(kernels[4].config.seq_len, 0);  // a classifier: one row
  EXPECT_EQ(kernels[4].config.cin, 96);
  EXPECT_EQ(kernels[4].config.cout, 10);
}

TEST(FusionRules, FileRoundTripsAndRejectsBadFiles) {
  const auto dir = std::filesystem::temp_directory_path() / ("hwnas_rules_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const FusionRules original{"torchscript-cpu-t1", "detected", {{"conv", "bn", "relu"}, {"fc", "relu"}}};
  save_fusion_rules(original, dir / "rules.yaml");
  const FusionRules back = load_fusion_rules(dir / "rules.yaml");
  EXPECT_EQ(back.platform, original.platform);
  EXPECT_EQ(back.source, original.source);
  EXPECT_EQ(back.patterns, original.patterns);

  std::ofstream(dir / "bad_token.yaml") << "format_version: 1\nplatform: p\nrules:\n  - [conv, warp]\n";
  try {
    load_fusion_rules(dir / "bad_token.yaml");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad_token.yaml:4"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("warp"), std::string::npos) << e.what();
  }
  std::ofstream(dir / "bad_key.yaml") << "format_version: 1\nplatform: p\nrulez: []\n";
  EXPECT_THROW(load_fusion_rules(dir / "bad_key.yaml"), Error);
  std::ofstream(dir / "bad_yaml.yaml") << "rules: [conv, \n";
  EXPECT_NE(test::error_of([&] { load_fusion_rules(dir / "bad_yaml.yaml"); }).find("bad_yaml.yaml:2:1: invalid YAML"),
            std::string::npos);
  std::ofstream(dir / "binary.yaml") << std::string("SQLite format 3\0\x10", 17);
  EXPECT_NE(test::error_of([&] { load_fusion_rules(dir / "binary.yaml"); }).find("not a YAML text file"),
            std::string::npos);
  EXPECT_EQ(test::error_of([&] { load_fusion_rules(dir / "missing.yaml"); }),
            "cannot read fusion rules '" + (dir / "missing.yaml").string() + "'");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace hwnas::predictors
