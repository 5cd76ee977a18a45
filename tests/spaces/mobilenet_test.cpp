#include "hwnas/spaces/mobilenet.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <set>
#include <string>

#include "hwnas/core/cost.h"
#include "hwnas/core/error.h"
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
  return static_cast<int>(
      std::count_if(g.nodes().begin(), g.nodes().end(), [&](const auto& n) { return n.kind == kind; }));
}

using hwnas::test::error_of;

// Number of genes that differ between a and b and that are active in both.
int active_differences(const MobilenetSpace& space, const Arch& a, const Arch& b) {
  int n = 0;
  for (int g = 0; g < kMobilenetNumGenes; ++g)
    if (a.genes[g] != b.genes[g] && space.is_active(a, g) && space.is_active(b, g)) ++n;
  return n;
}

const Arch kLargest = MobilenetSpace::encode(MobilenetSubnet::uniform(4, 7, 6, 224));
const Arch kSmallest = MobilenetSpace::encode(MobilenetSubnet::uniform(2, 3, 3, 224));

// Parameter counts derived by hand from the OFA structure (spec section 3), block by block.
// BN has 2 params per channel; mid = make_divisible(Cin·e, 8) = Cin·e here (every Cin·e is a multiple of 8);
// SE reduce width r = make_divisible(mid // 4, 8); an SE block has mid·r + r + r·mid + mid params.
//   first_conv 3->16 k3: 432 + 32 = 464;  block0 (dw k3 16: 144 + 32, pw 16->16: 256 + 32) = 464
//   tail: final_expand 160·960 + 1920 = 155,520; feature_mix 960·1280 = 1,228,800; classifier 1,281,000
//   => fixed part 464 + 464 + 155,520 + 1,228,800 + 1,281,000 = 2,666,248.
// Largest (d4 k7 e6): per block expand Cin·mid + 2mid, dw 49·mid + 2mid, SE, project mid·Cout + 2Cout:
//   stage1: 16->96->24 s2: 1728 + 4896 + 2352 = 8,976;  3 x 24->144->24: 3744 + 7344 + 3504 = 14,592 each
//   stage2 (SE): 24->144->40 (r=40): 3744 + 7344 + 11,704 + 5840 = 28,632; 3 x 40->240->40 (r=64):
//           10,080 + 12,240 + 31,024 + 9680 = 63,024 each
//   stage3: 40->240->80: 10,080 + 12,240 + 19,360 = 41,680; 3 x 80->480->80: 39,360 + 24,480 + 38,560 = 102,400
//   stage4 (SE): 80->480->112 (r=120): 39,360 + 24,480 + 115,800 + 53,984 = 233,624; 3 x 112->672->112 (r=168):
//           76,608 + 34,272 + 226,632 + 75,488 = 413,000 each
//   stage5 (SE): 112->672->160 (r=168): 76,608 + 34,272 + 226,632 + 107,840 = 445,352; 3 x 160->960->160
//           (r=240): 155,520 + 48,960 + 462,000 + 153,920 = 820,400 each
//   blocks: 52,752 + 217,704 + 348,880 + 1,472,624 + 2,906,552 = 4,998,512; total 7,664,760.
// Smallest (d2 k3 e3): dw is 9·mid + 2mid.
//   stage1: 16->48->24: 864 + 528 + 1200 = 2592; 24->72->24: 1872 + 792 + 1776 = 4440
//   stage2: 24->72->40 (r=24, make_divisible(18) = 24): 1872 + 792 + 3552 + 2960 = 9176;
//           40->120->40 (r=32): 5040 + 1320 + 7832 + 4880 = 19,072
//   stage3: 40->120->80: 5040 + 1320 + 9760 = 16,120; 80->240->80: 19,680 + 2640 + 19,360 = 41,680
//   stage4: 80->240->112 (r=64): 19,680 + 2640 + 31,024 + 27,104 = 80,448; 112->336->112 (r=88):
//           38,304 + 3696 + 59,560 + 37,856 = 139,416
//   stage5: 112->336->160 (r=88): 38,304 + 3696 + 59,560 + 54,080 = 155,640; 160->480->160 (r=120):
//           77,760 + 5280 + 115,800 + 77,120 = 275,960
//   blocks: 744,544; total 3,410,792.
// (The same derivation as a standalone script agrees; OFA quotes ~7.7M for the largest w1.0 subnet.)
TEST(Mobilenet, ParameterCountsOfLargestAndSmallestSubnets) {
  const MobilenetSpace space;
  EXPECT_EQ(core::graph_cost(space.to_graph(kLargest)).params, 7'664'760);
  EXPECT_EQ(core::graph_cost(space.to_graph(kSmallest)).params, 3'410'792);
  // Resolution changes FLOPs, never parameters.
  const Arch small128 = MobilenetSpace::encode(MobilenetSubnet::uniform(2, 3, 3, 128));
  EXPECT_EQ(core::graph_cost(space.to_graph(small128)).params, 3'410'792);
}

