// Kernel decomposition of real search-space architectures under the eager and TorchScript rule sets.
// Expected counts are derived by hand from the network structure (see the comments).

#include <map>

#include <gtest/gtest.h>

#include "hwnas/predictors/kernels/decomposer.h"
#include "hwnas/spaces/search_space.h"

namespace hwnas::predictors {
namespace {

std::map<std::string, int> histogram(const std::vector<Kernel>& kernels) {
  std::map<std::string, int> counts;
  for (const auto& k : kernels) ++counts[k.type];
  return counts;
}

const std::string kAllConv3x3 =
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|";

TEST(SpaceDecomposition, Nb201AllConv3x3Eager) {
  const auto space = spaces::make_space("nb201");
  const auto kernels = decompose(space->to_graph(space->from_string(kAllConv3x3)), default_fusion_rules("libtorch-cpu-t1"));
  // Eager runs every op alone. Per cell: 6 edges x (relu, conv, bn) + 3 adds = 21; 15 cells = 315.
  // Stem conv+bn 2; two reduction blocks x (2 x relu-conv-bn + pool + conv + add) = 18;
  // lastact bn+relu 2; gap, flatten, fc 3.  Total 2 + 315 + 18 + 2 + 3 = 340.
  EXPECT_EQ(kernels.size(), 340u);
  const auto counts = histogram(kernels);
  EXPECT_EQ(counts.at("conv"), 1 + 15 * 6 + 2 * 3);
  EXPECT_EQ(counts.at("add"), 15 * 3 + 2);
}

TEST(SpaceDecomposition, Nb201AllConv3x3TorchScriptFoldsBatchNorm) {
  const auto space = spaces::make_space("nb201");
  const auto kernels =
      decompose(space->to_graph(space->from_string(kAllConv3x3)), default_fusion_rules("torchscript-cpu-t1"));
  // conv-bn fuses: per cell 6 x (relu, conv-bn) + 3 adds = 15 -> 225; stem conv-bn 1;
  // reductions 2 x (2 x (relu, conv-bn) + pool + conv + add) = 14 (the shortcut conv has no bn);
  // lastact bn + relu 2 (bn follows an add, not a conv); gap, flatten, fc 3.  Total 245.
  EXPECT_EQ(kernels.size(), 245u);
  const auto counts = histogram(kernels);
  EXPECT_EQ(counts.at("conv-bn"), 1 + 15 * 6 + 2 * 2);
  EXPECT_EQ(counts.at("conv"), 2);
  EXPECT_EQ(counts.at("bn"), 1);
}

TEST(SpaceDecomposition, Nb201NoneAndPoolCells) {
  const auto space = spaces::make_space("nb201");
  const auto arch = space->from_string(
      "|none~0|+|avg_pool_3x3~0|skip_connect~1|+|none~0|none~1|avg_pool_3x3~2|");
  const auto counts = histogram(decompose(space->to_graph(arch), default_fusion_rules("libtorch-cpu-t1")));
  // Per cell: zero edges (0->1, 0->3, 1->3) = 3, pools (0->2, 2->3) = 2; adds: node2 1, node3 2 = 3.
  EXPECT_EQ(counts.at("zero"), 15 * 3);
  EXPECT_EQ(counts.at("avgpool"), 15 * 2 + 2);  // + the two reduction shortcuts
  EXPECT_EQ(counts.at("add"), 15 * 3 + 2);
}

TEST(SpaceDecomposition, FbnetAllK3E1UnderBothRuleSets) {
  const auto space = spaces::make_space("fbnet");
  const auto graph = space->to_graph(space->from_string(std::string(22, '0')));
  // Each k3_e1 block: conv bn relu dwconv bn relu conv bn = 8 ops; residual add where Cin == Cout and
  // stride 1: layers 0, 2-4, 6-8, 10-12, 14-16, 18-20 = 16 adds. Stem 3 ops, header 3, gap/flatten/fc 3.
  const auto eager = decompose(graph, default_fusion_rules("libtorch-cpu-t1"));
  EXPECT_EQ(eager.size(), 22u * 8 + 16 + 3 + 3 + 3);
  // TorchScript: conv-bn, relu, dwconv-bn, relu, conv-bn = 5 per block; stem and header 2 each.
  const auto scripted = decompose(graph, default_fusion_rules("torchscript-cpu-t1"));
  EXPECT_EQ(scripted.size(), 22u * 5 + 16 + 2 + 2 + 3);
  const auto counts = histogram(scripted);
  EXPECT_EQ(counts.at("dwconv-bn"), 22);
  EXPECT_EQ(counts.at("conv-bn"), 2 * 22 + 2);
}

TEST(SpaceDecomposition, FbnetGroupedBlockKeepsShuffleAndGroups) {
  const auto space = spaces::make_space("fbnet");
  const auto graph = space->to_graph(space->from_string(std::string(22, '1')));  // all k3_e1_g2
  const auto kernels = decompose(graph, default_fusion_rules("torchscript-cpu-t1"));
  const auto counts = histogram(kernels);
  EXPECT_EQ(counts.at("shuffle"), 22);
  for (const auto& k : kernels)
    if (k.type == "conv-bn" && k.config.kernel == 1 && k.config.cin != 3 && k.config.cin != 352)
      EXPECT_EQ(k.config.groups, 2) << k.key;
}

}  // namespace
}  // namespace hwnas::predictors
