// Output files: they exist, parse, and agree with the search result and with brute force.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "hwnas/core/csv.h"
#include "hwnas/search/engine.h"
#include "hwnas/search/pareto.h"
#include "hwnas/search/report.h"
#include "test_util.h"
#include "toy_config.h"
#include "xml_check.h"

namespace hwnas::search {
namespace {

using test::read_text;

TEST(XmlCheck, CatchesMalformedDocuments) {  // the checker itself must be able to fail
  EXPECT_EQ(test::xml_problem("<svg><g a=\"1\"><circle r=\"2\"/></g></svg>"), "");
  EXPECT_NE(test::xml_problem("<svg><g></svg>"), "");
  EXPECT_NE(test::xml_problem("<svg a=1></svg>"), "");
  EXPECT_NE(test::xml_problem("<svg>a < b</svg>"), "");
  EXPECT_NE(test::xml_problem("<svg>R&D</svg>"), "");
  EXPECT_NE(test::xml_problem("<svg/><svg/>"), "");
}

class Outputs : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    test::ToyRun run;
    run.strategy = "nsga2";
    run.evaluations = 300;
    config_ = new SearchConfig(test::toy_config(run));
    RunOptions o;
    o.out_dir = std::filesystem::path(HWNAS_TEST_BINARY_DIR) / "test_scratch" / "search" / "Outputs";
    std::filesystem::remove_all(o.out_dir);
    o.quiet = true;
    result_ = new SearchResult(run_search(*config_, o));
  }
  static void TearDownTestSuite() {
    delete result_;
    delete config_;
  }
  static SearchConfig* config_;
  static SearchResult* result_;
};
SearchConfig* Outputs::config_ = nullptr;
SearchResult* Outputs::result_ = nullptr;

TEST_F(Outputs, AllFilesExist) {
  for (const char* f : {"config.yaml", "candidates.csv", "pareto.csv", "pareto.json", "best.json", "pareto.svg",
                        "checkpoint.json"})
    EXPECT_TRUE(std::filesystem::exists(result_->out_dir / f)) << f;
}

TEST_F(Outputs, CandidatesCsvHasOneRowPerEvaluationInOrder) {
  const core::CsvTable t = core::read_csv(result_->out_dir / "candidates.csv");
  EXPECT_EQ(t.header, (std::vector<std::string>{"index", "arch", "accuracy", "latency", "feasible", "violation"}));
  ASSERT_EQ(t.rows.size(), 300u);
  const test::ToySpace space;
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    const auto& row = t.rows[i];
    EXPECT_EQ(row[0], std::to_string(i));
    const spaces::Arch arch = space.from_string(row[1]);
    EXPECT_EQ(arch, result_->candidates[i].arch);
    // Values are written exactly (shortest round-trip form) and are the toy functions of the arch.
    EXPECT_EQ(std::stod(row[2]), test::toy_accuracy(arch));
    EXPECT_EQ(std::stod(row[3]), test::toy_latency(arch));
    EXPECT_EQ(row[4], test::toy_latency(arch) <= 25 ? "1" : "0");
  }
}

TEST_F(Outputs, ParetoCsvIsTheFeasibleNonDominatedSetOfTheCandidates) {
  // Brute force from candidates.csv alone: feasible rows not dominated by another feasible row
  // (maximize accuracy, minimize latency).
  const core::CsvTable c = core::read_csv(result_->out_dir / "candidates.csv");
  std::set<std::string> expected;
  for (const auto& a : c.rows) {
    if (a[4] != "1") continue;
    bool dominated = false;
    for (const auto& b : c.rows)
      if (b[4] == "1" && dominates({-std::stod(b[2]), std::stod(b[3])}, {-std::stod(a[2]), std::stod(a[3])}))
        dominated = true;
    if (!dominated) expected.insert(a[0]);
  }
  const core::CsvTable p = core::read_csv(result_->out_dir / "pareto.csv");
  EXPECT_EQ(p.header, (std::vector<std::string>{"index", "arch", "accuracy", "latency"}));
  std::set<std::string> got;
  for (const auto& row : p.rows) got.insert(row[0]);
  EXPECT_EQ(got, expected);
  EXPECT_EQ(p.rows.size(), result_->pareto.size());
  ASSERT_FALSE(p.rows.empty());
  for (std::size_t k = 1; k < p.rows.size(); ++k)  // best accuracy first
    EXPECT_GE(std::stod(p.rows[k - 1][2]), std::stod(p.rows[k][2]));
}

