#include "hwnas/core/cost.h"

#include <gtest/gtest.h>

namespace hwnas::core {
namespace {

TEST(Cost, ConvCountsMultiplyAddAsTwoFlops) {
  Graph g;
  auto x = g.input({1, 16, 32, 32});
  auto c = g.conv2d(x, {.out_channels = 32, .kernel = 3, .stride = 1, .padding = 1});
  const OpCost cost = node_cost(g, c);
  EXPECT_EQ(cost.params, 32 * 16 * 9);
  EXPECT_DOUBLE_EQ(cost.flops, 2.0 * 32 * 32 * 32 * 16 * 9);
  EXPECT_DOUBLE_EQ(cost.bytes_written, 4.0 * 32 * 32 * 32);
  EXPECT_DOUBLE_EQ(cost.bytes_read, 4.0 * (16 * 32 * 32 + 32 * 16 * 9));
}

TEST(Cost, GroupedAndDepthwiseConv) {
  Graph g;
  auto x = g.input({1, 24, 14, 14});
  auto dw = g.conv2d(x, {.out_channels = 24, .kernel = 5, .stride = 2, .padding = 2, .groups = 24});
  EXPECT_EQ(node_cost(g, dw).params, 24 * 25);
  EXPECT_DOUBLE_EQ(node_cost(g, dw).flops, 2.0 * 24 * 7 * 7 * 25);
  auto gc = g.conv2d(x, {.out_channels = 48, .kernel = 1, .groups = 2, .bias = true});
  EXPECT_EQ(node_cost(g, gc).params, 48 * 12 + 48);
}

TEST(Cost, LinearBatchNormLayerNormAndMatmul) {
  Graph g;
  auto x = g.input({1, 197, 64});
  EXPECT_EQ(node_cost(g, g.linear(x, {.out_features = 128})).params, 64 * 128 + 128);
  EXPECT_EQ(node_cost(g, g.layer_norm(x)).params, 128);
  auto a = g.input({1, 4, 10, 8});
  auto b = g.input({1, 4, 8, 10});
  EXPECT_DOUBLE_EQ(node_cost(g, g.matmul(a, b)).flops, 2.0 * 4 * 10 * 10 * 8);
  auto img = g.input({1, 16, 8, 8});
  EXPECT_EQ(node_cost(g, g.batch_norm(img)).params, 32);
  EXPECT_EQ(node_cost(g, g.batch_norm(img, {.affine = false})).params, 0);
}

}  // namespace
}  // namespace hwnas::core