// MACs of the largest subnet at 224, derived block by block (H = output side of each conv):
// first_conv 16·27·112² + block0 (16·9 + 256)·112², then per block Cin·mid·H_in² + k²·mid·H_out² +
// mid·Cout·H_out² (+ 2·mid·r for SE), the tail 160·960·7² + 960·1280 + 1280·1000 = 566,170,656 MACs.
// Our FLOPs count 2 per MAC plus one per bias output: SE biases sum to 8,656 (stage2 (40+144) + 3·(64+240),
// stage4 (120+480) + 3·(168+672), stage5 (168+672) + 3·(240+960)), the classifier adds 1000:
// conv + linear FLOPs = 1,132,341,312 + 8,656 + 1000 = 1,132,350,968.
// The smallest at 128: 41,476,224 MACs, SE biases 2000 -> 82,952,448 + 2000 + 1000 = 82,955,448.
TEST(Mobilenet, ConvAndLinearFlopsMatchHandDerivedMacs) {
  const MobilenetSpace space;
  const auto conv_linear_flops = [](const core::Graph& g) {
    double flops = 0;
    for (const auto& n : g.nodes())
      if (n.kind == OpKind::kConv2d || n.kind == OpKind::kLinear) flops += core::node_cost(g, n.id).flops;
    return flops;
  };
  EXPECT_DOUBLE_EQ(conv_linear_flops(space.to_graph(kLargest)), 1'132'350'968.0);
  EXPECT_DOUBLE_EQ(conv_linear_flops(space.to_graph(MobilenetSpace::encode(MobilenetSubnet::uniform(2, 3, 3, 128)))),
                   82'955'448.0);
}

TEST(Mobilenet, GraphStructure) {
  const MobilenetSpace space;
  const core::Graph big = space.to_graph(kLargest, 2);
  EXPECT_EQ(big.shape(big.outputs().at(0)), (core::Shape{2, 1000}));
  EXPECT_EQ(big.shape(big.inputs().at(0)), (core::Shape{2, 3, 224, 224}));
  // Residual adds: block0 plus the 3 non-first blocks of each stage; SE in stages 2, 4, 5.
  EXPECT_EQ(count_kind(big, OpKind::kAdd), 1 + 5 * 3);
  EXPECT_EQ(count_kind(big, OpKind::kMul), 3 * 4);
  EXPECT_EQ(count_kind(big, OpKind::kHardsigmoid), 3 * 4);
  // Stage 2's first block is OFA block 5: 24 -> 144 (e6 on the input channels) -> 40, SE width 40, stride 2.
  EXPECT_EQ(find_node(big, "block5/expand/conv").shape, (core::Shape{2, 144, 56, 56}));
  EXPECT_EQ(find_node(big, "block5/dw/conv").shape, (core::Shape{2, 144, 28, 28}));
  EXPECT_EQ(std::get<core::Conv2dAttrs>(find_node(big, "block5/dw/conv").attrs).padding, 3);
  EXPECT_EQ(find_node(big, "block5/se/reduce").shape, (core::Shape{2, 40, 1, 1}));
  EXPECT_EQ(find_node(big, "block5/project/conv").shape, (core::Shape{2, 40, 28, 28}));
  EXPECT_EQ(find_node(big, "block5/dw/act").kind, OpKind::kRelu);
  EXPECT_EQ(find_node(big, "block9/dw/act").kind, OpKind::kHardswish);  // stage 3
  EXPECT_EQ(find_node(big, "final_expand/conv").shape, (core::Shape{2, 960, 7, 7}));
  EXPECT_FALSE(std::get<core::Conv2dAttrs>(find_node(big, "feature_mix/conv").attrs).bias);

  const core::Graph small = space.to_graph(MobilenetSpace::encode(MobilenetSubnet::uniform(2, 3, 3, 128)));
  EXPECT_EQ(small.shape(small.outputs().at(0)), (core::Shape{1, 1000}));
  EXPECT_EQ(small.shape(small.inputs().at(0)), (core::Shape{1, 3, 128, 128}));
  EXPECT_EQ(count_kind(small, OpKind::kAdd), 1 + 5);
  EXPECT_EQ(count_kind(small, OpKind::kMul), 3 * 2);
  EXPECT_EQ(find_node(small, "final_expand/conv").shape, (core::Shape{1, 960, 4, 4}));
  EXPECT_THROW(find_node(small, "block3/dw/conv"), std::runtime_error);  // slot 3 of stage 1 is inactive
}

TEST(Mobilenet, InactiveGenesValidateAndDoNotChangeTheNetwork) {
  const MobilenetSpace space;
  Arch raw = kSmallest;
  for (int slot = 0; slot < kMobilenetNumSlots; ++slot)
    if (slot % 4 >= 2) raw.genes[mobilenet_kernel_gene(slot)] = raw.genes[mobilenet_expand_gene(slot)] = 2;
  EXPECT_NO_THROW(space.validate(raw));
  EXPECT_NE(raw, kSmallest);
  EXPECT_EQ(space.normalize(raw), kSmallest);
  EXPECT_EQ(space.to_string(raw), space.to_string(kSmallest));
  EXPECT_EQ(space.to_graph(raw).to_text(), space.to_graph(kSmallest).to_text());
}

TEST(Mobilenet, StringForm) {
  const MobilenetSpace space;
  EXPECT_EQ(space.to_string(kSmallest),
            "d2,2,2,2,2:k3e3,k3e3,-,-,k3e3,k3e3,-,-,k3e3,k3e3,-,-,k3e3,k3e3,-,-,k3e3,k3e3,-,-:r224");
  MobilenetSubnet s = MobilenetSubnet::uniform(4, 7, 6, 160);
  s.depths = {2, 3, 4, 2, 3};
  s.kernels[1] = 5;
  s.expands[4] = 4;
  EXPECT_EQ(space.to_string(MobilenetSpace::encode(s)),
            "d2,3,4,2,3:k7e6,k5e6,-,-,k7e4,k7e6,k7e6,-,k7e6,k7e6,k7e6,k7e6,k7e6,k7e6,-,-,k7e6,k7e6,k7e6,-:r160");
  // OFA-style full lists are accepted; values in inactive slots are ignored.
  EXPECT_EQ(
      space.from_string(" d2,2,2,2,2:k3e3,k3e3,k7e6,k7e6,k3e3,k3e3,-,-,k3e3,k3e3,-,-,k3e3,k3e3,-,-,k3e3,k3e3,k5e4,"
                        "-:r224\n"),
      kSmallest);
}

TEST(Mobilenet, StringRoundTripOfRandomArchitectures) {
  const MobilenetSpace space;
  Rng rng(7);
  for (int i = 0; i < 200; ++i) {
    const Arch arch = space.sample(rng);
    const std::string text = space.to_string(arch);
    ASSERT_EQ(space.from_string(text), arch) << text;
    ASSERT_EQ(space.to_string(space.from_string(text)), text);
  }
  // A raw genotype round-trips to its normalized form.
  Arch raw{std::vector<int>(kMobilenetNumGenes, 1)};
  EXPECT_EQ(space.from_string(space.to_string(raw)), space.normalize(raw));
}

TEST(Mobilenet, BadStringsNameTheBadToken) {
  const MobilenetSpace space;
  const std::string good = "d2,2,2,2,2:k3e3,k3e3,-,-,k3e3,k3e3,-,-,k3e3,k3e3,-,-,k3e3,k3e3,-,-,k3e3,k3e3,-,-:r224";
  ASSERT_NO_THROW(space.from_string(good));
  const auto replaced = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    s.replace(s.find(from), from.size(), to);
    return s;
  };

  std::string e = error_of([&] { space.from_string(replaced("k3e3,k3e3,-", "k9e3,k3e3,-")); });
  EXPECT_NE(e.find("'k9e3'"), std::string::npos) << e;
  EXPECT_NE(e.find("block 1 of stage 1"), std::string::npos) << e;
  EXPECT_NE(e.find("3|5|7"), std::string::npos) << e;

  e = error_of([&] { space.from_string(replaced("k3e3,k3e3,-", "k3e5,k3e3,-")); });
  EXPECT_NE(e.find("'k3e5'"), std::string::npos) << e;

  e = error_of([&] { space.from_string(replaced("d2,2,2", "d2,5,2")); });
  EXPECT_NE(e.find("'5'"), std::string::npos) << e;
  EXPECT_NE(e.find("stage 2"), std::string::npos) << e;
  EXPECT_NE(e.find("2, 3, 4"), std::string::npos) << e;

  e = error_of([&] { space.from_string(replaced("r224", "r130")); });
  EXPECT_NE(e.find("'r130'"), std::string::npos) << e;

  e = error_of([&] { space.from_string(replaced("k3e3,k3e3,-", "k3e3,-,-")); });
  EXPECT_NE(e.find("'-'"), std::string::npos) << e;
  EXPECT_NE(e.find("block 2 of stage 1"), std::string::npos) << e;

  e = error_of([&] { space.from_string(replaced(",-:r224", ":r224")); });
  EXPECT_NE(e.find("19 tokens, expected 20"), std::string::npos) << e;

  e = error_of([&] { space.from_string("d2,2,2,2,2:r224"); });
  EXPECT_NE(e.find("2 ':'-separated parts"), std::string::npos) << e;

  e = error_of([&] { space.from_string(replaced("d2,2,2,2,2", "2,2,2,2,2")); });
  EXPECT_NE(e.find("'2,2,2,2,2'"), std::string::npos) << e;
}

