// Measuring the top candidates of a search (`hwnas search --measure N`): which candidates are chosen,
// and a real measurement of two toy networks on libtorch-cpu-t1 written to measured.csv.

#include "hwnas/search/measure_top.h"

#include <gtest/gtest.h>

#include <cmath>

#include "hwnas/core/csv.h"
#include "hwnas/core/error.h"
#include "hwnas/search/engine.h"
#include "test_util.h"
#include "toy_config.h"

namespace hwnas::search {
namespace {

Evaluated candidate(std::size_t index, double first, double second, double violation = 0) {
  Evaluated e;
  e.index = index;
  e.arch_string = std::to_string(index);
  e.values = {first, second};
  e.violation = violation;
  return e;
}

// Hand-built result: objective 0 maximized, objective 1 minimized.
//   index  values     feasible  role
//   0      (5, 10)    yes       front
//   1      (9, 30)    yes       front
//   2      (4, 12)    yes       dominated by 0
//   3      (99, 1)    no        infeasible, never measured
//   4      (8, 31)    yes       dominated by 1
//   5      (4, 11)    yes       dominated by 0, ties 2 on objective 0
// The front is given best first on objective 0: 1, 0. Then the other feasible ones best first on
// objective 0 (ties in evaluation order): 4 (8), 2 (4), 5 (4).
SearchResult hand_result() {
  SearchResult r;
  r.objectives = {{"accuracy", Direction::kMaximize, ""}, {"latency", Direction::kMinimize, ""}};
  r.candidates = {candidate(0, 5, 10), candidate(1, 9, 30), candidate(2, 4, 12),
                  candidate(3, 99, 1, 2.5), candidate(4, 8, 31), candidate(5, 4, 11)};
  r.pareto = {1, 0};
  return r;
}

TEST(MeasureTop, SelectsTheFrontThenTheBestFeasibleOthers) {
  const SearchResult r = hand_result();
  EXPECT_EQ(select_top(r, 1), (std::vector<std::size_t>{1}));
  EXPECT_EQ(select_top(r, 2), (std::vector<std::size_t>{1, 0}));
  EXPECT_EQ(select_top(r, 4), (std::vector<std::size_t>{1, 0, 4, 2}));
  EXPECT_EQ(select_top(r, 10), (std::vector<std::size_t>{1, 0, 4, 2, 5}));  // 3 is infeasible
  EXPECT_TRUE(select_top(r, 0).empty());
}

TEST(MeasureTop, CsvHasEveryObjectiveAndTheMeasurement) {
  const SearchResult r = hand_result();
  MeasureTopReport report;
  report.rows = {{1, 2.5, 0.01}, {0, 0.125, 0}};
  EXPECT_EQ(measured_csv(r, report),
            "arch,accuracy,latency,measured_ms,spread\n"
            "1,9,30,2.5,0.01\n"
            "0,5,10,0.125,0\n");
}

TEST(MeasureTop, MeasuresTwoToyNetworksAndWritesMeasuredCsv) {
  test::ToyRun run;
  run.evaluations = 60;
  const SearchConfig config = test::toy_config(run);
  RunOptions o;
  o.out_dir = test::scratch_dir();
  o.quiet = true;
  o.handle_signals = false;
  const SearchResult result = run_search(config, o);
  ASSERT_GE(result.feasible_count, 2u);

  MeasureTopOptions options;
  options.count = 2;
  options.progress = false;
  // Small settings so the test stays fast; the toy networks run in microseconds.
  options.profile.repeats = 1;
  options.profile.rounds = 2;
  options.profile.min_sample_ms = 0.2;
  options.profile.min_warmup_ms = 1;
  options.profile.max_remeasure = 0;
  const MeasureTopReport report = measure_top(result, config, options);
  EXPECT_EQ(report.platform, "libtorch-cpu-t1");
  ASSERT_EQ(report.rows.size(), 2u);
  const std::vector<std::size_t> chosen = select_top(result, 2);
  ASSERT_EQ(chosen.size(), 2u);

  const core::CsvTable table = core::read_csv(o.out_dir / "measured.csv");
  EXPECT_EQ(table.header, (std::vector<std::string>{"arch", "accuracy", "latency", "measured_ms", "spread"}));
  ASSERT_EQ(table.rows.size(), 2u);
  for (std::size_t k = 0; k < 2; ++k) {
    const Evaluated& c = result.candidates[chosen[k]];
    EXPECT_EQ(table.rows[k][0], c.arch_string);
    EXPECT_DOUBLE_EQ(std::stod(table.rows[k][2]), c.values[1]);  // the predicted (here: toy) latency
    EXPECT_GT(std::stod(table.rows[k][3]), 0.0);
    EXPECT_GE(std::stod(table.rows[k][4]), 0.0);
  }
  // The toy's objective named `latency` is compared: MAPE is the mean of |predicted - measured| / measured.
  ASSERT_EQ(report.latency_objective, std::optional<std::size_t>(1));
  ASSERT_EQ(report.compared, 2u);
  double mape = 0;
  for (const auto& row : report.rows)
    mape += 50.0 * std::abs(result.candidates[row.index].values[1] - row.measured_ms) / row.measured_ms;
  EXPECT_NEAR(report.mape_percent, mape, 1e-9 * mape);
  const std::string summary = measure_summary(result, report);
  EXPECT_NE(summary.find("on libtorch-cpu-t1: MAPE"), std::string::npos) << summary;
}

TEST(MeasureTop, UnknownPlatformIsAnErrorListingTheValidOnes) {
  const SearchResult r = hand_result();
  test::ToySpace space;
  MeasureTopOptions options;
  options.platform = "gpu-9000";
  const std::string message = test::error_of([&] { measure_top(r, space, options); });
  EXPECT_NE(message.find("gpu-9000"), std::string::npos) << message;
  EXPECT_NE(message.find("libtorch-cpu-t1"), std::string::npos) << message;
}

}  // namespace
}  // namespace hwnas::search
