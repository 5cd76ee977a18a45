#include "hwnas/spaces/vit.h"

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

VitSpace space_of(const std::string& variant) { return VitSpace(VitOptions::from_map({{"variant", variant}})); }

VitSubnet uniform(std::int64_t embed, int depth, std::int64_t heads, double ratio) {
  return {embed, depth, std::vector<std::int64_t>(static_cast<std::size_t>(depth), heads),
          std::vector<double>(static_cast<std::size_t>(depth), ratio)};
}

std::int64_t params(const VitSpace& space, const VitSubnet& subnet) {
  return core::graph_cost(space.to_graph(space.encode(subnet))).params;
}

// Parameters derived by hand from the AutoFormer modules (relative position tables excluded, see vit.h):
//   fixed: patch embed 3·16·16·E + E = 769E, class token E, position embedding 197E, final LN 2E,
//          head 1000E + 1000  => 1969E + 1000.
//   per layer with H heads and MLP width M = int(E·r): LN 2E; qkv E·192H + 192H; proj 64H·E + E; LN 2E;
//          fc1 E·M + M; fc2 M·E + E  => 6E + H·(256E + 192) + M·(2E + 1).
// Tiny max  (E240, 14 x H4 r4.0, M960):  fixed 473,560; layer 1440 + 245,760 + 768 + 460,800 + 960 = 709,728;
//           473,560 + 14·709,728 = 10,409,752.
// Tiny min  (E192, 12 x H3 r3.5, M672):  fixed 379,048; layer 1152 + 147,456 + 576 + 258,048 + 672 = 407,904;
//           379,048 + 12·407,904 = 5,273,896.
// Small max (E448, 14 x H7 r4.0, M1792): fixed 883,112; layer 2688 + 802,816 + 1344 + 1,605,632 + 1792
//           = 2,414,272; total 34,682,920.
// Small min (E320, 12 x H5 r3.0, M960):  fixed 631,080; layer 1920 + 409,600 + 960 + 614,400 + 960 = 1,027,840;
//           total 12,965,160.
// Base max  (E624, 16 x H10 r4.0, M2496): fixed 1,229,656; layer 3744 + 1,597,440 + 1920 + 3,115,008 + 2496
//           = 4,720,608; total 76,759,384.
// Base min  (E528, 14 x H9 r3.0, M1584): fixed 1,040,632; layer 3168 + 1,216,512 + 1728 + 1,672,704 + 1584
//           = 2,895,696; total 41,580,376.
TEST(Vit, ParameterCountsOfLargestAndSmallestSubnets) {
  EXPECT_EQ(params(space_of("tiny"), uniform(240, 14, 4, 4.0)), 10'409'752);
  EXPECT_EQ(params(space_of("tiny"), uniform(192, 12, 3, 3.5)), 5'273'896);
  EXPECT_EQ(params(space_of("small"), uniform(448, 14, 7, 4.0)), 34'682'920);
  EXPECT_EQ(params(space_of("small"), uniform(320, 12, 5, 3.0)), 12'965'160);
  EXPECT_EQ(params(space_of("base"), uniform(624, 16, 10, 4.0)), 76'759'384);
  EXPECT_EQ(params(space_of("base"), uniform(528, 14, 9, 3.0)), 41'580'376);
}

// The released AutoFormer-S and -B subnets (experiments/subnet/AutoFormer-{S,B}.yaml) lie in the space;
// with the per-layer formula above:
//   S (E384, 13 layers): fixed 757,096; heads sum 78 -> 78·98,496 = 7,682,688; MLP widths 2·1152 + 3·1344 +
//      8·1536 = 18,624 -> 18,624·769 = 14,321,856; 13·6E = 29,952; total 22,791,592.
//      Published: 22.9M; adding the 13·7,680 relative-position parameters gives 22,891,432.
//   B (E576, 14 layers): fixed 1,135,144; heads sum 130 -> 130·147,648 = 19,194,240; MLP widths 3·1728 +
//      6·2016 + 5·2304 = 28,800 -> 28,800·1153 = 33,206,400; 14·6E = 48,384; total 53,584,168.
//      Published: 54M; with the 14·7,680 relative-position parameters 53,691,688.
// (AutoFormer-T, published 5.7M, uses MLP ratio 3.0, outside the tiny space: 5,768,104 by this formula,
// 5,867,944 with relative positions.)
TEST(Vit, ReleasedSubnetsParameterCounts) {
  const VitSpace small = space_of("small");
  EXPECT_EQ(params(small, {384,
                           13,
                           {6, 6, 5, 7, 5, 5, 5, 6, 6, 7, 7, 6, 7},
                           {3.0, 3.5, 3.0, 3.5, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 3.5, 4.0}}),
            22'791'592);
  const VitSpace base = space_of("base");
  EXPECT_EQ(params(base, {576,
                          14,
                          {9, 9, 9, 9, 9, 10, 9, 9, 10, 9, 10, 9, 9, 10},
                          {3.5, 3.5, 4.0, 3.5, 4.0, 3.5, 3.5, 3.0, 4.0, 4.0, 3.0, 4.0, 3.0, 3.5}}),
            53'584'168);
}

