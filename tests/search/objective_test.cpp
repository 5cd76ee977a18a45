// Objectives: FLOPs/params from the graph, CSV table lookups (toy tables written here and the shipped
// NB201/FBNet tables), the kind registry and option checking.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>

#include "hwnas/core/error.h"
#include "hwnas/predictors/proxies/proxy_table.h"
#include "hwnas/predictors/proxies/zero_cost_proxies.h"
#include "hwnas/search/cost_objective.h"
#include "hwnas/search/objective.h"
#include "hwnas/search/table_objective.h"
#include "proxy_cross_host_tolerance.h"
#include "test_util.h"
#include "toy_space.h"

namespace hwnas::search {
namespace {

using test::error_of;
using test::ToySpace;

ObjectiveSpec spec(const std::string& name, const std::string& kind, std::optional<Direction> direction,
                   std::map<std::string, std::string> options, const std::string& source = "t.yaml") {
  ObjectiveSpec s;
  s.name = name;
  s.kind = kind;
  s.direction = direction;
  s.options = core::Options(fmt::format("objective '{}'", name), source);
  int line = 10;
  for (const auto& [k, v] : options) s.options.set(k, v, line++);
  return s;
}

TEST(CostObjective, FlopsAndParamsOfToyGraphsByHand) {
  // Toy graph: input 1x3x8x8, then eight 1x1 convs (no bias), conv i with 2(a_i+1) outputs; a 1x1 conv
  // costs 2 * Cin * Cout * 64 FLOPs and Cin * Cout parameters.
  //   00000000: 3->2 then 2->2 x7: FLOPs 2*3*2*64 + 7*2*2*2*64 = 768 + 3584 = 4352; params 6 + 7*4 = 34.
  //   33333333: 3->8 then 8->8 x7: FLOPs 2*3*8*64 + 7*2*8*8*64 = 3072 + 57344 = 60416; params 24 + 448 = 472.
  const ToySpace space;
  const std::vector<spaces::Arch> archs{space.from_string("00000000"), space.from_string("33333333")};
  const auto flops = CostObjective("f", CostKind::kFlops).evaluate(archs, space);
  EXPECT_DOUBLE_EQ(flops[0], 4352 / 1e6);
  EXPECT_DOUBLE_EQ(flops[1], 60416 / 1e6);
  const auto params = CostObjective("p", CostKind::kParams).evaluate(archs, space);
  EXPECT_DOUBLE_EQ(params[0], 34 / 1e6);
  EXPECT_DOUBLE_EQ(params[1], 472 / 1e6);
  // FLOPs scale with the batch, parameters do not.
  EXPECT_DOUBLE_EQ(CostObjective("f", CostKind::kFlops, Direction::kMinimize, 4).evaluate(archs, space)[0], 4 * 4352 / 1e6);
}

TEST(CostObjective, RegistryBuildsItWithDefaultsAndChecksOptions) {
  const ToySpace space;
  const ObjectiveContext context{space, {}};
  auto f = make_objective(spec("cost", "flops", std::nullopt, {{"batch", "2"}}), context);
  EXPECT_EQ(f->name(), "cost");
  EXPECT_EQ(f->direction(), Direction::kMinimize);
  EXPECT_DOUBLE_EQ(f->evaluate({space.from_string("00000000")}, space)[0], 2 * 4352 / 1e6);
  // Unknown option: named with its line (10: the first option line of spec()).
  const std::string unknown = error_of([&] { make_objective(spec("cost", "flops", std::nullopt, {{"bach", "2"}}), context); });
  EXPECT_NE(unknown.find("unknown option 'bach'"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("t.yaml:10"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("batch"), std::string::npos) << unknown;  // the valid key is listed
  const std::string bad = error_of([&] { make_objective(spec("cost", "flops", std::nullopt, {{"batch", "two"}}), context); });
  EXPECT_NE(bad.find("'two'"), std::string::npos) << bad;
  EXPECT_NE(bad.find("integer"), std::string::npos) << bad;
}

TEST(ObjectiveRegistry, UnknownKindListsTheValidOnes) {
  const ToySpace space;
  const std::string message = error_of([&] { make_objective(spec("x", "flopz", std::nullopt, {}), {space, {}}); });
  EXPECT_NE(message.find("flopz"), std::string::npos);
  for (const char* kind : {"flops", "params", "table"}) EXPECT_NE(message.find(kind), std::string::npos) << message;
}

TEST(ObjectiveRegistry, RunTimeRegisteredKindsAreUsable) {
  test::register_toy();  // adds "toy_latency" and "toy_accuracy" the way a plugin or predictor module would
  const ToySpace space;
  auto latency = make_objective(spec("lat", "toy_latency", std::nullopt, {}), {space, {}});
  // latency(00000001) = sum_i (1 + a_i)(1 + i/8) = 11.5 + (1 + 7/8) = 13.375.
  EXPECT_DOUBLE_EQ(latency->evaluate({space.from_string("00000001")}, space)[0], 13.375);
}

class ToyTable : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::scratch_dir();
    // Quoted key and a column between; a row without a value; an index-keyed copy.
    test::write_text(dir_ / "toy.csv",
                     "arch,other,score\n"
                     "00000000,x,1.5\n"
                     "\"33333333\",y,2.5\n"
                     "00000001,z,\n");
    test::write_text(dir_ / "indexed.csv", "idx,score\n0,10\n1,11\n65535,12\n");
  }
  std::unique_ptr<Objective> make(std::map<std::string, std::string> options) {
    return make_objective(spec("score", "table", Direction::kMaximize, std::move(options)), {space_, dir_});
  }
  ToySpace space_;
  std::filesystem::path dir_;
};

TEST_F(ToyTable, LooksUpValuesByArchString) {
  auto t = make({{"file", "toy.csv"}, {"column", "score"}});  // relative to the base dir
  const auto v = t->evaluate({space_.from_string("33333333"), space_.from_string("00000000")}, space_);
  EXPECT_EQ(v, (std::vector<double>{2.5, 1.5}));
  EXPECT_EQ(dynamic_cast<TableObjective&>(*t).size(), 2u);  // the empty row holds no value
}

TEST_F(ToyTable, MissingArchIsAnErrorByDefaultNamingArchAndFile) {
  auto t = make({{"file", "toy.csv"}, {"column", "score"}});
  const std::string message = error_of([&] { t->evaluate({space_.from_string("00000001")}, space_); });
  EXPECT_NE(message.find("00000001"), std::string::npos) << message;
  EXPECT_NE(message.find("toy.csv"), std::string::npos) << message;
  EXPECT_NE(message.find("missing: unavailable"), std::string::npos) << message;
}

TEST_F(ToyTable, MissingArchIsUnavailableWhenAsked) {
  auto t = make({{"file", "toy.csv"}, {"column", "score"}, {"missing", "unavailable"}});
  const auto v = t->evaluate({space_.from_string("00000001"), space_.from_string("00000000")}, space_);
  EXPECT_TRUE(std::isnan(v[0]));
  EXPECT_EQ(v[1], 1.5);
}

TEST_F(ToyTable, IndexKeysFollowEnumerationOrder) {
  // Index i is the mixed-radix number of the genes, gene 0 most significant: 1 -> 00000001,
  // 65535 = 4^8 - 1 -> 33333333.
  auto t = make({{"file", "indexed.csv"}, {"column", "score"}, {"key", "idx"}, {"key_format", "index"}});
  const auto v = t->evaluate({space_.from_string("00000000"), space_.from_string("00000001"),
                              space_.from_string("33333333")}, space_);
  EXPECT_EQ(v, (std::vector<double>{10, 11, 12}));
}

TEST_F(ToyTable, BadTablesAreErrorsNamingFileAndLine) {
  test::write_text(dir_ / "dup.csv", "arch,score\n00000000,1\n00000002,2\n00000000,3\n");
  std::string m = error_of([&] { make({{"file", "dup.csv"}, {"column", "score"}}); });
  EXPECT_NE(m.find("dup.csv:4"), std::string::npos) << m;
  EXPECT_NE(m.find("line 2"), std::string::npos) << m;
  test::write_text(dir_ / "nan.csv", "arch,score\n00000000,fast\n");
  m = error_of([&] { make({{"file", "nan.csv"}, {"column", "score"}}); });
  EXPECT_NE(m.find("nan.csv:2"), std::string::npos) << m;
  EXPECT_NE(m.find("'fast'"), std::string::npos) << m;
  test::write_text(dir_ / "key.csv", "arch,score\n0000000x,1\n");
  m = error_of([&] { make({{"file", "key.csv"}, {"column", "score"}}); });
  EXPECT_NE(m.find("key.csv:2"), std::string::npos) << m;
  test::write_text(dir_ / "short.csv", "arch,score\n00000000\n");
  m = error_of([&] { make({{"file", "short.csv"}, {"column", "score"}}); });
  EXPECT_NE(m.find("short.csv:2"), std::string::npos) << m;
  m = error_of([&] { make({{"file", "toy.csv"}, {"column", "scor"}}); });
  EXPECT_NE(m.find("no column 'scor'"), std::string::npos) << m;
  EXPECT_NE(m.find("score"), std::string::npos) << m;
  m = error_of([&] { make({{"file", "nowhere.csv"}, {"column", "score"}}); });
  EXPECT_NE(m.find("nowhere.csv"), std::string::npos) << m;
  EXPECT_NE(m.find("not found"), std::string::npos) << m;
  m = error_of([&] { make({{"column", "score"}}); });
  EXPECT_NE(m.find("missing required option 'file'"), std::string::npos) << m;
  m = error_of([&] { make_objective(spec("score", "table", std::nullopt, {{"file", "toy.csv"}, {"column", "score"}}), {space_, dir_}); });
  EXPECT_NE(m.find("direction"), std::string::npos) << m;
}

// The shipped tables: values read off the CSV files by eye (first data rows).
TEST(ShippedTables, Nb201AccuracyAndPixel3Latency) {
  auto space = spaces::make_space("nb201");
  const ObjectiveContext context{*space, {}};
  auto acc = make_objective(spec("accuracy", "table", Direction::kMaximize,
                                 {{"file", "tables/nb201_accuracy.csv"}, {"column", "cifar10_test_acc"}}), context);
  auto lat = make_objective(spec("latency", "table", Direction::kMinimize,
                                 {{"file", "tables/nb201_latency.csv"}, {"column", "pixel3_ms"}}), context);
  EXPECT_EQ(dynamic_cast<TableObjective&>(*acc).size(), 15625u);
  EXPECT_EQ(dynamic_cast<TableObjective&>(*lat).size(), 15625u);
  // Row arch_index 1 of both files.
  const spaces::Arch a = space->from_string(
      "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|");
  EXPECT_DOUBLE_EQ(acc->evaluate({a}, *space)[0], 93.66000000000001);
  EXPECT_DOUBLE_EQ(lat->evaluate({a}, *space)[0], 17.2381);
}

TEST(ShippedTables, FbnetLatencyCoversOnlyItsSample) {
  auto space = spaces::make_space("fbnet");
  auto lat = make_objective(spec("latency", "table", Direction::kMinimize,
                                 {{"file", "tables/fbnet_latency.csv"}, {"column", "pixel3_ms"}, {"missing", "unavailable"}}),
                            {*space, {}});
  EXPECT_EQ(dynamic_cast<TableObjective&>(*lat).size(), 5000u);
  const auto v = lat->evaluate({space->from_string("7818488874147327324245"),    // sample_index 0
                                space->from_string("0000000000000000000000")}, *space);  // not in the sample
  EXPECT_DOUBLE_EQ(v[0], 17.55774545);
  EXPECT_TRUE(std::isnan(v[1]));
}

TEST(ProxyObjective, ScoresNaswotTrainingFreeAndMarksDisconnectedCellsUnavailable) {
  auto space = spaces::make_space("nb201");
  auto score = make_objective(spec("score", "proxy", std::nullopt, {{"proxy", "naswot"}, {"batch", "8"}}), {*space, {}});
  EXPECT_EQ(score->direction(), Direction::kMaximize);
  EXPECT_FALSE(score->thread_safe());
  const spaces::Arch convs = space->from_string(
      "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|");
  // Every path from the cell input to its output is `none`: the logits ignore the input entirely, so
  // every ReLU pattern is the same for all samples and K is singular (naswot -inf).
  const spaces::Arch cut = space->from_string("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|");
  const auto v = score->evaluate({convs, cut}, *space);
  EXPECT_TRUE(std::isfinite(v[0]));
  EXPECT_TRUE(std::isnan(v[1]));
  EXPECT_EQ(score->evaluate({convs}, *space)[0], v[0]);  // seeded: the same value every time
  const std::string bad = error_of([&] { make_objective(spec("s", "proxy", std::nullopt, {{"proxy", "iq"}}), {*space, {}}); });
  EXPECT_NE(bad.find("naswot"), std::string::npos) << bad;  // lists the valid proxies
}

// Sets an environment variable for the scope and restores it after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) ::setenv(name_, old_->c_str(), 1);
    else ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(ProxyObjective, LooksUpTheShippedTableAtItsBatchAndSeedAndComputesOtherwise) {
  auto space = spaces::make_space("nb201");
  // Light cells, so that computing their proxies at batch 64 stays quick.
  const spaces::Arch tabled = space->from_string(
      "|avg_pool_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|nor_conv_3x3~0|none~1|skip_connect~2|");
  const spaces::Arch other = space->from_string(
      "|skip_connect~0|+|nor_conv_1x1~0|skip_connect~1|+|avg_pool_3x3~0|skip_connect~1|nor_conv_1x1~2|");
  const auto computed = [&](const spaces::Arch& arch) {
    predictors::ProxyOptions options;  // the tables' batch and seed
    options.proxies = {"synflow"};
    return predictors::compute_proxies(space->to_graph(arch, 1), options).at("synflow");
  };
  const auto synflow = [&](std::map<std::string, std::string> options) {
    options["proxy"] = "synflow";
    return make_objective(spec("s", "proxy", std::nullopt, std::move(options)), {*space, {}});
  };

  // The shipped table answers at its settings, with the value computing it gives (on this CPU, to the
  // precision synflow has across CPUs).
  auto shipped = synflow({});
  const double here = computed(tabled);
  EXPECT_NEAR(shipped->evaluate({tabled}, *space)[0], here,
              hwnas::test::proxy_cross_host_tolerance("synflow") * std::max(1.0, std::abs(here)));
  EXPECT_NE(shipped->description().find("precomputed"), std::string::npos) << shipped->description();

  // A table planted in another data directory shows that the lookup is what answers.
  const auto dir = test::scratch_dir();
  std::filesystem::create_directories(dir / "proxies");
  test::write_text(dir / "proxies" / "nb201.csv", "arch,synflow\n" + space->to_string(tabled) + ",12345.5\n");
  const ScopedEnv data("HWNAS_DATA_DIR", dir.string());
  const auto planted = synflow({})->evaluate({tabled, other}, *space);
  EXPECT_EQ(planted[0], 12345.5);
  EXPECT_EQ(planted[1], computed(other));  // not in the table: computed
  // Another batch or seed than the table's computes every candidate (synflow runs at batch 1 whatever
  // the batch, so the value is the same); so does a proxy the table lacks.
  auto other_batch = synflow({{"batch", "32"}});
  EXPECT_EQ(other_batch->evaluate({tabled}, *space)[0], computed(tabled));
  EXPECT_EQ(other_batch->description().find("precomputed"), std::string::npos);
  EXPECT_NE(synflow({{"seed", "1"}})->evaluate({tabled}, *space)[0], 12345.5);
  auto naswot = make_objective(spec("s", "proxy", std::nullopt, {{"proxy", "naswot"}}), {*space, {}});
  EXPECT_TRUE(std::isfinite(naswot->evaluate({tabled}, *space)[0]));
}

}  // namespace
}  // namespace hwnas::search