TEST(Mobilenet, MutationChangesExactlyOneActiveGene) {
  const MobilenetSpace space;
  Rng rng(11);
  std::set<std::string> kinds;  // which kinds of gene were mutated
  bool grown_slot_drawn_non_default = false;
  Arch arch = space.sample(rng);
  for (int i = 0; i < 500; ++i) {
    const Arch child = space.mutate(arch, rng);
    ASSERT_NO_THROW(space.validate(child));
    ASSERT_EQ(child, space.normalize(child));
    ASSERT_NE(child, arch);
    ASSERT_EQ(active_differences(space, arch, child), 1) << space.to_string(arch) << " -> " << space.to_string(child);
    for (int g = 0; g < kMobilenetNumGenes; ++g) {
      if (arch.genes[g] == child.genes[g]) continue;
      if (g < kMobilenetNumStages) {
        kinds.insert("depth");
      } else if (g == kMobilenetResolutionGene) {
        kinds.insert("resolution");
      } else if (space.is_active(arch, g)) {
        kinds.insert((g - kMobilenetNumStages) % 2 == 0 ? "kernel" : "expand");
      } else if (child.genes[g] != 0) {
        grown_slot_drawn_non_default = true;  // a slot exposed by a deeper stage got a drawn value
      }
    }
    arch = child;
  }
  EXPECT_EQ(kinds, (std::set<std::string>{"depth", "expand", "kernel", "resolution"}));
  EXPECT_TRUE(grown_slot_drawn_non_default);
}

