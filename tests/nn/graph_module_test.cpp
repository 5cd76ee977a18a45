#include "hwnas/nn/graph_module.h"

#include <cmath>

#include <gtest/gtest.h>

#include "hwnas/core/error.h"
#include "test_graphs.h"

namespace hwnas::nn {
namespace {

using core::OpKind;

// Runs a one-input graph in eval mode on `x` and returns its single output.
torch::Tensor run_eval(const core::Graph& g, const torch::Tensor& x) {
  GraphModule m(g);
  m->eval();
  torch::NoGradGuard no_grad;
  return m->forward({x})[0];
}

torch::Tensor iota_image(std::int64_t c, std::int64_t h, std::int64_t w) {
  return torch::arange(1, 1 + c * h * w, torch::kFloat32).view({1, c, h, w});
}

TEST(GraphModule, AvgPoolCountIncludePadAtTheCorner) {
  // Input 1..9 in a 3x3 grid; 3x3 window, stride 1, padding 1. At the top-left corner the window sees
  // 1, 2, 4, 5 (sum 12): excluding padding divides by 4 -> 3, including it divides by 9 -> 1.3333.
  // At the centre all nine values are real: 45 / 9 = 5 either way.
  for (bool include : {false, true}) {
    core::Graph g;
    g.mark_output(g.avg_pool(g.input({1, 1, 3, 3}), {.kernel = 3, .stride = 1, .padding = 1, .count_include_pad = include}));
    const auto y = run_eval(g, iota_image(1, 3, 3));
    EXPECT_NEAR(y[0][0][0][0].item<float>(), include ? 12.0 / 9.0 : 3.0, 1e-6);
    EXPECT_NEAR(y[0][0][1][1].item<float>(), 5.0, 1e-6);
  }
}

TEST(GraphModule, MaxPoolCeilModeKeepsThePartialWindow) {
  // 1x1x3x3 of 1..9, kernel 2 stride 2: floor mode gives one window (max 5); ceil mode adds the partial
  // windows on the right/bottom: [[5, 6], [8, 9]].
  core::Graph g;
  g.mark_output(g.max_pool(g.input({1, 1, 3, 3}), {.kernel = 2, .stride = 2, .ceil_mode = true}));
  const auto y = run_eval(g, iota_image(1, 3, 3));
  ASSERT_EQ(y.sizes(), (std::vector<std::int64_t>{1, 1, 2, 2}));
  EXPECT_TRUE(torch::equal(y.flatten(), torch::tensor({5.f, 6.f, 8.f, 9.f})));
}

TEST(GraphModule, ChannelShufflePermutesChannels) {
  // 6 channels holding their own index, 2 groups: view (2, 3) = [[0,1,2],[3,4,5]], transpose -> 0,3,1,4,2,5.
  core::Graph g;
  g.mark_output(g.channel_shuffle(g.input({1, 6, 1, 1}), 2));
  const auto y = run_eval(g, torch::arange(6, torch::kFloat32).view({1, 6, 1, 1}));
  EXPECT_TRUE(torch::equal(y.flatten(), torch::tensor({0.f, 3.f, 1.f, 4.f, 2.f, 5.f})));
}

TEST(GraphModule, ActivationsMatchHandValues) {
  const auto x = torch::tensor({-4.f, 0.f, 1.f, 4.f, 7.f}).view({1, 5});
  const auto apply = [&](OpKind kind) {
    core::Graph g;
    g.mark_output(g.unary(kind, g.input({1, 5})));
    return run_eval(g, x).flatten();
  };
  const auto expect = [](const torch::Tensor& y, std::vector<float> want) {
    ASSERT_EQ(y.numel(), static_cast<std::int64_t>(want.size()));
    for (std::size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(y[static_cast<long>(i)].item<float>(), want[i], 1e-5) << i;
  };
  expect(apply(OpKind::kRelu), {0, 0, 1, 4, 7});
  expect(apply(OpKind::kRelu6), {0, 0, 1, 4, 6});
  // hardswish = x * relu6(x + 3) / 6: -4 -> 0, 0 -> 0, 1 -> 4/6, 4 -> 4, 7 -> 7.
  expect(apply(OpKind::kHardswish), {0, 0, 4.f / 6, 4, 7});
  // hardsigmoid = relu6(x + 3) / 6: 0, 0.5, 4/6, 1, 1.
  expect(apply(OpKind::kHardsigmoid), {0, 0.5f, 4.f / 6, 1, 1});
  // sigmoid(1) = 1 / (1 + e^-1) = 0.7310586; silu(1) = 1 * sigmoid(1); gelu(1) = 0.5 * (1 + erf(1/sqrt 2)).
  EXPECT_NEAR(apply(OpKind::kSigmoid)[2].item<float>(), 0.7310586, 1e-6);
  EXPECT_NEAR(apply(OpKind::kSilu)[3].item<float>(), 4.0 / (1.0 + std::exp(-4.0)), 1e-5);
  EXPECT_NEAR(apply(OpKind::kGelu)[2].item<float>(), 0.5 * (1.0 + std::erf(1.0 / std::sqrt(2.0))), 1e-6);
  expect(apply(OpKind::kZero), {0, 0, 0, 0, 0});
  expect(apply(OpKind::kIdentity), {-4, 0, 1, 4, 7});
}

TEST(GraphModule, ConvUsesStridePaddingDilationGroups) {
  // All-ones 3x3 kernel, padding 1 on a 3x3 all-ones image: corner sees 4 ones, centre 9.
  core::Graph g;
  auto c = g.conv2d(g.input({1, 1, 3, 3}), {.out_channels = 1, .kernel = 3, .padding = 1});
  g.mark_output(c);
  GraphModule m(g);
  m->eval();
  torch::NoGradGuard no_grad;
  m->tensors(c).weight.fill_(1.0);
  auto y = m->forward({torch::ones({1, 1, 3, 3})})[0];
  EXPECT_FLOAT_EQ(y[0][0][0][0].item<float>(), 4);
  EXPECT_FLOAT_EQ(y[0][0][1][1].item<float>(), 9);

  // Dilation 2, kernel 3, stride 2 on 5x5 of 1..25, no padding: one output at (0,0) reading rows/cols
  // 0, 2, 4: 1+3+5 + 11+13+15 + 21+23+25 = 117. Grouped: 2 in, 2 out, groups 2 keeps channels apart.
  core::Graph g2;
  auto c2 = g2.conv2d(g2.input({1, 2, 5, 5}), {.out_channels = 2, .kernel = 3, .stride = 2, .dilation = 2, .groups = 2});
  g2.mark_output(c2);
  GraphModule m2(g2);
  m2->eval();
  m2->tensors(c2).weight.fill_(1.0);
  auto x2 = torch::cat({iota_image(1, 5, 5), torch::zeros({1, 1, 5, 5})}, 1);
  auto y2 = m2->forward({x2})[0];
  ASSERT_EQ(y2.sizes(), (std::vector<std::int64_t>{1, 2, 1, 1}));
  EXPECT_FLOAT_EQ(y2[0][0][0][0].item<float>(), 117);
  EXPECT_FLOAT_EQ(y2[0][1][0][0].item<float>(), 0);
}

TEST(GraphModule, BatchNormEvalUsesRunningStatsTrainUsesBatch) {
  core::Graph g;
  auto bn = g.batch_norm(g.input({2, 1, 1, 1}), {.eps = 0.5});
  g.mark_output(bn);
  GraphModule m(g);
  const auto x = torch::tensor({1.f, 3.f}).view({2, 1, 1, 1});
  {
    // Eval: running mean 0, var 1 -> y = x / sqrt(1 + 0.5).
    m->eval();
    torch::NoGradGuard no_grad;
    auto y = m->forward({x})[0].flatten();
    EXPECT_NEAR(y[1].item<float>(), 3.0 / std::sqrt(1.5), 1e-6);
  }
  // Train (the default of a fresh module): batch mean 2, biased var 1 -> y = (x - 2) / sqrt(1.5);
  // running mean <- 0.9 * 0 + 0.1 * 2 = 0.2, running var <- 0.9 * 1 + 0.1 * 2 (unbiased var) = 1.1.
  m->train();
  auto y = m->forward({x})[0].flatten();
  EXPECT_NEAR(y[0].item<float>(), -1.0 / std::sqrt(1.5), 1e-6);
  EXPECT_NEAR(m->tensors(bn).running_mean.item<float>(), 0.2, 1e-6);
  EXPECT_NEAR(m->tensors(bn).running_var.item<float>(), 1.1, 1e-6);
}

TEST(GraphModule, ClassTokenIsPrependedAndEmbeddingAdded) {
  core::Graph g;
  auto x = g.input({2, 3, 4});
  auto cls = g.parameter(x, {.shape = {1, 1, 4}, .concat_axis = 1});
  auto pos = g.parameter(cls, {.shape = {1, 4, 4}});
  g.mark_output(pos);
  GraphModule m(g);
  m->eval();
  torch::NoGradGuard no_grad;
  m->tensors(cls).weight.fill_(5.0);
  m->tensors(pos).weight.fill_(0.5);
  const auto in = torch::randn({2, 3, 4});
  auto y = m->forward({in})[0];
  ASSERT_EQ(y.sizes(), (std::vector<std::int64_t>{2, 4, 4}));
  EXPECT_TRUE(torch::allclose(y.select(1, 0), torch::full({2, 4}, 5.5)));
  EXPECT_TRUE(torch::allclose(y.narrow(1, 1, 3), in + 0.5));
}

TEST(GraphModule, PytorchDefaultInitialisation) {
  const auto g = testing::conv_net();
  GraphModule a(g, 1), b(g, 1), c(g, 2);
  // conv 1: 3 in channels x 3 x 3 = fan_in 27 -> weights and bias uniform in +-1/sqrt(27).
  const auto& w = a->tensors(1).weight;
  const double bound = 1.0 / std::sqrt(27.0);
  EXPECT_LE(w.abs().max().item<double>(), bound);
  EXPECT_GT(w.abs().max().item<double>(), 0.8 * bound);  // 216 uniform draws: max |w| > 0.8 bound w.p. 1 - 0.8^216
  EXPECT_LE(a->tensors(1).bias.abs().max().item<double>(), bound);
  // Batch norm right after: scale 1, shift 0, running stats 0 / 1.
  EXPECT_TRUE(torch::equal(a->tensors(2).weight, torch::ones({8})));
  EXPECT_TRUE(torch::equal(a->tensors(2).bias, torch::zeros({8})));
  EXPECT_TRUE(torch::equal(a->tensors(2).running_var, torch::ones({8})));
  EXPECT_TRUE(torch::equal(a->tensors(1).weight, b->tensors(1).weight));
  EXPECT_FALSE(torch::equal(a->tensors(1).weight, c->tensors(1).weight));
}

TEST(GraphModule, GradientsReachEveryWeight) {
  GraphModule m(testing::conv_net());  // train mode, as zero-cost proxies use it
  auto out = m->forward(m->make_inputs(0))[0];
  out.pow(2).sum().backward();
  for (const auto& p : m->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    EXPECT_GT(p.value().grad().abs().sum().item<double>(), 0) << p.key();
  }
}

TEST(GraphModule, ForwardAllExposesEveryValueAndHooksReplaceThem) {
  const auto g = testing::conv_bn_relu();
  GraphModule m(g);
  m->eval();
  torch::NoGradGuard no_grad;
  const auto inputs = m->make_inputs(0);
  const auto values = m->forward_all(inputs);
  ASSERT_EQ(values.size(), g.size());
  EXPECT_TRUE(torch::equal(values.back(), m->forward(inputs)[0]));
  EXPECT_TRUE(torch::equal(values[3], torch::relu(values[2])));
  // Replacing the batch norm output by its input (how synflow removes BN) skips it.
  const auto skipped = m->forward_all(inputs, [](const core::Node& node, const std::vector<torch::Tensor>& in,
                                                 torch::Tensor out) {
    return node.kind == OpKind::kBatchNorm ? in[0] : out;
  });
  EXPECT_TRUE(torch::equal(skipped.back(), torch::relu(values[1])));
}

TEST(GraphModule, WrongInputNamesTheNode) {
  GraphModule m(testing::conv_bn_relu());
  try {
    m->forward({torch::zeros({1, 3, 10, 10})});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("node 0 'input'"), std::string::npos) << message;
    EXPECT_NE(message.find("1x8x10x10"), std::string::npos) << message;
  }
  EXPECT_THROW(m->forward({}), Error);
}

}  // namespace
}  // namespace hwnas::nn
