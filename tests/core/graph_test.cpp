#include "hwnas/core/graph.h"

#include <gtest/gtest.h>

#include "hwnas/core/error.h"

namespace hwnas::core {
namespace {

TEST(Graph, InfersConvAndPoolShapes) {
  Graph g("t");
  auto x = g.input({1, 3, 32, 32});
  auto c = g.conv2d(x, {.out_channels = 16, .kernel = 3, .stride = 2, .padding = 1});
  EXPECT_EQ(g.shape(c), (Shape{1, 16, 16, 16}));
  auto p = g.avg_pool(c, {.kernel = 3, .stride = 1, .padding = 1, .count_include_pad = false});
  EXPECT_EQ(g.shape(p), (Shape{1, 16, 16, 16}));
  auto m = g.max_pool(p, {.kernel = 3, .stride = 2, .padding = 0, .ceil_mode = true});
  EXPECT_EQ(g.shape(m), (Shape{1, 16, 8, 8}));  // ceil((16-3)/2)+1 = 8
  auto gap = g.global_avg_pool(m);
  auto fc = g.linear(g.flatten(gap), {.out_features = 10});
  EXPECT_EQ(g.shape(fc), (Shape{1, 10}));
}

TEST(Graph, BroadcastsSqueezeExcitationScale) {
  Graph g;
  auto x = g.input({2, 8, 7, 7});
  auto s = g.global_avg_pool(x);
  EXPECT_EQ(g.shape(g.mul(x, s)), (Shape{2, 8, 7, 7}));
}

TEST(Graph, AttentionShapes) {
  Graph g;
  auto x = g.input({1, 197, 192});
  auto qkv = g.linear(x, {.out_features = 3 * 192});
  auto r = g.reshape(qkv, {1, 197, 3, 3, 64});
  auto p = g.permute(r, {2, 0, 3, 1, 4});
  EXPECT_EQ(g.shape(p), (Shape{3, 1, 3, 197, 64}));
  auto q = g.reshape(g.slice(p, 0, 0, 1), {1, 3, 197, 64});
  auto kt = g.permute(q, {0, 1, 3, 2});
  auto att = g.softmax(g.matmul(q, kt), -1);
  EXPECT_EQ(g.shape(att), (Shape{1, 3, 197, 197}));
  auto cls = g.parameter(g.input({1, 196, 192}), {.shape = {1, 1, 192}, .concat_axis = 1});
  EXPECT_EQ(g.shape(cls), (Shape{1, 197, 192}));
  EXPECT_EQ(g.shape(g.mean(cls, 1)), (Shape{1, 192}));
}

TEST(Graph, RejectsMismatchesWithNamedNode) {
  Graph g("bad");
  auto x = g.input({1, 3, 8, 8});
  auto y = g.input({1, 4, 8, 8});
  try {
    g.add(x, y, "merge");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("'merge'"), std::string::npos) << message;
    EXPECT_NE(message.find("1x3x8x8"), std::string::npos) << message;
  }
  EXPECT_THROW(g.conv2d(x, {.out_channels = 4, .kernel = 3, .groups = 2}), Error);  // 3 % 2 != 0
  EXPECT_THROW(g.conv2d(x, {.out_channels = 4, .kernel = 9}), Error);               // does not fit 8x8
  EXPECT_THROW(g.reshape(x, {1, 5, -1}), Error);
  EXPECT_THROW(g.permute(x, {0, 1, 1, 2}), Error);
  EXPECT_THROW(op_kind_from_name("convolution"), Error);
}

}  // namespace
}  // namespace hwnas::core