TEST(Mobilenet, SampleIsDeterministicUnderASeedAndNormalized) {
  const MobilenetSpace space;
  Rng a(42), b(42), c(43);
  std::vector<Arch> from_a, from_b, from_c;
  for (int i = 0; i < 20; ++i) {
    from_a.push_back(space.sample(a));
    from_b.push_back(space.sample(b));
    from_c.push_back(space.sample(c));
    EXPECT_EQ(from_a.back(), space.normalize(from_a.back()));
  }
  EXPECT_EQ(from_a, from_b);
  EXPECT_NE(from_a, from_c);
  Rng r(5);
  const Arch child = space.crossover(from_a[0], from_a[1], r);
  EXPECT_EQ(child, space.normalize(child));
}

TEST(Mobilenet, GenotypeAndRegistration) {
  const MobilenetSpace space;
  const auto choices = space.gene_choices();
  ASSERT_EQ(choices.size(), 46u);
  EXPECT_EQ(choices[0], 3);
  EXPECT_EQ(choices[kMobilenetResolutionGene], 25);
  EXPECT_EQ(mobilenet_resolutions().front(), 128);
  EXPECT_EQ(mobilenet_resolutions().back(), 224);
  EXPECT_EQ(MobilenetSpace::decode(kLargest).resolution, 224);
  EXPECT_NE(error_of([] { MobilenetSpace::encode(MobilenetSubnet::uniform(4, 9, 6)); }).find("kernel size 9"),
            std::string::npos);

  SpaceRegistry registry("search space");
  register_mobilenet(registry);
  EXPECT_EQ(registry.create("mobilenet", {})->name(), "mobilenet");
  const std::string e = error_of([&] { registry.create("mobilenet", {{"width", "1.2"}}); });
  EXPECT_NE(e.find("'width'"), std::string::npos) << e;
}

}  // namespace
}  // namespace hwnas::spaces
