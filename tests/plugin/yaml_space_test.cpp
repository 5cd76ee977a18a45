// YAML-declared spaces: the shipped example, graphs checked against hand-derived parameter counts, the
// string form, and the load-time errors (unknown keys with their line, impossible shapes naming the block).

#include "hwnas/plugin/yaml_space.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "hwnas/core/cost.h"
#include "hwnas/core/error.h"
#include "hwnas/plugin/plugin_loader.h"
#include "hwnas/spaces/search_space.h"
#include "error_of.h"

namespace hwnas::plugin {
namespace {

namespace fs = std::filesystem;
using spaces::Arch;

using hwnas::test::error_of;

#define EXPECT_CONTAINS(text, part) EXPECT_NE(std::string(text).find(part), std::string::npos) << (text)

std::int64_t params_of(const spaces::SearchSpace& space, const Arch& arch) {
  return core::graph_cost(space.to_graph(arch, 1)).params;
}

const core::Node* find_node(const core::Graph& g, const std::string& name) {
  for (const auto& n : g.nodes())
    if (n.name == name) return &n;
  return nullptr;
}

const std::string kExample = std::string(HWNAS_EXAMPLES_DIR) + "/custom_space/tiny_resnet.yaml";

TEST(YamlSpace, ExampleFileLoadsWithOneGenePerList) {
  const auto space = load_yaml_space(kExample);
  EXPECT_EQ(space->name(), "tiny_resnet");
  // b1: type(2) channels(3) repeat(3); b2: channels(2) kernel(2) expand(2) repeat(2) se(2).
  EXPECT_EQ(space->gene_choices(), (std::vector<int>{2, 3, 3, 2, 2, 2, 2, 2}));
  EXPECT_EQ(space->size(), 576.0);
  EXPECT_EQ(space->input_shape(8), (core::Shape{8, 3, 32, 32}));
  EXPECT_EQ(space->to_string(Arch{{1, 1, 1, 1, 1, 0, 0, 1}}),
            "b1.type=resnet_bottleneck,b1.channels=48,b1.repeat=2,b2.channels=96,b2.kernel=5,b2.expand=3,"
            "b2.repeat=1,b2.se=true");
  for (const Arch& arch : space->enumerate()) {
    ASSERT_EQ(space->from_string(space->to_string(arch)), arch);
    const core::Graph g = space->to_graph(arch, 2);
    ASSERT_EQ(g.shape(g.outputs().at(0)), (core::Shape{2, 10}));
  }
}

TEST(YamlSpace, ExampleSmallestArchitectureHasTheHandDerivedParameters) {
  const auto space = load_yaml_space(kExample);
  const Arch smallest{std::vector<int>(8, 0)};
  // stem conv 3->16 k3: 432 + bn 32                                     = 464
  // b1 resnet_basic 16->32 stride 2: 16*32*9 + 64 + 32*32*9 + 64
  //    + projection 16*32 + 64                                          = 14528
  // b2 mbconv 32->64 expand 3 (hidden 96) stride 2, no SE, no add:
  //    32*96 + 192 + dw 96*9 + 192 + 96*64 + 128                        = 10592
  // classifier 64*10 + 10                                               = 650
  EXPECT_EQ(params_of(*space, smallest), 464 + 14528 + 10592 + 650);
  const core::Graph g = space->to_graph(smallest, 1);
  // 32x32, stem stride 1, two stride-2 stages: 8x8 before the pool.
  ASSERT_NE(find_node(g, "b2.0/project/bn"), nullptr);
  EXPECT_EQ(find_node(g, "b2.0/project/bn")->shape, (core::Shape{1, 64, 8, 8}));
  EXPECT_EQ(find_node(g, "b2.0/add"), nullptr);
}

TEST(YamlSpace, ResnetBlocksMatchHandDerivedCounts) {
  const auto space = parse_yaml_space(R"(
name: hand_resnet
input: [3, 8, 8]
classes: 10
stem: {type: conv, channels: 4, kernel: 3, stride: 1}
blocks:
  - {type: [resnet_basic, resnet_bottleneck], channels: [4, 8], stride: 2}
)");
  EXPECT_EQ(space->gene_choices(), (std::vector<int>{2, 2}));
  // stem: 3*4*9 + 8 = 116.
  // basic 4->8 s2: 4*8*9 + 16 + 8*8*9 + 16 + projection 4*8 + 16 = 944; classifier 8*10 + 10 = 90.
  EXPECT_EQ(params_of(*space, Arch{{0, 1}}), 116 + 944 + 90);
  // basic 4->4 s2 (stride forces the projection): 144 + 8 + 144 + 8 + 16 + 8 = 328; classifier 50.
  EXPECT_EQ(params_of(*space, Arch{{0, 0}}), 116 + 328 + 50);
  // bottleneck 4->8, expand 4 -> width 2: 4*2 + 4 + 2*2*9 + 4 + 2*8 + 16 + projection 32 + 16 = 132.
  EXPECT_EQ(params_of(*space, Arch{{1, 1}}), 116 + 132 + 90);
  // bottleneck 4->4, width 1: 4 + 2 + 9 + 2 + 4 + 8 + 16 + 8 = 53.
  EXPECT_EQ(params_of(*space, Arch{{1, 0}}), 116 + 53 + 50);
  const core::Graph g = space->to_graph(Arch{{1, 1}}, 3);
  EXPECT_EQ(find_node(g, "b1.0/act")->shape, (core::Shape{3, 8, 4, 4}));
  EXPECT_EQ(g.shape(g.outputs().at(0)), (core::Shape{3, 10}));
}

TEST(YamlSpace, MbconvWithSqueezeExciteAndResidual) {
  const auto space = parse_yaml_space(R"(
name: hand_mbconv
input: [3, 8, 8]
classes: 5
blocks:
  - {type: mbconv, channels: 8, kernel: 3, expand: 2, se: true}
  - {type: mbconv, channels: 8, expand: 1}
)");
  EXPECT_TRUE(space->gene_choices().empty());
  EXPECT_EQ(space->to_string(Arch{}), "");
  EXPECT_EQ(space->from_string(" "), Arch{});
  // b1: expand 3->6: 18 + 12; dw 6*9 + 12; SE on 6 channels, reduce to max(1, 6/4) = 1:
  //     (6*1 + 1) + (1*6 + 6) = 19; project 6->8: 48 + 16; no add (3 != 8 channels)  -> 179
  // b2: expand 1 = no expansion conv; dw 8*9 + 16; project 64 + 16; add            -> 168
  // classifier 8*5 + 5                                                             -> 45
  EXPECT_EQ(params_of(*space, Arch{}), 179 + 168 + 45);
  const core::Graph g = space->to_graph(Arch{}, 1);
  EXPECT_EQ(find_node(g, "b1.0/add"), nullptr);
  ASSERT_NE(find_node(g, "b2.0/add"), nullptr);
  EXPECT_EQ(find_node(g, "b2.0/expand/conv"), nullptr);
  ASSERT_NE(find_node(g, "b1.0/se/gate"), nullptr);
  EXPECT_EQ(find_node(g, "b1.0/se/gate")->kind, core::OpKind::kSigmoid);
}

TEST(YamlSpace, HeadChoices) {
  const auto space = parse_yaml_space(R"(
name: hand_head
input: [1, 4, 4]
classes: 3
blocks:
  - {type: conv, channels: 2, kernel: 1}
head: {pool: [global_avg, flatten], channels: [0, 6], hidden: 5, act: hardswish}
)");
  EXPECT_EQ(space->to_string(Arch{{1, 1}}), "head.pool=flatten,head.channels=6");
  EXPECT_EQ(space->from_string(" head.channels = 6 , head.pool=flatten"), (Arch{{1, 1}}));
  // block: 1*2 + 4 = 6. Pooled: hidden 2*5 + 5 = 15, classifier 5*3 + 3 = 18.
  EXPECT_EQ(params_of(*space, Arch{{0, 0}}), 6 + 15 + 18);
  // Head conv 2->6 + bn: 12 + 12; flattened 6*4*4 = 96 features: hidden 96*5 + 5 = 485; classifier 18.
  EXPECT_EQ(params_of(*space, Arch{{1, 1}}), 6 + 24 + 485 + 18);
  EXPECT_EQ(find_node(space->to_graph(Arch{{1, 1}}), "head/hidden_act")->kind, core::OpKind::kHardswish);
}

TEST(YamlSpace, StringFormErrorsNameTheToken) {
  const auto space = load_yaml_space(kExample);
  EXPECT_EQ(error_of([&] { space->from_string("b1.type=resnet_basic,b9.channels=4"); }),
            "tiny_resnet: 'b9.channels' is not a choice of this space (choices: b1.type, b1.channels, b1.repeat, "
            "b2.channels, b2.kernel, b2.expand, b2.repeat, b2.se)");
  EXPECT_EQ(error_of([&] { space->from_string("b1.channels=40"); }),
            "tiny_resnet: b1.channels=40 is not a valid choice (valid: 32, 48, 64)");
  EXPECT_CONTAINS(error_of([&] { space->from_string("b1.type=resnet_basic"); }),
                  "does not set b1.channels, b1.repeat, b2.channels");
  EXPECT_CONTAINS(error_of([&] { space->from_string("b1.channels=32,b1.channels=48"); }), "given twice");
  EXPECT_CONTAINS(error_of([&] { space->from_string("resnet"); }), "token 'resnet'");
}

TEST(YamlSpace, UnknownKeysAreRejectedWithTheirLine) {
  EXPECT_EQ(error_of([] {
              parse_yaml_space(
                  "name: bad\ninput: [3, 8, 8]\nclasses: 10\nblocks:\n  - type: conv\n    channels: 8\n"
                  "    kernal: 3\n",
                  "bad.yaml");
            }),
            "bad.yaml:7: unknown key 'kernal' in block 1 (valid: type, channels, kernel, expand, stride, repeat, se, "
            "act)");
  EXPECT_EQ(error_of([] { parse_yaml_space("name: bad\ninput: [3, 8, 8]\nclasses: 10\nblocks: []\nheads: {}\n"); }),
            "<yaml>:5: unknown key 'heads' in the space file (valid: name, description, input, classes, stem, "
            "blocks, head)");
  EXPECT_CONTAINS(error_of([] {
                    parse_yaml_space(
                        "name: bad\ninput: [3, 8, 8]\nclasses: 10\nblocks:\n"
                        "  - {type: conv, channels: 8}\nhead: {pool: global_avg, dropout: 0.2}\n");
                  }),
                  "<yaml>:6: unknown key 'dropout' in head");
}

TEST(YamlSpace, ImpossibleShapesAreRejectedNamingTheBlock) {
  const std::string header = "name: bad\ninput: [3, 4, 4]\nclasses: 2\nblocks:\n";  // blocks start at line 5
  // 4x4 -> 2x2 -> 1x1; a third stride 2 has nothing left to halve.
  EXPECT_EQ(error_of([&] {
              parse_yaml_space(header +
                               "  - {type: conv, channels: 4, kernel: 1, stride: 2}\n"
                               "  - {type: conv, channels: 4, kernel: 1, stride: 2}\n"
                               "  - {type: conv, channels: 4, kernel: 1, stride: [1, 2]}\n");
            }),
            "<yaml>:7: block 3: stride 2 would take the 1x1 feature map below one pixel");
  // A 7x7 kernel choice on the 2x2 map after one stride 2.
  EXPECT_EQ(error_of([&] {
              parse_yaml_space(header +
                               "  - {type: conv, channels: 4, kernel: 1, stride: 2}\n"
                               "  - {type: resnet_basic, channels: 4, kernel: [3, 7]}\n");
            }),
            "<yaml>:6: block 2: kernel 7 is larger than the 2x2 feature map it runs on");
  // The second conv of a basic block runs after the stride: 4x4 / 4 = 1x1 < 3.
  EXPECT_EQ(error_of([&] { parse_yaml_space(header + "  - {type: resnet_basic, channels: 4, stride: 4}\n"); }),
            "<yaml>:5: block 1: kernel 3 is larger than the 1x1 feature map after its stride 4");
  EXPECT_EQ(error_of([&] { parse_yaml_space(header + "  - {type: conv, channels: [8, 0]}\n"); }),
            "<yaml>:5: block 1: channels 0 must be at least 1");
  EXPECT_EQ(error_of([&] { parse_yaml_space(header + "  - {type: conv, channels: 8, kernel: 2}\n"); }),
            "<yaml>:5: block 1: kernel 2 must be odd (padding k/2 keeps the shape)");
  EXPECT_EQ(error_of([&] { parse_yaml_space(header + "  - {type: resnet_bottleneck, channels: [2, 8]}\n"); }),
            "<yaml>:5: block 1: channels 2 / expand 4 leaves a resnet_bottleneck of 0 channels");
  EXPECT_EQ(error_of([&] {
              parse_yaml_space(
                  "name: bad\ninput: [3, 4, 4]\nclasses: 2\nstem: {channels: 4, kernel: 5}\nblocks:\n"
                  "  - {type: conv, channels: 4}\n");
            }),
            "<yaml>:4: stem: kernel 5 is larger than the 4x4 feature map it runs on");
}

TEST(YamlSpace, OtherDeclarationErrors) {
  const std::string header = "name: bad\ninput: [3, 8, 8]\nclasses: 2\nblocks:\n";
  EXPECT_EQ(error_of([&] { parse_yaml_space(header + "  - {type: resnet_basic, channels: 8, expand: 4}\n"); }),
            "<yaml>:5: block 1: 'expand' applies only to resnet_bottleneck and mbconv blocks");
  EXPECT_EQ(error_of([&] { parse_yaml_space(header + "  - {type: resnet, channels: 8}\n"); }),
            "<yaml>:5: block 1: type: 'resnet' is not valid (valid: conv, resnet_basic, resnet_bottleneck, mbconv)");
  EXPECT_EQ(error_of([&] { parse_yaml_space(header + "  - {channels: 8}\n"); }),
            "<yaml>:5: block 1: 'type' is required (one of conv, resnet_basic, resnet_bottleneck, mbconv, or a list "
            "of them)");
  EXPECT_EQ(error_of([&] { parse_yaml_space(header + "  - {type: conv, channels: [8, 8]}\n"); }),
            "<yaml>:5: block 1: channels: the list has 8 twice");
  EXPECT_EQ(error_of([&] { parse_yaml_space(header + "  - {type: conv, channels: eight}\n"); }),
            "<yaml>:5: block 1: channels: 'eight' is not an integer");
  EXPECT_EQ(error_of([&] { parse_yaml_space(header + "  - {type: conv, channels: 8, act: tanh}\n"); }),
            "<yaml>:5: block 1: act: 'tanh' is not valid (valid: relu, relu6, hardswish, silu, gelu, sigmoid)");
  EXPECT_EQ(error_of([&] { parse_yaml_space(header + "  - {type: conv, channels: 8, se: true}\n"); }),
            "<yaml>:5: block 1: 'se' applies only to resnet_basic, resnet_bottleneck and mbconv blocks");
  const std::string syntax_error = error_of([&] { parse_yaml_space(header + "  - {type: conv, channels: [8, 16}\n"); });
  EXPECT_CONTAINS(syntax_error, "<yaml>:5:");
  EXPECT_CONTAINS(syntax_error, "invalid YAML");
  EXPECT_EQ(error_of([] { parse_yaml_space("name: bad\ninput: [3, 8, 8]\nblocks:\n  - {type: conv, channels: 8}\n"); }),
            "<yaml>:1: 'classes' is required");
  EXPECT_EQ(error_of([] { load_yaml_space("/nonexistent/space.yaml"); }),
            "YAML space file '/nonexistent/space.yaml' cannot be read (it does not exist)");
}

TEST(YamlSpace, RegistersUnderItsNameAndRefusesATakenName) {
  const LoadedPlugin info = register_yaml_space(kExample);
  EXPECT_EQ(info.kind, SourceKind::kYaml);
  EXPECT_EQ(info.spaces, std::vector<std::string>{"tiny_resnet"});
  EXPECT_EQ(register_yaml_space(kExample).path, info.path);  // idempotent
  const auto space = spaces::make_space("tiny_resnet");
  EXPECT_EQ(space->size(), 576.0);
  EXPECT_CONTAINS(spaces::space_registry().description("tiny_resnet"), "576 architectures");
  EXPECT_CONTAINS(error_of([] { spaces::make_space("tiny_resnet", {{"width", "2"}}); }), "takes no options");

  const fs::path dir = fs::path(testing::TempDir()) / "hwnas_yaml_clash";
  fs::create_directories(dir);
  const fs::path file = dir / "nb201.yml";
  std::ofstream(file) << "name: nb201\ninput: [3, 8, 8]\nclasses: 2\nblocks:\n  - {type: conv, channels: 8}\n";
  EXPECT_EQ(error_of([&] { load_space_source(file); }),
            "YAML space file '" + file.string() +
                "': search space 'nb201' is already registered by a built-in space; rename the space");
}

}  // namespace
}  // namespace hwnas::plugin
