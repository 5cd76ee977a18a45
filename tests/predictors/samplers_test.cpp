#include "hwnas/predictors/sampling/samplers.h"

#include <set>

#include <gtest/gtest.h>

#include "hwnas/core/error.h"
#include "hwnas/predictors/kernels/decomposer.h"
#include "hwnas/predictors/sampling/kernel_builder.h"

namespace hwnas::predictors {
namespace {

std::vector<std::string> keys(const std::vector<KernelSample>& samples) {
  std::vector<std::string> out;
  for (const auto& s : samples) out.push_back(s.kernel.key);
  return out;
}

TEST(KernelBuilder, BuiltKernelHasTheKeyOfTheSameKernelInsideANetwork) {
  core::Graph net;
  auto x = net.input({1, 16, 28, 28});
  auto y = net.unary(core::OpKind::kRelu,
                     net.batch_norm(net.conv2d(x, {.out_channels = 32, .kernel = 3, .stride = 2, .padding = 1})));
  net.mark_output(net.global_avg_pool(y));
  const auto in_network = decompose(net, FusionRules{"p", "t", {{"conv", "bn", "relu"}}});
  ASSERT_EQ(in_network.front().type, "conv-bn-relu");
  const KernelSample built = build_kernel("conv-bn-relu", in_network.front().config);
  EXPECT_EQ(built.kernel.key, in_network.front().key);
  EXPECT_EQ(built.graph.shape(built.graph.outputs()[0]), (core::Shape{1, 32, 14, 14}));
}

TEST(KernelBuilder, BuildsEveryLeaderAndRejectsUnknownTokens) {
  KernelConfig c{.h = 14, .w = 14, .cin = 32, .cout = 64, .kernel = 3, .stride = 1, .groups = 2, .seq_len = 0};
  for (const std::string type : {"conv", "dwconv-bn-relu6", "maxpool", "avgpool", "gap", "fc-relu", "add-relu", "mul",
                                 "concat", "shuffle", "bn-relu", "hswish", "softmax", "flatten", "conv-bn-add-relu"})
    EXPECT_EQ(build_kernel(type, c).kernel.type, type);
  KernelConfig seq{.cin = 64, .cout = 64, .groups = 4, .seq_len = 50};
  EXPECT_EQ(build_kernel("ln", seq).graph.shape(0), (core::Shape{1, 50, 64}));
  EXPECT_EQ(build_kernel("matmul", seq).kernel.config.seq_len, 50);
  EXPECT_THROW(build_kernel("warp-relu", c), Error);
  EXPECT_THROW(build_kernel("conv-gap", c), Error);
}

TEST(RandomSampler, StaysInRangesAndIsDeterministic) {
  RandomSamplerOptions options;
  options.hw = {7, 56};
  options.cin = {16, 128};
  options.cout = {16, 256};
  const auto a = sample_random_kernels("conv-bn-relu", options, 200, 7);
  const auto b = sample_random_kernels("conv-bn-relu", options, 200, 7);
  const auto c = sample_random_kernels("conv-bn-relu", options, 200, 8);
  ASSERT_EQ(a.size(), 200u);
  EXPECT_EQ(keys(a), keys(b));
  EXPECT_NE(keys(a), keys(c));
  std::set<std::string> distinct;
  std::set<std::int64_t> kernel_sizes, strides;
  for (const auto& s : a) {
    const auto& k = s.kernel.config;
    distinct.insert(s.kernel.key);
    EXPECT_GE(k.h, 7);
    EXPECT_LE(k.h, 56);
    EXPECT_GE(k.cin, 16);
    EXPECT_LE(k.cin, 128);
    EXPECT_GE(k.cout, 16);
    EXPECT_LE(k.cout, 256);
    EXPECT_LE(k.kernel, k.h);
    kernel_sizes.insert(k.kernel);
    strides.insert(k.stride);
  }
  EXPECT_EQ(distinct.size(), a.size());
  EXPECT_EQ(kernel_sizes, (std::set<std::int64_t>{1, 3, 5, 7}));
  EXPECT_EQ(strides, (std::set<std::int64_t>{1, 2}));
}

TEST(RandomSampler, LogUniformChannelsFavourSmallValues) {
  RandomSamplerOptions options;
  options.cin = {8, 1024};
  const auto samples = sample_random_kernels("relu", options, 400, 3);
  int below_geometric_mean = 0;  // sqrt(8 * 1024) ~= 90.5: half the mass of a log-uniform draw
  for (const auto& s : samples) below_geometric_mean += s.kernel.config.cin < 90;
  EXPECT_GT(below_geometric_mean, 140);  // a uniform draw would put ~8% (33 of 400) there
  EXPECT_LT(below_geometric_mean, 260);
}

TEST(RandomSampler, FcKernelsGetRowsOnlyWhenAskedFor) {
  RandomSamplerOptions options;
  for (const auto& s : sample_random_kernels("fc", options, 50, 5)) EXPECT_EQ(s.kernel.config.seq_len, 0);
  options.fc_rows = {4, 1024};
  const auto a = sample_random_kernels("fc", options, 100, 5);
  ASSERT_EQ(a.size(), 100u);
  EXPECT_EQ(keys(a), keys(sample_random_kernels("fc", options, 100, 5)));
  std::set<std::int64_t> rows;
  for (const auto& s : a) {
    EXPECT_GE(s.kernel.config.seq_len, 4);
    EXPECT_LE(s.kernel.config.seq_len, 1024);
    EXPECT_EQ(s.graph.shape(s.graph.inputs()[0]), (core::Shape{1, s.kernel.config.seq_len, s.kernel.config.cin}));
    rows.insert(s.kernel.config.seq_len);
  }
  EXPECT_GT(rows.size(), 50u);
}

TEST(PriorSampler, ReturnsKernelsThatOccurInTheSpaces) {
  PriorSamplerOptions options;
  options.archs_per_space = 20;
  const auto rules = default_fusion_rules("torchscript-cpu-t1");
  const auto a = sample_prior_kernels(options, rules, 150, 11);
  const auto b = sample_prior_kernels(options, rules, 150, 11);
  ASSERT_EQ(a.size(), 150u);
  EXPECT_EQ(keys(a), keys(b));
  std::set<std::string> types;
  for (const auto& s : a) types.insert(s.kernel.type);
  EXPECT_TRUE(types.count("conv-bn")) << "NB201/FBNet convs are followed by BN, folded under TorchScript";
  EXPECT_TRUE(types.count("dwconv-bn"));
  options.kernel_types = {"dwconv-bn"};
  for (const auto& s : sample_prior_kernels(options, rules, 1000, 11)) EXPECT_EQ(s.kernel.type, "dwconv-bn");
}

TEST(AdaptiveSampler, SpawnsNeighboursOnlyWherePredictionsMiss) {
  RandomSamplerOptions options;
  options.cin = {32, 128};
  const auto measured = sample_random_kernels("conv", options, 20, 5);
  std::vector<double> truth(measured.size(), 1.0);
  AdaptiveSamplerOptions adaptive;
  adaptive.neighbours = 5;
  EXPECT_TRUE(sample_adaptive_kernels(measured, truth, [](const KernelSample&) { return 1.05; }, adaptive, 1).empty());
  const auto spawned = sample_adaptive_kernels(measured, truth, [](const KernelSample&) { return 2.0; }, adaptive, 1);
  EXPECT_GT(spawned.size(), measured.size() * 3);
  for (const auto& s : spawned) {
    // Every neighbour keeps some parent's HW, K and S, with channels in [0.5c, 1.2c).
    bool has_parent = false;
    for (const auto& m : measured) {
      const auto& p = m.kernel.config;
      const auto& c = s.kernel.config;
      has_parent |= p.h == c.h && p.kernel == c.kernel && p.stride == c.stride && c.cin >= p.cin / 2 &&
                    static_cast<double>(c.cin) < 1.2 * static_cast<double>(p.cin);
    }
    EXPECT_TRUE(has_parent) << s.kernel.key;
  }
}

}  // namespace
}  // namespace hwnas::predictors

namespace hwnas::predictors {
namespace {

TEST(KernelConfigJson, RebuildsTheSameKernelFromTheStoredText) {
  PriorSamplerOptions options;
  options.archs_per_space = 5;
  for (const auto& sample : sample_prior_kernels(options, default_fusion_rules("torchscript-cpu-t1"), 60, 2)) {
    const std::string json = kernel_config_json(sample.graph);
    EXPECT_EQ(json.find("cell"), std::string::npos) << "node names must not leak into the config key";
    const KernelSample back = kernel_from_config_json(sample.kernel.type, json);
    EXPECT_EQ(back.kernel.key, sample.kernel.key);
    EXPECT_EQ(kernel_config_json(back.graph), json);
  }
  EXPECT_THROW(kernel_from_config_json("conv-bn", "{oops"), Error);
  const std::string relu_json = kernel_config_json(build_kernel("relu", {.h = 4, .w = 4, .cin = 8}).graph);
  EXPECT_THROW(kernel_from_config_json("conv", relu_json), Error);
}

}  // namespace
}  // namespace hwnas::predictors
