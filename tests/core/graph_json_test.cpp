#include "hwnas/core/graph_json.h"

#include <gtest/gtest.h>

#include "hwnas/core/error.h"

namespace hwnas::core {
namespace {

Graph small_graph() {
  Graph g("small");
  auto x = g.input({1, 3, 16, 16});
  auto c = g.conv2d(x, {.out_channels = 8, .kernel = 3, .padding = 1});
  auto b = g.unary(OpKind::kRelu, g.batch_norm(c));
  auto s = g.channel_shuffle(b, 2);
  auto p = g.avg_pool(g.add(s, b), {.kernel = 3, .stride = 1, .padding = 1, .count_include_pad = false});
  g.mark_output(g.linear(g.flatten(g.global_avg_pool(p)), {.out_features = 10}));
  return g;
}

TEST(GraphJson, RoundTripsExactly) {
  const Graph g = small_graph();
  const Graph back = graph_from_json(to_json(g));
  ASSERT_EQ(back.size(), g.size());
  for (std::size_t i = 0; i < g.size(); ++i) {
    const Node& a = g.nodes()[i];
    const Node& b = back.nodes()[i];
    EXPECT_EQ(a.kind, b.kind);
    EXPECT_EQ(a.inputs, b.inputs);
    EXPECT_EQ(a.attrs, b.attrs);
    EXPECT_EQ(a.shape, b.shape);
    EXPECT_EQ(a.name, b.name);
  }
  EXPECT_EQ(back.outputs(), g.outputs());
  EXPECT_EQ(to_json(back), to_json(g));
}

TEST(GraphJson, TextFormNamesEveryNode) {
  const std::string text = small_graph().to_text();
  EXPECT_NE(text.find("conv2d(0) out=8 k=3"), std::string::npos) << text;
  EXPECT_NE(text.find("-> 1x10"), std::string::npos) << text;
}

TEST(GraphJson, RejectsBadDocumentsNamingTheNode) {
  EXPECT_THROW(graph_from_json("{not json"), Error);
  const std::string unknown_op =
      R"({"nodes":[{"op":"input","shape":[1,3,4,4],"inputs":[]},{"op":"warp","shape":[1],"inputs":[0]}]})";
  try {
    graph_from_json(unknown_op);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("node 1"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("warp"), std::string::npos) << e.what();
  }
  const std::string wrong_shape =
      R"({"nodes":[{"op":"input","shape":[1,3,4,4],"inputs":[]},{"op":"relu","shape":[1,3,4,5],"inputs":[0]}]})";
  EXPECT_THROW(graph_from_json(wrong_shape), Error);
}

}  // namespace
}  // namespace hwnas::core