TEST(Vit, GraphStructure) {
  const VitSpace space = space_of("tiny");
  const Arch arch = space.encode(uniform(192, 12, 3, 3.5));
  const core::Graph g = space.to_graph(arch, 2);
  EXPECT_EQ(g.shape(g.outputs().at(0)), (core::Shape{2, 1000}));
  EXPECT_EQ(g.shape(g.inputs().at(0)), (core::Shape{2, 3, 224, 224}));
  EXPECT_EQ(find_node(g, "patch_embed/permute").shape, (core::Shape{2, 196, 192}));
  EXPECT_EQ(find_node(g, "cls_token").shape, (core::Shape{2, 197, 192}));
  EXPECT_EQ(find_node(g, "pos_embed").shape, (core::Shape{2, 197, 192}));
  EXPECT_EQ(find_node(g, "block0/attn/qkv").shape, (core::Shape{2, 197, 576}));
  EXPECT_EQ(find_node(g, "block0/attn/permute").shape, (core::Shape{3, 2, 3, 197, 64}));
  EXPECT_EQ(find_node(g, "block0/attn/k_transpose").shape, (core::Shape{2, 3, 64, 197}));
  EXPECT_EQ(find_node(g, "block0/attn/scores").shape, (core::Shape{2, 3, 197, 197}));
  EXPECT_EQ(find_node(g, "block0/attn/context_reshape").shape, (core::Shape{2, 197, 192}));
  EXPECT_EQ(find_node(g, "block11/mlp/fc1").shape, (core::Shape{2, 197, 672}));
  EXPECT_EQ(find_node(g, "pool/tokens").shape, (core::Shape{2, 196, 192}));
  EXPECT_EQ(find_node(g, "pool/mean").shape, (core::Shape{2, 192}));
  EXPECT_EQ(count_kind(g, OpKind::kMatmul), 2 * 12);
  EXPECT_EQ(count_kind(g, OpKind::kSoftmax), 12);
  EXPECT_EQ(count_kind(g, OpKind::kLayerNorm), 2 * 12 + 1);
  EXPECT_EQ(count_kind(g, OpKind::kGelu), 12);
  EXPECT_EQ(count_kind(g, OpKind::kAdd), 2 * 12);
  EXPECT_THROW(find_node(g, "block12/attn/qkv"), std::runtime_error);

  // Attention matmuls: q·kᵀ and attn·v each 2·(N·H·197·197·64) FLOPs; with N=1, H=3, 12 layers:
  // 12 · 2 · 2 · 3 · 38,809 · 64 = 357,663,744.
  const core::Graph one = space.to_graph(arch);
  double matmul_flops = 0;
  for (const auto& n : one.nodes())
    if (n.kind == OpKind::kMatmul) matmul_flops += core::node_cost(one, n.id).flops;
  EXPECT_DOUBLE_EQ(matmul_flops, 357'663'744.0);
}

TEST(Vit, StringForm) {
  const VitSpace tiny = space_of("tiny");
  EXPECT_EQ(tiny.to_string(tiny.encode(uniform(192, 12, 3, 3.5))),
            "e192:d12:h3m3.5,h3m3.5,h3m3.5,h3m3.5,h3m3.5,h3m3.5,h3m3.5,h3m3.5,h3m3.5,h3m3.5,h3m3.5,h3m3.5,-,-");
  // Any spelling of a ratio; a token in an inactive layer is ignored.
  EXPECT_EQ(tiny.from_string("e192:d12:h3m3.50,h3m3.5,h3m3.5,h3m3.5,h3m3.5,h3m3.5,h3m3.5,h3m3.5,h3m3.5,h3m3.5,h3m3.5,"
                             "h3m3.5,h4m4,-"),
            tiny.encode(uniform(192, 12, 3, 3.5)));
  const VitSpace base = space_of("base");
  const std::string b = base.to_string(base.encode(uniform(624, 16, 10, 4.0)));
  EXPECT_EQ(b.substr(0, 24), "e624:d16:h10m4.0,h10m4.0");
  EXPECT_EQ(std::count(b.begin(), b.end(), ','), 15);
}

TEST(Vit, StringRoundTripOfRandomArchitectures) {
  for (const std::string variant : {"tiny", "small", "base"}) {
    const VitSpace space = space_of(variant);
    Rng rng(3);
    for (int i = 0; i < 200; ++i) {
      const Arch arch = space.sample(rng);
      const std::string text = space.to_string(arch);
      ASSERT_EQ(space.from_string(text), arch) << variant << ": " << text;
      ASSERT_EQ(space.to_string(space.from_string(text)), text);
    }
    Arch raw{std::vector<int>(space.gene_choices().size(), 1)};
    raw.genes[1] = 0;  // smallest depth: the last layers are inactive but hold 1s
    EXPECT_EQ(space.from_string(space.to_string(raw)), space.normalize(raw)) << variant;
    EXPECT_NE(raw, space.normalize(raw));
  }
}

