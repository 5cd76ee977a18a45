#include <algorithm>
#include <string>

#include <gtest/gtest.h>

#include "hwnas/core/cost.h"
#include "hwnas/core/error.h"
#include "hwnas/spaces/nb201.h"
#include "error_of.h"

namespace hwnas::spaces {
namespace {

using core::OpKind;

const core::Node& find_node(const core::Graph& g, const std::string& name) {
  for (const auto& n : g.nodes())
    if (n.name == name) return n;
  throw std::runtime_error("no node named " + name);
}

int count_kind(const core::Graph& g, OpKind kind) {
  return static_cast<int>(std::count_if(g.nodes().begin(), g.nodes().end(), [&](const auto& n) { return n.kind == kind; }));
}

using hwnas::test::error_of;

const Arch kAllConv3x3{{3, 3, 3, 3, 3, 3}};
const Arch kAllSkip{{1, 1, 1, 1, 1, 1}};
const Arch kAllNone{{0, 0, 0, 0, 0, 0}};

TEST(Nb201, StringRoundTripForEveryArchitecture) {
  const Nb201Space space;
  const auto all = space.enumerate();
  ASSERT_EQ(all.size(), 15625u);
  for (const Arch& arch : all) ASSERT_EQ(space.from_string(space.to_string(arch)), arch);
  EXPECT_EQ(space.to_string(Arch{{0, 1, 2, 3, 4, 0}}),
            "|none~0|+|skip_connect~0|nor_conv_1x1~1|+|nor_conv_3x3~0|avg_pool_3x3~1|none~2|");
  EXPECT_EQ(space.from_string("  |none~0|+|none~0|none~1|+|none~0|none~1|none~2|\n"), kAllNone);
}

TEST(Nb201, BadStringsNameTheBadToken) {
  const Nb201Space space;
  const std::string unknown = error_of([&] {
    space.from_string("|nor_conv_5x5~0|+|none~0|none~1|+|none~0|none~1|none~2|");
  });
  EXPECT_NE(unknown.find("nor_conv_5x5"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("avg_pool_3x3"), std::string::npos) << unknown;  // lists the valid ops

  const std::string groups = error_of([&] { space.from_string("|none~0|+|none~0|none~1|"); });
  EXPECT_NE(groups.find("2 node groups"), std::string::npos) << groups;

  const std::string edges = error_of([&] { space.from_string("|none~0|+|none~0|+|none~0|none~1|none~2|"); });
  EXPECT_NE(edges.find("'|none~0|' (node 2) has 1 edges, expected 2"), std::string::npos) << edges;

  const std::string source = error_of([&] {
    space.from_string("|none~0|+|none~0|none~1|+|none~0|nor_conv_3x3~5|none~2|");
  });
  EXPECT_NE(source.find("nor_conv_3x3~5"), std::string::npos) << source;

  const std::string no_tilde = error_of([&] { space.from_string("|none|+|none~0|none~1|+|none~0|none~1|none~2|"); });
  EXPECT_NE(no_tilde.find("'none'"), std::string::npos) << no_tilde;
  EXPECT_THROW(space.from_string("none~0|+|none~0|none~1|+|none~0|none~1|none~2|"), Error);
  EXPECT_THROW(space.to_string(Arch{{0, 0, 0, 0, 0, 5}}), Error);
}

TEST(Nb201, Options) {
  EXPECT_EQ(Nb201Space().input_shape(), (core::Shape{1, 3, 32, 32}));
  const Nb201Space c100(Nb201Options::from_map({{"dataset", "cifar100"}}));
  EXPECT_EQ(c100.to_graph(kAllConv3x3).shape(c100.to_graph(kAllConv3x3).outputs()[0]), (core::Shape{1, 100}));
  const Nb201Space in16(Nb201Options::from_map({{"dataset", "imagenet16-120"}}));
  EXPECT_EQ(in16.input_shape(4), (core::Shape{4, 3, 16, 16}));
  const auto g = in16.to_graph(kAllConv3x3, 4);
  EXPECT_EQ(g.shape(g.outputs()[0]), (core::Shape{4, 120}));
  EXPECT_EQ(find_node(g, "lastact/relu").shape, (core::Shape{4, 64, 4, 4}));  // 16 / 4
  const std::string bad = error_of([] { Nb201Options::from_map({{"dataset", "cifar1000"}}); });
  EXPECT_NE(bad.find("cifar1000"), std::string::npos) << bad;
  EXPECT_NE(bad.find("imagenet16-120"), std::string::npos) << bad;
}

TEST(Nb201, AllConv3x3OnCifar10ParamsAndFlops) {
  // Parameters (conv weights, no bias; BN 2*C; linear W + b):
  //   stem: conv 3*16*9 = 432, BN 32                                    ->       464
  //   cell @C: 6 edges x (9*C*C + 2*C): C=16: 6*2336 = 14016, x5        ->     70080
  //                                     C=32: 6*9280 = 55680, x5        ->    278400
  //                                     C=64: 6*36992 = 221952, x5      ->   1109760
  //   reduction 16->32: conv_a 16*32*9 = 4608 + 64, conv_b 32*32*9 = 9216 + 64,
  //                     shortcut 1x1 16*32 = 512                        ->     14464
  //   reduction 32->64: 18432 + 128 + 36864 + 128 + 2048                ->     57600
  //   lastact BN 2*64 = 128; classifier 64*10 + 10 = 650                ->       778
  //   total 464 + 70080 + 278400 + 1109760 + 14464 + 57600 + 778       = 1 531 546
  //   (NAS-Bench-201 reports 1.53 MB for this cell.)
  // FLOPs (core convention: 2 per multiply-add, BN 2/elem, ReLU/add/zero 1/elem, avg pool k*k per output,
  // global pool 1 per input element, linear 2*in*out + out):
  //   stem @16x32x32 (E = 16384 elems): conv 2*E*27 = 884736, BN 2E = 32768 -> 917504
  //   a cell with E = C*H*W output elements: each edge ReLU E + conv 2*E*9C + BN 2E = E(3 + 18C);
  //   6 edges + 3 adds (node 2: 1, node 3: 2) -> E(21 + 108C) per cell:
  //     C=16, E=16384: 16384 * 1749 = 28655616, x5 = 143278080
  //     C=32, E= 8192:  8192 * 3477 = 28483584, x5 = 142417920
  //     C=64, E= 4096:  4096 * 6933 = 28397568, x5 = 141987840
  //   reduction 16->32 (in 16384 elems, out E = 8192): ReLU 16384, conv_a 2*8192*144 = 2359296, BN 16384,
  //     ReLU 8192, conv_b 2*8192*288 = 4718592, BN 16384, pool 4096*4 = 16384, 1x1 2*8192*16 = 262144,
  //     add 8192 -> 7421952
  //   reduction 32->64 (in 8192, out 4096): 8192 + 2359296 + 8192 + 4096 + 4718592 + 8192 + 2048*4
  //     + 2*4096*32 + 4096 -> 7380992
  //   lastact BN 8192 + ReLU 4096, global pool 4096, classifier 2*64*10 + 10 = 1290 -> 17674
  //   total 917504 + 143278080 + 142417920 + 141987840 + 7421952 + 7380992 + 17674 = 443 421 962
  const Nb201Space space;
  const auto g = space.to_graph(kAllConv3x3);
  const auto cost = core::graph_cost(g);
  EXPECT_EQ(cost.params, 1531546);
  EXPECT_DOUBLE_EQ(cost.flops, 443421962.0);
  ASSERT_EQ(g.outputs().size(), 1u);
  EXPECT_EQ(g.shape(g.outputs()[0]), (core::Shape{1, 10}));
  // convs: stem 1 + 15 cells x 6 + 2 reductions x 3 = 97; BN: stem 1 + 90 + 2 x 2 + lastact 1 = 96.
  EXPECT_EQ(count_kind(g, OpKind::kConv2d), 97);
  EXPECT_EQ(count_kind(g, OpKind::kBatchNorm), 96);
  EXPECT_EQ(count_kind(g, OpKind::kAdd), 15 * 3 + 2);
  EXPECT_EQ(find_node(g, "cell3/edge2->3/conv").shape, (core::Shape{1, 16, 32, 32}));
  EXPECT_EQ(find_node(g, "cell16/edge0->3/bn").shape, (core::Shape{1, 64, 8, 8}));
  EXPECT_EQ(find_node(g, "cell5/downsample/pool").shape, (core::Shape{1, 16, 16, 16}));
  // node 3 of a cell sums its inputs in edge order: ((e0->3 + e1->3) + e2->3)
  const auto& add = find_node(g, "cell0/node3/add2");
  EXPECT_EQ(g.node(add.inputs[0]).name, "cell0/node3/add1");
  EXPECT_EQ(g.node(add.inputs[1]).name, "cell0/edge2->3/bn");
  EXPECT_EQ(core::graph_cost(space.to_graph(kAllConv3x3, 8)).params, 1531546);
}

TEST(Nb201, SkipConnectEmitsNoNode) {
  // All-skip cell: node1 = x, node2 = x + x, node3 = (x + x) + node2: three adds, no other cell op.
  // Params are the skeleton only: stem 464 + reductions 14464 + 57600 + lastact 128 + classifier 650 = 73306.
  const auto g = Nb201Space().to_graph(kAllSkip);
  EXPECT_EQ(count_kind(g, OpKind::kIdentity), 0);
  EXPECT_EQ(count_kind(g, OpKind::kConv2d), 1 + 2 * 3);
  EXPECT_EQ(count_kind(g, OpKind::kAdd), 15 * 3 + 2);
  EXPECT_EQ(core::graph_cost(g).params, 73306);
  const auto& add = find_node(g, "cell0/node2/add1");
  EXPECT_EQ(add.inputs[0], add.inputs[1]);
  EXPECT_EQ(g.node(add.inputs[0]).name, "stem/bn");
}

TEST(Nb201, AvgPoolExcludesPadding) {
  const auto g = Nb201Space().to_graph(Arch{{4, 4, 4, 4, 4, 4}});
  const auto& pool = find_node(g, "cell0/edge0->1/pool");
  const auto& attrs = std::get<core::PoolAttrs>(pool.attrs);
  EXPECT_EQ(attrs.kernel, 3);
  EXPECT_EQ(attrs.stride, 1);
  EXPECT_EQ(attrs.padding, 1);
  EXPECT_FALSE(attrs.count_include_pad);
  EXPECT_EQ(pool.shape, (core::Shape{1, 16, 32, 32}));
}

TEST(Nb201, DegenerateCells) {
  EXPECT_TRUE(nb201_is_degenerate(kAllNone));
  EXPECT_FALSE(nb201_is_degenerate(kAllSkip));
  // only 0->1 is live, but node 1 feeds nothing live: node 3 unreachable
  EXPECT_TRUE(nb201_is_degenerate(Arch{{3, 0, 0, 0, 0, 0}}));
  // path 0->2->3 dead at 2->3, node 1 unreachable: degenerate
  EXPECT_TRUE(nb201_is_degenerate(Arch{{0, 3, 0, 0, 3, 0}}));
  // direct 0->3
  EXPECT_FALSE(nb201_is_degenerate(Arch{{0, 0, 0, 1, 0, 0}}));
  // chain 0->1->2->3
  EXPECT_FALSE(nb201_is_degenerate(Arch{{3, 0, 3, 0, 0, 3}}));

  // The all-none network still builds: every cell edge is an x*0 node (15 cells x 6 edges).
  const auto g = Nb201Space().to_graph(kAllNone);
  EXPECT_EQ(count_kind(g, OpKind::kZero), 90);
  EXPECT_EQ(g.shape(g.outputs()[0]), (core::Shape{1, 10}));
}

}  // namespace
}  // namespace hwnas::spaces
