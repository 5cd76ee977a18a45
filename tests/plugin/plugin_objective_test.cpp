// Objective kinds from plugins: registered by the loader, evaluated through a search config, and every
// error path (plugin failure, missing direction, unknown kind or option, a taken kind name). Plus the
// example plugin's resnet_depth objective and its config, and plugins that add no objectives.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "hwnas/core/csv.h"
#include "hwnas/core/error.h"
#include "hwnas/plugin/plugin_loader.h"
#include "hwnas/search/config.h"
#include "hwnas/search/engine.h"
#include "hwnas/search/objective.h"
#include "hwnas/spaces/search_space.h"
#include "error_of.h"

namespace hwnas::plugin {
namespace {

namespace fs = std::filesystem;

using hwnas::test::error_of;

#define EXPECT_CONTAINS(text, part) EXPECT_NE(std::string(text).find(part), std::string::npos) << (text)

fs::path scratch_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const fs::path dir = fs::path(HWNAS_TEST_BINARY_DIR) / "test_scratch" / "plugin" /
                       (std::string(info->test_suite_name()) + "." + info->name());
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

search::SearchResult run(const std::string& yaml, const fs::path& out) {
  search::SearchConfig config = search::parse_config(yaml, "objectives.yaml");
  search::RunOptions options;
  options.out_dir = out;
  options.quiet = true;
  options.handle_signals = false;
  return search::run_search(config, options);
}

// A search over the fixture's digits_space with `objectives` (YAML list items) and a small budget.
std::string digits_config(const std::string& objectives, int evaluations = 30) {
  return "space: digits_space\n"
         "objectives:\n" +
         objectives +
         "strategy: random\n"
         "budget: {evaluations: " +
         std::to_string(evaluations) +
         "}\n"
         "seed: 3\n"
         "threads: 2\n";
}

int digit_sum(const std::string& text) {
  int sum = 0;
  for (char c : text) sum += c - '0';
  return sum;
}

TEST(PluginObjective, LoaderRegistersTheObjectiveKinds) {
  const LoadedPlugin info = load_plugin(HWNAS_FIXTURE_OBJECTIVES);
  EXPECT_EQ(info.name, "objective_fixture");
  EXPECT_EQ(info.version, "2.0");
  EXPECT_EQ(info.spaces, (std::vector<std::string>{"digits_space"}));
  EXPECT_EQ(info.objectives, (std::vector<std::string>{"digit_sum", "exploding"}));
  const auto& registry = search::objective_registry();
  ASSERT_TRUE(registry.contains("digit_sum"));
  EXPECT_EQ(registry.description("digit_sum"),
            "scaled sum of the digits of the string form (plugin objective_fixture, default direction maximize)");
  EXPECT_EQ(registry.description("exploding"), "exploding (plugin objective_fixture, default direction none)");
  // Loading again is idempotent (nothing registered twice).
  EXPECT_EQ(load_plugin(HWNAS_FIXTURE_OBJECTIVES).objectives, info.objectives);
}

TEST(PluginObjective, SearchConfigEvaluatesThroughThePlugin) {
  load_plugin(HWNAS_FIXTURE_OBJECTIVES);
  const fs::path out = scratch_dir();
  const search::SearchResult result =
      run(digits_config("  - {name: score, kind: digit_sum, direction: maximize, scale: 2.5, unavailable_digit: 2}\n"
                        "  - {name: plain, kind: digit_sum}\n"),
          out);
  ASSERT_EQ(result.candidates.size(), 30u);
  ASSERT_EQ(result.objectives.size(), 2u);
  EXPECT_EQ(result.objectives[1].direction, search::Direction::kMaximize);  // the kind's default
  // Expected values from the string form alone: score = 2.5 * digit sum, unscored (NaN) when the first
  // digit is 2; plain = digit sum.
  int unscored = 0;
  for (const auto& c : result.candidates) {
    const int sum = digit_sum(c.arch_string);
    EXPECT_EQ(c.values[1], sum) << c.arch_string;
    if (c.arch_string[0] == '2') {
      EXPECT_TRUE(std::isnan(c.values[0])) << c.arch_string;
      ++unscored;
    } else {
      EXPECT_EQ(c.values[0], 2.5 * sum) << c.arch_string;
    }
  }
  EXPECT_GT(unscored, 0);  // 1/3 of the space starts with 2: 30 random draws without any is ~5e-6 likely
  // The same numbers in candidates.csv; an unscored value is an empty field.
  const core::CsvTable table = core::read_csv(out / "candidates.csv");
  const int arch = table.require_column("arch"), score = table.require_column("score");
  ASSERT_EQ(table.rows.size(), 30u);
  for (const auto& row : table.rows) {
    const std::string& a = row[static_cast<std::size_t>(arch)];
    if (a[0] == '2')
      EXPECT_EQ(row[static_cast<std::size_t>(score)], "") << a;
    else
      EXPECT_EQ(std::stod(row[static_cast<std::size_t>(score)]), 2.5 * digit_sum(a)) << a;
  }
}

TEST(PluginObjective, PluginErrorReachesTheUserAsOneLineNamingPluginAndObjective) {
  load_plugin(HWNAS_FIXTURE_OBJECTIVES);
  const std::string message = error_of(
      [&] { run(digits_config("  - {name: boom, kind: exploding, direction: minimize}\n"), scratch_dir()); });
  EXPECT_EQ(message,
            "plugin 'objective_fixture', objective 'boom' (kind exploding): evaluate failed: model file 'm.bin' is "
            "missing");
}

TEST(PluginObjective, KindWithoutDefaultDirectionNeedsOneInTheConfig) {
  load_plugin(HWNAS_FIXTURE_OBJECTIVES);
  const std::string message =
      error_of([&] { run(digits_config("  - {name: boom, kind: exploding}\n"), scratch_dir()); });
  EXPECT_EQ(message,
            "objectives.yaml:3: plugin 'objective_fixture', objective 'boom' (kind exploding): the kind has no default "
            "direction; set `direction: minimize` or `direction: maximize`");
  const std::string wrong =
      error_of([&] { run(digits_config("  - {name: s, kind: digit_sum, direction: sideways}\n"), scratch_dir()); });
  EXPECT_CONTAINS(wrong, "objectives.yaml:3");
  EXPECT_CONTAINS(wrong, "sideways");
}

TEST(PluginObjective, UnknownKindListsThePluginKinds) {
  load_plugin(HWNAS_FIXTURE_OBJECTIVES);
  const std::string message =
      error_of([&] { run(digits_config("  - {name: s, kind: digit_summ, direction: maximize}\n"), scratch_dir()); });
  EXPECT_CONTAINS(message, "objectives.yaml:3: unknown objective kind 'digit_summ' (valid: ");
  EXPECT_CONTAINS(message, "digit_sum");
  EXPECT_CONTAINS(message, "exploding");
  EXPECT_CONTAINS(message, "params");  // and the built-ins
}

TEST(PluginObjective, OptionsAreCheckedByThePluginBeforeTheSearch) {
  load_plugin(HWNAS_FIXTURE_OBJECTIVES);
  const std::string unknown =
      error_of([&] { run(digits_config("  - {name: s, kind: digit_sum, scal: 2}\n"), scratch_dir()); });
  EXPECT_CONTAINS(unknown, "objectives.yaml:3: plugin 'objective_fixture', objective 's' (kind digit_sum): ");
  EXPECT_CONTAINS(unknown, "unknown option 'scal' (valid: scale, unavailable_digit)");
  const std::string bad_value =
      error_of([&] { run(digits_config("  - {name: s, kind: digit_sum, scale: fast}\n"), scratch_dir()); });
  EXPECT_CONTAINS(bad_value, "objective 's' (kind digit_sum): ");
  EXPECT_CONTAINS(bad_value, "scale");
  EXPECT_CONTAINS(bad_value, "fast");
  // Options with characters JSON must escape arrive intact: an out-of-range value is echoed back.
  const std::string escaped = error_of(
      [&] { run(digits_config("  - {name: s, kind: digit_sum, unavailable_digit: '\"q\\\\\"'}\n"), scratch_dir()); });
  EXPECT_CONTAINS(escaped, "option 'unavailable_digit' is '\"q\\\\\"'");
}

TEST(PluginObjective, RefusesAKindNameThatIsTakenAndRegistersNothing) {
  const std::string message = error_of([] { load_plugin(HWNAS_FIXTURE_OBJECTIVE_CLASH); });
  EXPECT_EQ(message, std::string("plugin 'objective_clash' (") + HWNAS_FIXTURE_OBJECTIVE_CLASH +
                         "): objective kind 'flops' is already registered by a built-in objective kind; rename the "
                         "kind");
  EXPECT_FALSE(search::objective_registry().contains("clash_free_kind"));
  EXPECT_FALSE(spaces::space_registry().contains("clash_objective_space"));
}

TEST(PluginObjective, PluginsWithoutObjectivesStillLoad) {
  // A current plugin that declares no objectives.
  EXPECT_TRUE(load_plugin(HWNAS_FIXTURE_C_PLUGIN).objectives.empty());
  // A plugin of the first revision of ABI v1: its table ends before the objective members (and it
  // scribbles on them, which the host must ignore).
  const LoadedPlugin old = load_plugin(HWNAS_FIXTURE_FIRST_REVISION);
  EXPECT_EQ(old.spaces, (std::vector<std::string>{"c_space_r1"}));
  EXPECT_TRUE(old.objectives.empty());
  EXPECT_EQ(spaces::make_space("c_space_r1")->to_string(spaces::Arch{{1, 2}}), "c:12");
}

// The example plugin's resnet_depth: weighted layers as He et al. count them (6n+2 for n blocks per stage:
// the stem conv, two 3x3 convs per block, the classifier), with count_projections the 1x1 projection
// shortcuts too (a stage whose first block changes the width or strides; the stem has 16 channels, the
// strides are 1, 2, 2).
TEST(PluginObjective, ExampleResNetDepthCountsWeightedLayers) {
  load_plugin(HWNAS_EXAMPLE_PLUGIN);
  const auto resnet = spaces::make_space("cifar_resnet");
  const auto plain = spaces::make_space("cifar_plainnet");
  const auto depth_of = [](const spaces::SearchSpace& space, const std::string& arch, bool projections) {
    search::ObjectiveSpec spec;
    spec.name = "depth";
    spec.kind = "resnet_depth";
    if (projections) spec.options.set("count_projections", "true");
    const auto objective = search::make_objective(spec, {space, {}});
    EXPECT_EQ(objective->direction(), search::Direction::kMaximize);
    return objective->evaluate({space.from_string(arch)}, space).at(0);
  };
  EXPECT_EQ(depth_of(*resnet, "d3,3,3:w16,32,64", false), 20);  // ResNet-20
  EXPECT_EQ(depth_of(*resnet, "d1,1,1:w8,16,32", false), 8);    // 2 + 2 * 3
  EXPECT_EQ(depth_of(*resnet, "d3,3,3:w16,32,64", true), 22);   // stages 2 and 3 stride: 2 projections
  EXPECT_EQ(depth_of(*resnet, "d3,3,3:w24,32,64", true), 23);   // 16 -> 24 in stage 1 adds a third
  EXPECT_EQ(depth_of(*plain, "d3,3,3:w24,32,64", true), 20);    // no shortcuts, nothing to add
  EXPECT_EQ(depth_of(*plain, "d2,3,1:w8,48,96", false), 14);    // 2 + 2 * 6
  // It scores only the example's spaces.
  search::ObjectiveSpec spec;
  spec.name = "depth";
  spec.kind = "resnet_depth";
  const auto nb201 = spaces::make_space("nb201");
  EXPECT_EQ(error_of([&] { search::make_objective(spec, {*nb201, {}}); }),
            "plugin 'cifar_resnet', objective 'depth' (kind resnet_depth): resnet_depth scores cifar_resnet and "
            "cifar_plainnet architectures, not 'nb201'");
}

TEST(PluginObjective, ExampleConfigRunsWithThePluginObjective) {
  load_plugin(HWNAS_EXAMPLE_PLUGIN);
  search::SearchConfig config = search::load_config(fs::path(HWNAS_EXAMPLES_DIR) / "custom_space/depth_search.yaml");
  config.budget.evaluations = 60;  // the example's 200 take longer than a unit test should
  search::RunOptions options;
  options.out_dir = scratch_dir();
  options.quiet = true;
  options.handle_signals = false;
  const search::SearchResult result = search::run_search(config, options);
  ASSERT_EQ(result.candidates.size(), 60u);
  ASSERT_EQ(result.objective_names(), (std::vector<std::string>{"depth", "params"}));
  // Every depth from the string form "d<a>,<b>,<c>:w...": 2 + 2 (a + b + c).
  for (const auto& c : result.candidates) {
    const std::string& s = c.arch_string;
    ASSERT_GE(s.size(), 6u);
    EXPECT_EQ(c.values[0], 2 + 2 * ((s[1] - '0') + (s[3] - '0') + (s[5] - '0'))) << s;
  }
  ASSERT_TRUE(result.best.has_value());
  EXPECT_LE(result.candidates[*result.best].values[1], 0.2);  // best is feasible under params <= 0.2
}

}  // namespace
}  // namespace hwnas::plugin
