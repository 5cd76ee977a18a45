// Loading plugin libraries: the example plugin end to end through the adapter, and every refusal path.
// ctest runs each test in its own process; each test loads what it needs (loading is idempotent).

#include "hwnas/plugin/plugin_loader.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "hwnas/core/cost.h"
#include "hwnas/core/error.h"
#include "hwnas/plugin/plugin_abi.h"
#include "hwnas/spaces/search_space.h"
#include "error_of.h"

namespace hwnas::plugin {
namespace {

namespace fs = std::filesystem;
using spaces::Arch;

// The message of the hwnas::Error `body` throws ("" when it throws nothing).
using hwnas::test::error_of;

// Whether `path` is in loaded_plugins() (tests may share a process, so never assume the list is empty).
bool is_loaded(const fs::path& path) {
  std::error_code ec;
  const fs::path canonical = fs::canonical(path, ec);
  for (const auto& p : loaded_plugins())
    if (p.path == canonical) return true;
  return false;
}

#define EXPECT_CONTAINS(text, part) EXPECT_NE(std::string(text).find(part), std::string::npos) << (text)

// Parameters of the example's cifar_resnet / cifar_plainnet network, from the structure described in
// He et al. 2016 section 4.2 (conv 3x3 without bias, BN with 2 params per channel, option-B projections):
//   stem  3*16*9 + 2*16 = 464
//   stage s of width w, input c, depth d, stride t:
//     first block  9*c*w + 2w + 9*w*w + 2w  (+ c*w + 2w when residual and (t != 1 or c != w))
//     each other   9*w*w + 2w + 9*w*w + 2w
//   fc    10*w3 + 10
std::int64_t expected_cifar_params(const std::vector<int>& depths, const std::vector<int>& widths, bool residual) {
  const int strides[3] = {1, 2, 2};
  std::int64_t params = 3 * 16 * 9 + 2 * 16;
  std::int64_t c = 16;
  for (int s = 0; s < 3; ++s) {
    const std::int64_t w = widths[s];
    params += 9 * c * w + 2 * w + 9 * w * w + 2 * w;
    if (residual && (strides[s] != 1 || c != w)) params += c * w + 2 * w;
    params += (depths[s] - 1) * (18 * w * w + 4 * w);
    c = w;
  }
  return params + 10 * c + 10;
}

TEST(PluginLoader, LoadsTheExamplePluginAndRegistersItsSpaces) {
  const LoadedPlugin info = load_plugin(HWNAS_EXAMPLE_PLUGIN);
  EXPECT_EQ(info.name, "cifar_resnet");
  EXPECT_EQ(info.version, "1.0.0");
  EXPECT_EQ(info.abi_version, HWNAS_PLUGIN_ABI_VERSION);
  EXPECT_EQ(info.kind, SourceKind::kSharedLibrary);
  EXPECT_EQ(info.path, fs::canonical(HWNAS_EXAMPLE_PLUGIN));
  EXPECT_EQ(info.spaces, (std::vector<std::string>{"cifar_resnet", "cifar_plainnet"}));
  EXPECT_TRUE(spaces::space_registry().contains("cifar_resnet"));
  EXPECT_TRUE(spaces::space_registry().contains("cifar_plainnet"));
  EXPECT_TRUE(spaces::space_registry().contains("nb201"));  // built-ins stay

  // Loading again (by another spelling of the path) returns the same plugin, registering nothing twice.
  const fs::path dotted =
      fs::path(HWNAS_EXAMPLE_PLUGIN).parent_path() / "." / fs::path(HWNAS_EXAMPLE_PLUGIN).filename();
  EXPECT_EQ(load_plugin(dotted).spaces, info.spaces);
  int listed = 0;
  for (const auto& p : loaded_plugins()) listed += p.path == info.path;
  EXPECT_EQ(listed, 1);
  EXPECT_CONTAINS(spaces::space_registry().description("cifar_resnet"), "He et al. 2016");
}

TEST(PluginLoader, AdapterRoundTripsStringsAndSamplesDeterministically) {
  load_plugin(HWNAS_EXAMPLE_PLUGIN);
  const auto space = spaces::make_space("cifar_resnet");
  EXPECT_EQ(space->name(), "cifar_resnet");
  EXPECT_EQ(space->gene_choices(), std::vector<int>(6, 3));
  EXPECT_EQ(space->size(), 729.0);  // 3^6
  EXPECT_EQ(space->input_shape(4), (core::Shape{4, 3, 32, 32}));

  // Genes {2,2,2,1,1,1}: depth index 2 = 3 blocks, width index 1 = the paper's widths: ResNet-20.
  const Arch resnet20{{2, 2, 2, 1, 1, 1}};
  EXPECT_EQ(space->to_string(resnet20), "d3,3,3:w16,32,64");
  EXPECT_EQ(space->from_string("d3,3,3:w16,32,64"), resnet20);
  EXPECT_EQ(space->from_string("d1,2,3:w8,48,96"), (Arch{{0, 1, 2, 0, 2, 2}}));

  spaces::Rng a(11), b(11);
  for (int i = 0; i < 30; ++i) {
    const Arch x = space->sample(a);
    EXPECT_EQ(x, space->sample(b));  // the seed crosses the boundary, so runs are reproducible
    EXPECT_EQ(space->from_string(space->to_string(x)), x);
    const Arch m = space->mutate(x, a);
    space->mutate(x, b);
    int changed = 0;
    for (std::size_t g = 0; g < x.genes.size(); ++g) changed += x.genes[g] != m.genes[g];
    EXPECT_EQ(changed, 1);
    const Arch c = space->crossover(x, m, a);
    space->crossover(x, m, b);
    for (std::size_t g = 0; g < x.genes.size(); ++g) EXPECT_TRUE(c.genes[g] == x.genes[g] || c.genes[g] == m.genes[g]);
  }
}

TEST(PluginLoader, ExampleGraphsHaveTheDerivedShapeAndParameterCount) {
  load_plugin(HWNAS_EXAMPLE_PLUGIN);
  const auto resnet = spaces::make_space("cifar_resnet");
  const auto plain = spaces::make_space("cifar_plainnet");

  // ResNet-20 with option-A shortcuts has 269,722 parameters (the paper's "0.27M"); the projections of
  // option B add 16*32 + 2*32 + 32*64 + 2*64 = 2752.
  const Arch resnet20 = resnet->from_string("d3,3,3:w16,32,64");
  const core::Graph g = resnet->to_graph(resnet20, 2);
  EXPECT_EQ(g.shape(g.outputs().at(0)), (core::Shape{2, 10}));
  EXPECT_EQ(core::graph_cost(g).params, 269722 + 2752);
  EXPECT_EQ(core::graph_cost(plain->to_graph(resnet20, 1)).params, 269722);

  // Every architecture of both spaces against the closed form.
  const int depths[3] = {1, 2, 3};
  const int widths[3][3] = {{8, 16, 24}, {16, 32, 48}, {32, 64, 96}};
  for (const Arch& arch : resnet->enumerate()) {
    std::vector<int> d, w;
    for (int s = 0; s < 3; ++s) {
      d.push_back(depths[arch.genes[s]]);
      w.push_back(widths[s][arch.genes[3 + s]]);
    }
    const core::Graph rg = resnet->to_graph(arch, 1);
    ASSERT_EQ(core::graph_cost(rg).params, expected_cifar_params(d, w, true)) << resnet->to_string(arch);
    ASSERT_EQ(rg.shape(rg.outputs().at(0)), (core::Shape{1, 10}));
    ASSERT_EQ(core::graph_cost(plain->to_graph(arch, 1)).params, expected_cifar_params(d, w, false));
  }
}

TEST(PluginLoader, PluginErrorsComeBackAsMessagesNamingPluginAndSpace) {
  load_plugin(HWNAS_EXAMPLE_PLUGIN);
  const auto space = spaces::make_space("cifar_resnet");
  const std::string bad_width = error_of([&] { space->from_string("d3,3,3:w16,33,64"); });
  EXPECT_CONTAINS(bad_width, "plugin 'cifar_resnet', space 'cifar_resnet': from_string failed");
  EXPECT_CONTAINS(bad_width, "width 33 of stage 2 is not a choice (valid: 16, 32, 48)");
  // A gene out of range is caught by the plugin's own validate.
  EXPECT_CONTAINS(error_of([&] { space->to_graph(Arch{{0, 0, 0, 0, 0, 5}}); }), "gene 5 is 5, expected 0..2");
  // A genotype of the wrong length never crosses the boundary.
  EXPECT_CONTAINS(error_of([&] { space->to_string(Arch{{0, 0}}); }), "architecture has 2 genes, expected 6");
  EXPECT_CONTAINS(error_of([] { spaces::make_space("cifar_resnet", {{"depth", "3"}}); }), "takes no options");
}

TEST(PluginLoader, ExceptionsInsideThePluginCrossAsText) {
  const LoadedPlugin info = load_plugin(HWNAS_FIXTURE_THROWING);
  EXPECT_EQ(info.name, "throwing");
  EXPECT_EQ(info.version, "0");  // HWNAS_PLUGIN_VERSION not defined
  const auto space = spaces::make_space("throwing_space");
  EXPECT_EQ(space->input_shape(1), (core::Shape{1, 3, 8, 8}));
  EXPECT_EQ(error_of([&] { space->to_string(Arch{{1}}); }),
            "plugin 'throwing', space 'throwing_space': to_string failed: to_string exploded on gene 1");
  EXPECT_EQ(error_of([&] { space->from_string("xyz"); }),
            "plugin 'throwing', space 'throwing_space': from_string failed: from_string exploded on 'xyz'");
  EXPECT_EQ(error_of([&] { space->to_graph(Arch{{0}}); }),
            "plugin 'throwing', space 'throwing_space': to_graph failed: unknown exception (not derived from "
            "std::exception)");
}

TEST(PluginLoader, HandWrittenCPluginWorksAndItsGraphsAreChecked) {
  const LoadedPlugin info = load_plugin(HWNAS_FIXTURE_C_PLUGIN);
  EXPECT_EQ(info.name, "hwnas_fixture_c_plugin");  // no name given: the file name without "lib"
  EXPECT_EQ(info.version, "0.1");
  const auto space = spaces::make_space("c_space");
  EXPECT_EQ(space->gene_choices(), (std::vector<int>{2, 3}));
  EXPECT_EQ(space->input_shape(3), (core::Shape{3, 4}));
  EXPECT_EQ(space->to_string(Arch{{0, 2}}), "c:02");
  EXPECT_EQ(space->from_string("c:12"), (Arch{{1, 2}}));
  // Gene 1 = 2: linear 4 -> 4 with bias, 4*4 + 4 = 20 parameters.
  const core::Graph g = space->to_graph(Arch{{0, 2}}, 3);
  EXPECT_EQ(g.shape(g.outputs().at(0)), (core::Shape{3, 4}));
  EXPECT_EQ(core::graph_cost(g).params, 20);
  // Gene 0 = 1 records a wrong output shape; the host re-infers it and refuses.
  const std::string bad = error_of([&] { space->to_graph(Arch{{1, 0}}); });
  EXPECT_CONTAINS(bad, "plugin 'hwnas_fixture_c_plugin', space 'c_space': to_graph returned a graph hwnas rejects");
  EXPECT_CONTAINS(bad, "recorded shape 1x99 disagrees with inferred 1x2");
  // No sample/mutate in the table: the host's defaults serve.
  spaces::Rng rng(3);
  for (int i = 0; i < 10; ++i) space->validate(space->sample(rng));
  EXPECT_CONTAINS(error_of([&] { space->from_string("c:29"); }), "c_space gene out of range");
}

TEST(PluginLoader, RefusesAMissingFile) {
  const std::string message = error_of([] { load_plugin("/nonexistent/dir/libnothing.so"); });
  EXPECT_EQ(message, "plugin '/nonexistent/dir/libnothing.so' does not exist");
}

TEST(PluginLoader, RefusesATextFileNamedLikeALibrary) {
  const fs::path dir = fs::path(testing::TempDir()) / "hwnas_plugin_text";
  fs::create_directories(dir);
  const fs::path fake = dir / "libfake.so";
  std::ofstream(fake) << "this is not an ELF file\n";
  const std::string message = error_of([&] { load_plugin(fake); });
  EXPECT_CONTAINS(message, "plugin '" + fake.string() + "' is not a loadable shared library: ");
  EXPECT_CONTAINS(message, "libfake.so");  // dlopen's own reason follows
  EXPECT_FALSE(is_loaded(fake));
  EXPECT_CONTAINS(error_of([&] { load_plugin(dir); }), "is a directory");
}

TEST(PluginLoader, RefusesASharedLibraryWithoutTheEntryPoint) {
  const std::string message = error_of([] { load_plugin(HWNAS_FIXTURE_NO_ENTRY); });
  EXPECT_EQ(message, std::string("'") + HWNAS_FIXTURE_NO_ENTRY +
                         "' is not an hwnas plugin: it exports no 'hwnas_plugin_entry' function (use "
                         "HWNAS_EXPORT_SPACES from hwnas/plugin/space_plugin.h)");
}

TEST(PluginLoader, RefusesAPluginBuiltForAnotherAbiVersion) {
  const std::string message = error_of([] { load_plugin(HWNAS_FIXTURE_ABI99); });
  EXPECT_EQ(message, std::string("plugin '") + HWNAS_FIXTURE_ABI99 +
                         "' was built for hwnas plugin ABI 99, this hwnas speaks 1: rebuild it against this hwnas");
  EXPECT_FALSE(is_loaded(HWNAS_FIXTURE_ABI99));
}

TEST(PluginLoader, ReportsAPluginThatFailsToStart) {
  const std::string message = error_of([] { load_plugin(HWNAS_FIXTURE_FAIL_START); });
  EXPECT_EQ(message, std::string("plugin '") + HWNAS_FIXTURE_FAIL_START +
                         "' failed to start: cannot start: license file missing");
  EXPECT_FALSE(is_loaded(HWNAS_FIXTURE_FAIL_START));
}

TEST(PluginLoader, RefusesASpaceNameThatIsTakenAndRegistersNothing) {
  const std::string message = error_of([] { load_plugin(HWNAS_FIXTURE_CLASH); });
  EXPECT_EQ(message, std::string("plugin 'clash' (") + HWNAS_FIXTURE_CLASH +
                         "): search space 'nb201' is already registered by a built-in space; rename the space");
  EXPECT_FALSE(spaces::space_registry().contains("clash_free_space"));  // all or nothing
  EXPECT_FALSE(is_loaded(HWNAS_FIXTURE_CLASH));

  // A clash with another plugin names that plugin.
  const fs::path dir = fs::path(testing::TempDir()) / "hwnas_plugin_copy";
  fs::create_directories(dir);
  const fs::path copy = dir / "libcifar_copy.so";
  fs::copy_file(HWNAS_EXAMPLE_PLUGIN, copy, fs::copy_options::overwrite_existing);
  load_plugin(HWNAS_EXAMPLE_PLUGIN);
  const std::string twice = error_of([&] { load_plugin(copy); });
  EXPECT_CONTAINS(twice, "search space 'cifar_resnet' is already registered by plugin 'cifar_resnet' (" +
                             fs::canonical(HWNAS_EXAMPLE_PLUGIN).string() + ")");
}

TEST(PluginLoader, LoadsSourcesByExtensionFromAColonList) {
  const std::string yaml = std::string(HWNAS_EXAMPLES_DIR) + "/custom_space/tiny_resnet.yaml";
  const auto loaded = load_space_sources(std::string(HWNAS_EXAMPLE_PLUGIN) + "::" + yaml);
  ASSERT_EQ(loaded.size(), 2u);
  EXPECT_EQ(loaded[0].kind, SourceKind::kSharedLibrary);
  EXPECT_EQ(loaded[1].kind, SourceKind::kYaml);
  EXPECT_EQ(loaded[1].name, "tiny_resnet");
  EXPECT_EQ(loaded[1].spaces, std::vector<std::string>{"tiny_resnet"});
  EXPECT_TRUE(spaces::space_registry().contains("tiny_resnet"));
  EXPECT_EQ(std::string(source_kind_name(loaded[1].kind)), "yaml");
}

}  // namespace
}  // namespace hwnas::plugin
