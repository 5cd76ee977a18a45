// Config parsing: a valid file gives the expected structs; unknown keys and wrong values are errors
// naming the key and its line.

#include <gtest/gtest.h>

#include "hwnas/core/error.h"
#include "hwnas/search/config.h"
#include "test_util.h"

namespace hwnas::search {
namespace {

using test::error_of;

// Line numbers below count from 1 at `space:`.
const char* kValid = R"(space: nb201
space_options: {dataset: cifar100}
objectives:
  - name: accuracy
    kind: table
    direction: maximize
    file: tables/nb201_accuracy.csv
    column: cifar100_test_acc
  - {name: latency, kind: table, direction: min, file: tables/nb201_latency.csv, column: pixel3_ms}
constraints: ["latency <= 5.5", "accuracy >= 60"]
strategy:
  name: evolution
  options: {population_size: 32, sample_size: 8}
budget: {evaluations: 1000, seconds: 60}
seed: 7
threads: 3
output: runs/x
plugins: [libfoo.so, /opt/bar.so]
target: pixel3
)";

TEST(Config, ValidFileGivesStructs) {
  const SearchConfig c = parse_config(kValid, "valid.yaml", "/base");
  EXPECT_EQ(c.space, "nb201");
  EXPECT_EQ(c.space_line, 1);
  EXPECT_EQ(c.space_options, (spaces::SpaceOptions{{"dataset", "cifar100"}}));
  ASSERT_EQ(c.objectives.size(), 2u);
  EXPECT_EQ(c.objectives[0].name, "accuracy");
  EXPECT_EQ(c.objectives[0].kind, "table");
  EXPECT_EQ(c.objectives[0].direction, Direction::kMaximize);
  EXPECT_EQ(c.objectives[0].line, 4);
  EXPECT_EQ(c.objectives[0].options.get_string("column", ""), "cifar100_test_acc");
  EXPECT_EQ(c.objectives[0].options.entries().at("file").line, 7);
  EXPECT_EQ(c.objectives[1].direction, Direction::kMinimize);  // "min" is accepted
  EXPECT_EQ(c.objectives[1].options.get_string("column", ""), "pixel3_ms");
  ASSERT_EQ(c.constraints.size(), 2u);
  EXPECT_EQ(c.constraints[0].objective, "latency");
  EXPECT_EQ(c.constraints[0].comparison, Comparison::kAtMost);
  EXPECT_DOUBLE_EQ(c.constraints[0].bound, 5.5);
  EXPECT_EQ(c.constraints[1].comparison, Comparison::kAtLeast);
  EXPECT_EQ(c.constraints[1].line, 10);
  EXPECT_EQ(c.strategy.name, "evolution");
  EXPECT_EQ(c.strategy.options.get_int("population_size", 0), 32);
  EXPECT_EQ(c.strategy.options.get_int("sample_size", 0), 8);
  EXPECT_EQ(c.budget.evaluations, 1000u);
  EXPECT_DOUBLE_EQ(c.budget.seconds, 60);
  EXPECT_EQ(c.seed, 7u);
  EXPECT_EQ(c.threads, 3u);
  EXPECT_EQ(c.output, "runs/x");
  EXPECT_EQ(c.plugins, (std::vector<std::string>{"libfoo.so", "/opt/bar.so"}));
  EXPECT_EQ(c.target, "pixel3");
  EXPECT_EQ(c.base_dir, "/base");
}

TEST(Config, DefaultsAndShorthand) {
  const SearchConfig c = parse_config(
      "space: toy\nobjectives: [{name: f, kind: flops}]\nstrategy: random\nbudget: {seconds: 2.5}\n");
  EXPECT_EQ(c.strategy.name, "random");
  EXPECT_TRUE(c.strategy.options.empty());
  EXPECT_FALSE(c.objectives[0].direction.has_value());
  EXPECT_EQ(c.budget.evaluations, 0u);
  EXPECT_EQ(c.seed, 0u);
  EXPECT_EQ(c.threads, 0u);
  EXPECT_TRUE(c.constraints.empty());
  EXPECT_TRUE(c.plugins.empty());
}

TEST(Config, YamlRoundTripGivesTheSameConfig) {
  const SearchConfig a = parse_config(kValid, "valid.yaml", "/base");
  const std::string yaml = to_yaml(a);
  const SearchConfig b = parse_config(yaml, "again.yaml");
  EXPECT_EQ(to_yaml(b), yaml);
  EXPECT_EQ(result_fingerprint(a), result_fingerprint(b));
  EXPECT_EQ(b.base_dir, "/base");
  EXPECT_EQ(b.constraints, a.constraints);
  EXPECT_EQ(b.budget.evaluations, a.budget.evaluations);
  EXPECT_EQ(b.plugins, a.plugins);
}

TEST(Config, FingerprintIgnoresBudgetThreadsAndOutput) {
  SearchConfig a = parse_config(kValid, "valid.yaml");
  SearchConfig b = a;
  b.budget.evaluations = 5;
  b.threads = 1;
  b.output = "elsewhere";
  EXPECT_EQ(result_fingerprint(a), result_fingerprint(b));
  b.seed = 8;
  EXPECT_NE(result_fingerprint(a), result_fingerprint(b));
}

TEST(Config, LoadFileSetsBaseDirToItsDirectory) {
  const auto dir = test::scratch_dir();
  test::write_text(dir / "c.yaml", kValid);
  const SearchConfig c = load_config(dir / "c.yaml");
  EXPECT_EQ(c.base_dir, std::filesystem::absolute(dir));
  EXPECT_EQ(c.source, (dir / "c.yaml").string());
  EXPECT_NE(error_of([&] { load_config(dir / "missing.yaml"); }).find("missing.yaml"), std::string::npos);
}

TEST(Config, ABinaryFileIsRefusedAsNotYamlNotParsedIntoGarbage) {
  using namespace std::string_literals;  // keeps the NULs inside the string
  const std::string sqlite_header = "SQLite format 3\0\x10\0\x01\x01\0@  "s;
  EXPECT_EQ(error_of([&] { parse_config(sqlite_header, "store.db"); }),
            "store.db: not a YAML text file (a NUL byte on line 1)");
}

// Each case: YAML text, then fragments its error must contain (the key or value and "file:line").
struct BadCase {
  const char* yaml;
  std::vector<std::string> expected;
};

class ConfigErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(ConfigErrors, NameKeyAndLine) {
  const std::string message = error_of([&] { parse_config(GetParam().yaml, "bad.yaml"); });
  ASSERT_FALSE(message.empty()) << "no error for:\n" << GetParam().yaml;
  for (const auto& fragment : GetParam().expected)
    EXPECT_NE(message.find(fragment), std::string::npos) << "'" << fragment << "' not in: " << message;
}

constexpr const char* kHead = "space: toy\nobjectives: [{name: a, kind: flops}]\nstrategy: random\n";

INSTANTIATE_TEST_SUITE_P(
    Cases, ConfigErrors,
    ::testing::Values(
        // Unknown top-level key on line 4 (after the three lines of kHead), valid keys listed.
        BadCase{"space: toy\nobjectives: [{name: a, kind: flops}]\nstrategy: random\nbudgett: {evaluations: 3}\n",
                {"bad.yaml:4:", "unknown key 'budgett'", "budget"}},
        // Unknown key inside budget, line 5.
        BadCase{"space: toy\nobjectives: [{name: a, kind: flops}]\nstrategy: random\nbudget:\n  evaluation: 5\n",
                {"bad.yaml:5:", "'evaluation'", "evaluations"}},
        // Unknown key inside strategy, line 6.
        BadCase{"space: toy\nobjectives: [{name: a, kind: flops}]\nbudget: {evaluations: 3}\nstrategy:\n  name: random\n  option: {}\n",
                {"bad.yaml:6:", "'option'"}},
        // Wrong types / values, each on line 4 or 5.
        BadCase{"space: toy\nobjectives: [{name: a, kind: flops}]\nstrategy: random\nbudget: {evaluations: 3}\nseed: abc\n",
                {"bad.yaml:5:", "seed", "abc", "integer"}},
        BadCase{"space: toy\nobjectives: [{name: a, kind: flops}]\nstrategy: random\nbudget: {evaluations: -3}\n",
                {"bad.yaml:4:", "budget.evaluations", "-3"}},
        BadCase{"space: toy\nobjectives: [{name: a, kind: flops}]\nstrategy: random\nbudget: {evaluations: 3}\nthreads: [1, 2]\n",
                {"bad.yaml:5:", "threads", "a list"}},
        BadCase{"space: toy\nobjectives: [{name: a, kind: flops}]\nstrategy: random\nbudget: {seconds: soon}\n",
                {"bad.yaml:4:", "budget.seconds", "soon", "number"}},
        BadCase{"space: toy\nobjectives: [{name: a, kind: flops}]\nstrategy: random\nbudget: {evaluations: 0}\n",
                {"bad.yaml:4:", "evaluations > 0 or seconds > 0"}},
        BadCase{"space: toy\nobjectives: flops\nstrategy: random\nbudget: {evaluations: 3}\n",
                {"bad.yaml:2:", "objectives", "a list"}},
        BadCase{"space: toy\nobjectives:\n  - {name: a, kind: flops, direction: sideways}\nstrategy: random\nbudget: {evaluations: 3}\n",
                {"bad.yaml:3:", "sideways", "minimize, maximize"}},
        BadCase{"space: toy\nobjectives:\n  - {name: a, kind: flops}\n  - {name: a, kind: params}\nstrategy: random\nbudget: {evaluations: 3}\n",
                {"bad.yaml:4:", "'a' is used twice"}},
        BadCase{"space: toy\nobjectives:\n  - {kind: flops}\nstrategy: random\nbudget: {evaluations: 3}\n",
                {"bad.yaml:3:", "no 'name'"}},
        BadCase{"space: toy\nobjectives:\n  - {name: 'a b', kind: flops}\nstrategy: random\nbudget: {evaluations: 3}\n",
                {"bad.yaml:3:", "'a b'"}},
        BadCase{"space: toy\nobjectives: [{name: a, kind: flops}]\nstrategy: random\nbudget: {evaluations: 3}\nconstraints:\n  - a < 5\n",
                {"bad.yaml:6:", "'a < 5'", "<="}},
        BadCase{"space: toy\nobjectives: [{name: a, kind: flops}]\nstrategy: random\nbudget: {evaluations: 3}\nconstraints: [latency <= 5]\n",
                {"bad.yaml:5:", "latency <= 5", "objectives: a"}},
        BadCase{"space: toy\nobjectives: [{name: a, kind: flops}]\nstrategy: random\nbudget: {evaluations: 3}\nconstraints: [a <= fast]\n",
                {"bad.yaml:5:", "'fast'"}},
        BadCase{"space: toy\nspace: toy\n", {"bad.yaml:2:", "'space' is given twice"}},
        BadCase{"space: toy\nobjectives: [{name: a, kind: flops}]\nstrategy: {name: random\n",
                {"bad.yaml:", "invalid YAML"}},
        BadCase{"objectives: [{name: a, kind: flops}]\nstrategy: random\nbudget: {evaluations: 3}\n",
                {"bad.yaml", "missing key 'space'"}},
        BadCase{"space: toy\nstrategy: random\nbudget: {evaluations: 3}\n", {"bad.yaml", "objectives"}},
        BadCase{"space: toy\nobjectives: [{name: a, kind: flops}]\nbudget: {evaluations: 3}\n",
                {"bad.yaml", "missing key 'strategy'"}},
        BadCase{"- space: toy\n", {"bad.yaml", "must be a map"}}));

TEST(Config, HeadIsValidOnItsOwnWithABudget) {  // the error cases above differ from a valid file by one key
  EXPECT_NO_THROW(parse_config(std::string(kHead) + "budget: {evaluations: 3}\n", "ok.yaml"));
}

}  // namespace
}  // namespace hwnas::search
