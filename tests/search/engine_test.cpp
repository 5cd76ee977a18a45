// The engine on the toy space: determinism across thread counts, budgets, constraint handling,
// checkpoint / resume, and errors.

#include <gtest/gtest.h>

#include <set>

#include "hwnas/core/error.h"
#include "hwnas/search/engine.h"
#include "hwnas/search/pareto.h"
#include "test_util.h"
#include "toy_config.h"

namespace hwnas::search {
namespace {

using test::error_of;
using test::read_text;
using test::ToyRun;

RunOptions quiet_to(const std::filesystem::path& dir) {
  RunOptions o;
  o.out_dir = dir;
  o.quiet = true;
  return o;
}

class EngineByStrategy : public ::testing::TestWithParam<std::string> {};

TEST_P(EngineByStrategy, SameSeedSameCandidatesWithOneOrFourThreads) {
  ToyRun run;
  run.strategy = GetParam();
  run.threads = 1;
  const auto one = run_search(test::toy_config(run), quiet_to(test::scratch_dir("1")));
  run.threads = 4;
  const auto four = run_search(test::toy_config(run), quiet_to(test::scratch_dir("4")));
  const std::string csv1 = read_text(one.out_dir / "candidates.csv");
  EXPECT_EQ(csv1, read_text(four.out_dir / "candidates.csv"));
  EXPECT_EQ(read_text(one.out_dir / "pareto.csv"), read_text(four.out_dir / "pareto.csv"));
  EXPECT_EQ(one.best, four.best);
  // ... and another seed searches differently.
  run.seed = 2;
  const auto other = run_search(test::toy_config(run), quiet_to(test::scratch_dir("seed2")));
  EXPECT_NE(csv1, read_text(other.out_dir / "candidates.csv"));
}

TEST_P(EngineByStrategy, BudgetCountsDistinctArchitecturesAndBestIsTheBestFeasible) {
  ToyRun run;
  run.strategy = GetParam();
  run.evaluations = 333;  // not a multiple of any batch size
  const auto r = run_search(test::toy_config(run), quiet_to(test::scratch_dir()));
  EXPECT_EQ(r.stop_reason, StopReason::kEvaluationBudget);
  ASSERT_EQ(r.candidates.size(), 333u);
  std::set<std::vector<int>> distinct;
  std::optional<std::size_t> expected_best;
  for (std::size_t i = 0; i < r.candidates.size(); ++i) {
    const Evaluated& c = r.candidates[i];
    EXPECT_EQ(c.index, i);
    distinct.insert(c.arch.genes);
    // Values are the toy functions; feasibility is latency <= 25.
    EXPECT_EQ(c.values[0], test::toy_accuracy(c.arch));
    EXPECT_EQ(c.values[1], test::toy_latency(c.arch));
    EXPECT_EQ(c.feasible(), c.values[1] <= 25);
    // Best by hand: highest accuracy among feasible, then lower latency, then earlier.
    if (c.feasible() && (!expected_best || c.values[0] > r.candidates[*expected_best].values[0] ||
                         (c.values[0] == r.candidates[*expected_best].values[0] &&
                          c.values[1] < r.candidates[*expected_best].values[1])))
      expected_best = i;
  }
  EXPECT_EQ(distinct.size(), 333u);
  ASSERT_TRUE(r.best.has_value());
  EXPECT_EQ(r.best, expected_best);
  EXPECT_TRUE(r.candidates[*r.best].feasible());
}

TEST_P(EngineByStrategy, ImpossibleConstraintYieldsNoFeasibleArchitecture) {
  ToyRun run;
  run.strategy = GetParam();
  run.evaluations = 200;
  run.constraints = "[\"latency <= 5\"]";  // the smallest toy latency is 11.5
  const auto r = run_search(test::toy_config(run), quiet_to(test::scratch_dir()));
  EXPECT_EQ(r.candidates.size(), 200u);
  EXPECT_EQ(r.feasible_count, 0u);
  EXPECT_FALSE(r.best.has_value());
  EXPECT_TRUE(r.pareto.empty());
  EXPECT_NE(r.summary().find("no feasible architecture"), std::string::npos);
  const std::string best = read_text(r.out_dir / "best.json");
  EXPECT_NE(best.find("\"best\": null"), std::string::npos) << best;
  EXPECT_NE(best.find("no feasible architecture found among 200 evaluated"), std::string::npos) << best;
}

TEST_P(EngineByStrategy, InterruptedThenResumedEqualsUninterrupted) {
  ToyRun run;
  run.strategy = GetParam();
  run.evaluations = 600;
  run.threads = 2;
  RunOptions whole = quiet_to(test::scratch_dir("whole"));
  whole.checkpoint_every = 100;
  const auto uninterrupted = run_search(test::toy_config(run), whole);

  // The toy accuracy objective raises SIGINT (from a worker thread) once 250 values were computed by the
  // toy objectives (both count: about 125 architectures); the engine finishes that batch and checkpoints.
  RunOptions part = quiet_to(test::scratch_dir("part"));
  part.checkpoint_every = 100;
  test::g_toy_evaluations = 0;
  test::g_interrupt_after = 250;
  const auto interrupted = run_search(test::toy_config(run), part);
  test::g_interrupt_after = 0;
  ASSERT_EQ(interrupted.stop_reason, StopReason::kInterrupted);
  EXPECT_GT(interrupted.candidates.size(), 0u);
  EXPECT_LT(interrupted.candidates.size(), 600u);
  ASSERT_TRUE(std::filesystem::exists(part.out_dir / "checkpoint.json"));

  part.resume = true;
  test::g_toy_evaluations = 0;
  const auto resumed = run_search(test::toy_config(run), part);
  EXPECT_EQ(resumed.stop_reason, StopReason::kEvaluationBudget);
  // Values of checkpointed architectures come from the checkpoint: only the rest is evaluated again
  // (two toy objectives per architecture).
  EXPECT_EQ(test::g_toy_evaluations.load(), 2 * static_cast<long>(600 - interrupted.candidates.size()));
  for (const char* file : {"candidates.csv", "pareto.csv", "pareto.json", "pareto.svg"})
    EXPECT_EQ(read_text(whole.out_dir / file), read_text(part.out_dir / file)) << file;
  EXPECT_EQ(resumed.best, uninterrupted.best);
}

INSTANTIATE_TEST_SUITE_P(Builtins, EngineByStrategy, ::testing::Values("random", "evolution", "nsga2"));

TEST(Engine, ResumeWithALargerBudgetExtendsTheSearch) {
  ToyRun run;
  run.evaluations = 300;
  RunOptions o = quiet_to(test::scratch_dir("extended"));
  run_search(test::toy_config(run), o);
  run.evaluations = 500;
  o.resume = true;
  const auto extended = run_search(test::toy_config(run), o);
  const auto direct = run_search(test::toy_config(run), quiet_to(test::scratch_dir("direct")));
  EXPECT_EQ(extended.candidates.size(), 500u);
  EXPECT_EQ(read_text(extended.out_dir / "candidates.csv"), read_text(direct.out_dir / "candidates.csv"));
}

TEST(Engine, ResumeRefusesAnotherSearchOrAMissingCheckpoint) {
  ToyRun run;
  run.evaluations = 50;
  RunOptions o = quiet_to(test::scratch_dir());
  o.resume = true;
  std::string m = error_of([&] { run_search(test::toy_config(run), o); });
  EXPECT_NE(m.find("checkpoint.json"), std::string::npos) << m;
  o.resume = false;
  run_search(test::toy_config(run), o);
  run.seed = 9;
  o.resume = true;
  m = error_of([&] { run_search(test::toy_config(run), o); });
  EXPECT_NE(m.find("different search"), std::string::npos) << m;
}

TEST(Engine, StopsWhenTheSpaceIsExhausted) {
  ToyRun run;
  run.space_options = "{genes: 3}";  // 4^3 = 64 architectures
  run.evaluations = 100;
  run.strategy = "random";
  const auto r = run_search(test::toy_config(run), quiet_to(test::scratch_dir()));
  EXPECT_EQ(r.stop_reason, StopReason::kExhausted);
  EXPECT_EQ(r.candidates.size(), 64u);
}

TEST(Engine, StopsAtTheTimeBudget) {
  ToyRun run;
  run.evaluations = 0;
  run.seconds = 0.001;  // far too short to exhaust the 65536 toy architectures
  const auto r = run_search(test::toy_config(run), quiet_to(test::scratch_dir()));
  EXPECT_EQ(r.stop_reason, StopReason::kTimeBudget);
  EXPECT_LT(r.candidates.size(), 65536u);
}

TEST(Engine, ObjectiveErrorsFromWorkerThreadsReachTheCaller) {
  const auto dir = test::scratch_dir();
  test::write_text(dir / "partial.csv", "arch,score\n00000000,1\n");
  test::register_toy();
  const SearchConfig config = parse_config(fmt::format(
      "space: toy\nobjectives:\n  - {{name: score, kind: table, direction: max, file: {}, column: score}}\n"
      "strategy: random\nbudget: {{evaluations: 50}}\nthreads: 3\n",
      (dir / "partial.csv").string()), "t.yaml");
  const std::string m = error_of([&] { run_search(config, quiet_to(dir / "out")); });
  EXPECT_NE(m.find("is not in"), std::string::npos) << m;
  EXPECT_NE(m.find("partial.csv"), std::string::npos) << m;
}

TEST(Engine, ConfigErrorsFoundAtRunTimeNameTheLine) {
  test::register_toy();
  SearchConfig c = parse_config("space: tyo\nobjectives: [{name: a, kind: flops}]\nstrategy: random\n"
                                "budget: {evaluations: 3}\n", "t.yaml");
  std::string m = error_of([&] { run_search(c, quiet_to(test::scratch_dir("space"))); });
  EXPECT_NE(m.find("t.yaml:1:"), std::string::npos) << m;
  EXPECT_NE(m.find("'tyo'"), std::string::npos) << m;
  EXPECT_NE(m.find("toy"), std::string::npos) << m;  // valid names listed
  c = parse_config("space: toy\nobjectives:\n  - {name: a, kind: flopz}\nstrategy: random\nbudget: {evaluations: 3}\n",
                   "t.yaml");
  m = error_of([&] { run_search(c, quiet_to(test::scratch_dir("kind"))); });
  EXPECT_NE(m.find("t.yaml:3:"), std::string::npos) << m;
  EXPECT_NE(m.find("'flopz'"), std::string::npos) << m;
  c = parse_config("space: toy\nobjectives:\n  - {name: a, kind: flops}\nstrategy:\n  name: random\n"
                   "  options: {batch: 3}\nbudget: {evaluations: 3}\n", "t.yaml");
  m = error_of([&] { run_search(c, quiet_to(test::scratch_dir("option"))); });
  EXPECT_NE(m.find("t.yaml:6:"), std::string::npos) << m;
  EXPECT_NE(m.find("'batch'"), std::string::npos) << m;
  c = parse_config("space: toy\nobjectives: [{name: a, kind: flops}]\nstrategy: random\nbudget: {evaluations: 3}\n", "t.yaml");
  m = error_of([&] { run_search(c, RunOptions{}); });
  EXPECT_NE(m.find("output"), std::string::npos) << m;
}

}  // namespace
}  // namespace hwnas::search
