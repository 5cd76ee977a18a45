#include <algorithm>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "hwnas/core/cost.h"
#include "hwnas/core/error.h"
#include "hwnas/spaces/fbnet.h"
#include "error_of.h"

namespace hwnas::spaces {
namespace {

using core::OpKind;

const core::Node& find_node(const core::Graph& g, const std::string& name) {
  for (const auto& n : g.nodes())
    if (n.name == name) return n;
  throw std::runtime_error("no node named " + name);
}

bool has_node(const core::Graph& g, const std::string& name) {
  return std::any_of(g.nodes().begin(), g.nodes().end(), [&](const auto& n) { return n.name == name; });
}

int count_kind(const core::Graph& g, OpKind kind) {
  return static_cast<int>(std::count_if(g.nodes().begin(), g.nodes().end(), [&](const auto& n) { return n.kind == kind; }));
}

using hwnas::test::error_of;

Arch uniform(int gene) { return Arch{std::vector<int>(kFbnetNumLayers, gene)}; }

// Last layer of each of the 7 stages.
const std::vector<int> kStageEnds{0, 4, 8, 12, 16, 20, 21};
const std::vector<std::int64_t> kStageChannels{16, 24, 32, 64, 112, 184, 352};

TEST(Fbnet, AllK3E1OnCifar100) {
  // ConvBlock(Cin, Cout, e=1, k=3, g=1) params: expand Cin*Cin + BN 2Cin, dw 9Cin + BN 2Cin,
  // project Cin*Cout + BN 2Cout  =  Cin^2 + 13 Cin + Cin*Cout + 2 Cout.
  //   stem 3*16*9 + 32                       =     464
  //   L0     16->16:  256 +  208 +   256 +  32 =     752
  //   L1     16->24:  256 +  208 +   384 +  48 =     896
  //   L2-4   24->24:  576 +  312 +   576 +  48 = 1512 x3 =   4536
  //   L5     24->32:  576 +  312 +   768 +  64 =    1720
  //   L6-8   32->32: 1024 +  416 +  1024 +  64 = 2528 x3 =   7584
  //   L9     32->64: 1024 +  416 +  2048 + 128 =    3616
  //   L10-12 64->64: 4096 +  832 +  4096 + 128 = 9152 x3 =  27456
  //   L13   64->112: 4096 +  832 +  7168 + 224 =   12320
  //   L14-16 112:   12544 + 1456 + 12544 + 224 = 26768 x3 = 80304
  //   L17  112->184: 12544 + 1456 + 20608 + 368 =  34976
  //   L18-20 184:   33856 + 2392 + 33856 + 368 = 70472 x3 = 211416
  //   L21  184->352: 33856 + 2392 + 64768 + 704 = 101720
  //   header 352*1504 + 2*1504 = 529408 + 3008 = 532416
  //   classifier 1504*100 + 100 = 150500
  //   total = 1 170 676
  const FbnetSpace space;
  const auto g = space.to_graph(uniform(0));
  EXPECT_EQ(core::graph_cost(g).params, 1170676);
  ASSERT_EQ(g.outputs().size(), 1u);
  EXPECT_EQ(g.shape(g.outputs()[0]), (core::Shape{1, 100}));
  EXPECT_EQ(find_node(g, "stem/relu").shape, (core::Shape{1, 16, 32, 32}));
  const std::vector<std::int64_t> resolution{32, 32, 16, 8, 8, 4, 4};
  for (std::size_t s = 0; s < kStageEnds.size(); ++s)
    EXPECT_EQ(find_node(g, "layer" + std::to_string(kStageEnds[s]) + "/project/bn").shape,
              (core::Shape{1, kStageChannels[s], resolution[s], resolution[s]}))
        << "stage " << s;
  EXPECT_EQ(find_node(g, "header/relu").shape, (core::Shape{1, 1504, 4, 4}));
  // Residual adds where Cin == Cout and stride 1: layer 0 and the 3 non-first layers of stages 1..5.
  EXPECT_EQ(count_kind(g, OpKind::kAdd), 16);
  EXPECT_FALSE(has_node(g, "layer13/add"));  // 64 -> 112 at stride 1: no residual
  EXPECT_EQ(count_kind(g, OpKind::kChannelShuffle), 0);
}

TEST(Fbnet, ImageNetVariant) {
  const FbnetSpace space(FbnetOptions::from_map({{"dataset", "imagenet"}}));
  EXPECT_EQ(space.input_shape(), (core::Shape{1, 3, 224, 224}));
  const auto g = space.to_graph(uniform(3), 2);
  EXPECT_EQ(find_node(g, "stem/relu").shape, (core::Shape{2, 16, 112, 112}));
  const std::vector<std::int64_t> resolution{112, 56, 28, 14, 14, 7, 7};
  for (std::size_t s = 0; s < kStageEnds.size(); ++s)
    EXPECT_EQ(find_node(g, "layer" + std::to_string(kStageEnds[s]) + "/project/bn").shape,
              (core::Shape{2, kStageChannels[s], resolution[s], resolution[s]}))
        << "stage " << s;
  EXPECT_EQ(find_node(g, "header/relu").shape, (core::Shape{2, 1984, 7, 7}));
  EXPECT_EQ(g.shape(g.outputs()[0]), (core::Shape{2, 1000}));
  // k3_e6: the expansion is on Cin (layer 1: 16 -> 96 channels, then 96 -> 24).
  EXPECT_EQ(find_node(g, "layer1/expand/conv").shape, (core::Shape{2, 96, 112, 112}));
  EXPECT_EQ(find_node(g, "layer1/dw/conv").shape, (core::Shape{2, 96, 56, 56}));
}

TEST(Fbnet, LayerTableMatchesTheReadme) {
  const auto cifar = fbnet_layers(FbnetDataset::kCifar100);
  const std::vector<std::int64_t> cifar_res{32, 32, 32, 32, 32, 32, 16, 16, 16, 16, 8,
                                            8,  8,  8,  8,  8,  8,  8,  4,  4,  4,  4};
  const std::vector<std::int64_t> imagenet_res{112, 112, 56, 56, 56, 56, 28, 28, 28, 28, 14,
                                               14,  14,  14, 14, 14, 14, 14, 7,  7,  7,  7};
  const auto imagenet = fbnet_layers(FbnetDataset::kImageNet);
  ASSERT_EQ(cifar.size(), 22u);
  for (std::size_t l = 0; l < 22; ++l) {
    EXPECT_EQ(cifar[l].input_resolution, cifar_res[l]) << l;
    EXPECT_EQ(imagenet[l].input_resolution, imagenet_res[l]) << l;
    const bool cifar_strided = l == 5 || l == 9 || l == 17;
    const bool imagenet_strided = cifar_strided || l == 1;
    EXPECT_EQ(cifar[l].stride, cifar_strided ? 2 : 1) << l;
    EXPECT_EQ(imagenet[l].stride, imagenet_strided ? 2 : 1) << l;
  }
  EXPECT_EQ(cifar[13].in_channels, 64);
  EXPECT_EQ(cifar[13].out_channels, 112);
  EXPECT_EQ(cifar[14].in_channels, 112);
}

TEST(Fbnet, SkipIsIdentityUnlessTheShapeChanges) {
  // All skip: only layers 1, 5, 9, 13, 17, 21 change shape and become Conv1x1(stride s)-BN-ReLU.
  // Params: stem 464; L1 16*24+48 = 432; L5 24*32+64 = 832; L9 32*64+128 = 2176; L13 64*112+224 = 7392;
  // L17 112*184+368 = 20976; L21 184*352+704 = 65472; header 532416; classifier 150500. Total 780660.
  const auto g = FbnetSpace().to_graph(uniform(kFbnetSkip));
  EXPECT_EQ(core::graph_cost(g).params, 780660);
  EXPECT_EQ(count_kind(g, OpKind::kConv2d), 1 + 6 + 1);
  EXPECT_EQ(count_kind(g, OpKind::kIdentity), 0);
  EXPECT_EQ(count_kind(g, OpKind::kAdd), 0);
  EXPECT_EQ(find_node(g, "layer5/skip/relu").shape, (core::Shape{1, 32, 16, 16}));
  EXPECT_EQ(g.shape(g.outputs()[0]), (core::Shape{1, 100}));
}

TEST(Fbnet, GroupedBlockShufflesChannels) {
  Arch arch = uniform(0);
  arch.genes[1] = 1;  // k3_e1_g2 at layer 1: 16 -> 24, stride 1 on CIFAR
  const auto g = FbnetSpace().to_graph(arch);
  const auto& shuffle = find_node(g, "layer1/shuffle");
  EXPECT_EQ(shuffle.kind, OpKind::kChannelShuffle);
  EXPECT_EQ(std::get<core::AxisAttrs>(shuffle.attrs).groups, 2);
  EXPECT_EQ(g.node(shuffle.inputs[0]).name, "layer1/expand/relu");
  EXPECT_EQ(g.node(find_node(g, "layer1/dw/conv").inputs[0]).name, "layer1/shuffle");
  // grouped 1x1 convs: 16 -> 16 in 2 groups = 16*8 weights, 16 -> 24 in 2 groups = 24*8
  EXPECT_EQ(core::node_cost(g, find_node(g, "layer1/expand/conv").id).params, 128);
  EXPECT_EQ(core::node_cost(g, find_node(g, "layer1/project/conv").id).params, 192);
}

TEST(Fbnet, DepthwisePaddingIsCeilOfKMinusSOverTwo) {
  Arch arch = uniform(0);
  arch.genes[5] = 4;  // k5_e1 at layer 5: 24 -> 32, stride 2, 32x32 input -> pad ceil(3/2) = 2
  arch.genes[9] = 0;  // k3_e1 at layer 9: stride 2, 16x16 input -> pad ceil(1/2) = 1
  arch.genes[6] = 6;  // k5_e3 at layer 6: stride 1 -> pad 2, 32*3 = 96 mid channels
  const auto g = FbnetSpace().to_graph(arch);
  const auto conv = [&](const std::string& name) { return std::get<core::Conv2dAttrs>(find_node(g, name).attrs); };
  EXPECT_EQ(conv("layer5/dw/conv").padding, 2);
  EXPECT_EQ(conv("layer5/dw/conv").groups, 24);
  EXPECT_EQ(find_node(g, "layer5/dw/conv").shape, (core::Shape{1, 24, 16, 16}));
  EXPECT_EQ(conv("layer9/dw/conv").padding, 1);
  EXPECT_EQ(find_node(g, "layer9/dw/conv").shape, (core::Shape{1, 32, 8, 8}));
  EXPECT_EQ(conv("layer6/dw/conv").padding, 2);
  EXPECT_EQ(find_node(g, "layer6/dw/conv").shape, (core::Shape{1, 96, 16, 16}));
  // the residual add takes the block output first, then the input
  const auto& add = find_node(g, "layer6/add");
  EXPECT_EQ(g.node(add.inputs[0]).name, "layer6/project/bn");
  EXPECT_EQ(g.node(add.inputs[1]).name, "layer5/project/bn");
}

TEST(Fbnet, StringErrorsNameThePosition) {
  const FbnetSpace space;
  EXPECT_EQ(space.to_string(Arch{{7, 8, 1, 8, 4, 8, 8, 8, 7, 4, 1, 4, 7, 3, 2, 7, 3, 2, 4, 2, 4, 5}}),
            "7818488874147327324245");
  const std::string length = error_of([&] { space.from_string("000000000000000000000"); });
  EXPECT_NE(length.find("21 characters"), std::string::npos) << length;
  const std::string letter = error_of([&] { space.from_string("000a000000000000000000"); });
  EXPECT_NE(letter.find("'a' at position 3"), std::string::npos) << letter;
  const std::string nine = error_of([&] { space.from_string("0000000000900000000000"); });
  EXPECT_NE(nine.find("'9' at position 10"), std::string::npos) << nine;
  EXPECT_NE(nine.find("8 skip"), std::string::npos) << nine;
  const std::string dataset = error_of([] { FbnetOptions::from_map({{"dataset", "cifar10"}}); });
  EXPECT_NE(dataset.find("cifar10"), std::string::npos) << dataset;
}

TEST(Fbnet, ParsesEveryArchitectureOfTheShippedTable) {
  const std::string path = std::string(HWNAS_TEST_DATA_DIR) + "/tables/fbnet_latency.csv";
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  ASSERT_EQ(line.rfind("sample_index,arch_ops,arch_blocks,", 0), 0u) << line;
  const FbnetSpace space;
  int rows = 0;
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string index, ops, blocks;
    std::getline(ss, index, ',');
    std::getline(ss, ops, ',');
    std::getline(ss, blocks, ',');
    const Arch arch = space.from_string(ops);
    ASSERT_EQ(space.to_string(arch), ops);
    std::stringstream names(blocks);
    std::string name;
    for (int l = 0; l < kFbnetNumLayers; ++l) {
      ASSERT_TRUE(std::getline(names, name, '|')) << line;
      ASSERT_EQ(name, fbnet_candidates()[static_cast<std::size_t>(arch.genes[static_cast<std::size_t>(l)])].name)
          << "row " << index << " layer " << l;
    }
    if (rows < 20) {
      const auto g = space.to_graph(arch);
      ASSERT_EQ(g.shape(g.outputs()[0]), (core::Shape{1, 100}));
    }
    ++rows;
  }
  EXPECT_EQ(rows, 5000);
}

}  // namespace
}  // namespace hwnas::spaces