TEST_F(Outputs, JsonFilesParseAndAgree) {
  const auto front = nlohmann::json::parse(read_text(result_->out_dir / "pareto.json"));
  EXPECT_EQ(front["objectives"][0]["name"], "accuracy");
  EXPECT_EQ(front["objectives"][0]["direction"], "maximize");
  EXPECT_EQ(front["constraints"][0], "latency <= 25");
  ASSERT_EQ(front["front"].size(), result_->pareto.size());
  const auto best = nlohmann::json::parse(read_text(result_->out_dir / "best.json"));
  ASSERT_TRUE(best["best"].is_object());
  // The best is the most accurate feasible row of candidates.csv.
  const core::CsvTable c = core::read_csv(result_->out_dir / "candidates.csv");
  double top = -1;
  for (const auto& row : c.rows)
    if (row[4] == "1") top = std::max(top, std::stod(row[2]));
  EXPECT_EQ(best["best"]["values"]["accuracy"].get<double>(), top);
  EXPECT_LE(best["best"]["values"]["latency"].get<double>(), 25);
  EXPECT_EQ(best["best"]["arch"], front["front"][0]["arch"]);
  EXPECT_EQ(best["evaluations"], 300);
  // Per objective: the constrained lowest latency is the unconstrained one (every latency <= 25 is feasible).
  EXPECT_EQ(best["per_objective"]["latency"]["constrained"], best["per_objective"]["latency"]["unconstrained"]);
  EXPECT_GE(best["per_objective"]["accuracy"]["unconstrained"]["values"]["accuracy"].get<double>(), top);
}

TEST_F(Outputs, SvgIsWellFormedWithOneCirclePerPointPlusTheFront) {
  const std::string svg = read_text(result_->out_dir / "pareto.svg");
  EXPECT_EQ(test::xml_problem(svg), "");
  // Every candidate is available here: 300 grey circles, then one highlighted circle per front member.
  EXPECT_EQ(test::count_of(svg, "<circle"), 300 + result_->pareto.size());
  EXPECT_EQ(test::count_of(svg, "<polyline"), result_->pareto.size() > 1 ? 1u : 0u);
  EXPECT_NE(svg.find("accuracy (maximize)"), std::string::npos);
  EXPECT_NE(svg.find("latency (minimize)"), std::string::npos);
  EXPECT_NE(svg.find("latency &lt;= 25"), std::string::npos);  // the constraint line's label, escaped
}

TEST_F(Outputs, EffectiveConfigReloads) {
  const SearchConfig again = load_config(result_->out_dir / "config.yaml");
  EXPECT_EQ(result_fingerprint(again), result_fingerprint(*config_));
  EXPECT_EQ(again.budget.evaluations, 300u);
  EXPECT_EQ(again.output, result_->out_dir.string());
}

TEST(OutputsUnavailable, UnscorableArchitecturesAreRecordedButNeverFeasible) {
  const auto dir = test::scratch_dir();
  // A table with values for enumeration indices 0..32767 only: the architectures whose first gene is
  // 0 or 1 (index = gene 0 * 4^7 + ...). Score = index mod 97.
  std::string table = "idx,score\n";
  for (int i = 0; i < 32768; ++i) table += fmt::format("{},{}\n", i, i % 97);
  test::write_text(dir / "half.csv", table);
  test::register_toy();
  const SearchConfig config = parse_config(fmt::format(
      "space: toy\nobjectives:\n"
      "  - {{name: score, kind: table, direction: max, file: half.csv, column: score, key: idx, key_format: index, "
      "missing: unavailable}}\n"
      "  - {{name: latency, kind: toy_latency}}\n"
      "strategy: random\nbudget: {{evaluations: 200}}\n"), "t.yaml", dir);
  RunOptions o;
  o.out_dir = dir / "out";
  o.quiet = true;
  const auto r = run_search(config, o);
  std::size_t unavailable = 0;
  for (const auto& c : r.candidates) {
    const bool in_table = c.arch.genes[0] <= 1;
    EXPECT_EQ(c.available(), in_table);
    EXPECT_EQ(c.feasible(), in_table);  // no constraints: feasible iff every value is available
    unavailable += !in_table;
  }
  ASSERT_GT(unavailable, 0u);
  ASSERT_TRUE(r.best.has_value());
  EXPECT_TRUE(r.candidates[*r.best].available());
  for (std::size_t i : r.pareto) EXPECT_TRUE(r.candidates[i].available());
  const core::CsvTable t = core::read_csv(o.out_dir / "candidates.csv");
  for (std::size_t i = 0; i < t.rows.size(); ++i)
    if (!r.candidates[i].available()) {
      EXPECT_EQ(t.rows[i][2], "");
      EXPECT_EQ(t.rows[i][4], "0");
      EXPECT_EQ(t.rows[i][5], "inf");
    }
  const std::string svg = read_text(o.out_dir / "pareto.svg");
  EXPECT_EQ(test::xml_problem(svg), "");
  EXPECT_EQ(test::count_of(svg, "<circle"), (200 - unavailable) + r.pareto.size());
}

}  // namespace
}  // namespace hwnas::search