TEST(Vit, BadStringsNameTheBadToken) {
  const VitSpace tiny = space_of("tiny");
  const std::string good =
      "e192:d12:h3m3.5,h3m3.5,h3m3.5,h3m3.5,h3m3.5,h3m3.5,h3m3.5,h3m3.5,h3m3.5,h3m3.5,h3m3.5,h3m3.5,-,-";
  ASSERT_NO_THROW(tiny.from_string(good));
  const auto replaced = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    s.replace(s.find(from), from.size(), to);
    return s;
  };

  std::string e = error_of([&] { tiny.from_string(replaced("h3m3.5", "h5m3.5")); });
  EXPECT_NE(e.find("'h5m3.5'"), std::string::npos) << e;
  EXPECT_NE(e.find("h<3|4>m<3.5|4.0>"), std::string::npos) << e;

  e = error_of([&] { tiny.from_string(replaced("h3m3.5", "h3m3.0")); });  // 3.0 is a small/base ratio only
  EXPECT_NE(e.find("'h3m3.0'"), std::string::npos) << e;

  e = error_of([&] { tiny.from_string(replaced("h3m3.5", "h3m")); });
  EXPECT_NE(e.find("'h3m'"), std::string::npos) << e;

  e = error_of([&] { tiny.from_string(replaced("e192", "e200")); });
  EXPECT_NE(e.find("'e200'"), std::string::npos) << e;
  EXPECT_NE(e.find("192, 216, 240"), std::string::npos) << e;

  e = error_of([&] { tiny.from_string(replaced("d12", "d11")); });
  EXPECT_NE(e.find("'d11'"), std::string::npos) << e;

  e = error_of([&] { tiny.from_string(replaced("d12", "d14")); });  // 14 layers but two are '-'
  EXPECT_NE(e.find("'-' at layer 12"), std::string::npos) << e;

  e = error_of([&] { tiny.from_string(replaced(",-,-", ",-")); });
  EXPECT_NE(e.find("13 tokens, expected 14"), std::string::npos) << e;

  e = error_of([&] { tiny.from_string("e192:h3m3.5"); });
  EXPECT_NE(e.find("2 ':'-separated parts"), std::string::npos) << e;
}

TEST(Vit, OptionsAreChecked) {
  EXPECT_EQ(VitSpace().spec().name, "tiny");
  EXPECT_EQ(space_of("base").gene_choices().size(), 2u + 2 * 16);
  EXPECT_EQ(space_of("small").gene_choices(), (std::vector<int>(30, 3)));
  std::string e = error_of([] { VitOptions::from_map({{"variant", "huge"}}); });
  EXPECT_NE(e.find("'huge'"), std::string::npos) << e;
  EXPECT_NE(e.find("tiny, small, base"), std::string::npos) << e;

  SpaceRegistry registry("search space");
  register_vit(registry);
  EXPECT_EQ(registry.create("vit", {{"variant", "small"}})->gene_choices().size(), 30u);
  e = error_of([&] { registry.create("vit", {{"patch", "8"}}); });
  EXPECT_NE(e.find("'patch'"), std::string::npos) << e;

  const VitSpace tiny;
  e = error_of([&] { tiny.encode(uniform(192, 12, 3, 3.0)); });
  EXPECT_NE(e.find("MLP ratio 3"), std::string::npos) << e;
}

TEST(Vit, MutationChangesExactlyOneActiveGene) {
  for (const std::string variant : {"tiny", "base"}) {
    const VitSpace space = space_of(variant);
    const int n = static_cast<int>(space.gene_choices().size());
    Rng rng(17);
    std::set<std::string> kinds;
    bool grown_layer_drawn_non_default = false;
    Arch arch = space.sample(rng);
    for (int i = 0; i < 500; ++i) {
      const Arch child = space.mutate(arch, rng);
      ASSERT_NO_THROW(space.validate(child));
      ASSERT_EQ(child, space.normalize(child));
      ASSERT_NE(child, arch);
      int active_diffs = 0;
      for (int g = 0; g < n; ++g) {
        if (arch.genes[g] == child.genes[g]) continue;
        if (space.is_active(arch, g) && space.is_active(child, g)) {
          ++active_diffs;
          kinds.insert(g == 0 ? "embed" : g == 1 ? "depth" : g % 2 == 0 ? "heads" : "ratio");
        } else if (child.genes[g] != 0) {
          grown_layer_drawn_non_default = true;
        }
      }
      ASSERT_EQ(active_diffs, 1) << space.to_string(arch) << " -> " << space.to_string(child);
      arch = child;
    }
    EXPECT_EQ(kinds, (std::set<std::string>{"embed", "depth", "heads", "ratio"})) << variant;
    EXPECT_TRUE(grown_layer_drawn_non_default) << variant;
  }
}

TEST(Vit, SampleIsDeterministicUnderASeed) {
  const VitSpace space = space_of("small");
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
  std::set<int> depths;
  for (const Arch& arch : from_a) depths.insert(space.decode(arch).depth);
  EXPECT_GT(depths.size(), 1u);
}

}  // namespace
}  // namespace hwnas::spaces
