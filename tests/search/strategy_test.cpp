// Strategies through ask/tell on the toy space: validity, determinism, the selection rules of
// regularized evolution and NSGA-II, and option checking.

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "hwnas/core/error.h"
#include "hwnas/search/nsga2.h"
#include "hwnas/search/regularized_evolution.h"
#include "hwnas/search/strategy.h"
#include "test_util.h"
#include "toy_space.h"

namespace hwnas::search {
namespace {

using test::error_of;
using test::toy_accuracy;
using test::toy_latency;
using test::ToySpace;

Evaluated evaluated(const spaces::Arch& arch, std::vector<double> values, double violation = 0) {
  Evaluated e;
  e.arch = arch;
  e.values = std::move(values);
  e.violation = violation;
  return e;
}

int hamming(const spaces::Arch& a, const spaces::Arch& b) {
  int d = 0;
  for (std::size_t i = 0; i < a.genes.size(); ++i) d += a.genes[i] != b.genes[i];
  return d;
}

// Runs `rounds` ask/tell rounds scoring (accuracy, latency) with the toy functions, constraint latency <= 25.
std::vector<spaces::Arch> drive(Strategy& s, int rounds) {
  std::vector<spaces::Arch> all;
  for (int r = 0; r < rounds; ++r) {
    const auto asked = s.ask(s.batch_size());
    std::vector<Evaluated> told;
    for (const auto& a : asked) {
      const double lat = toy_latency(a);
      told.push_back(evaluated(a, {toy_accuracy(a), lat}, lat <= 25 ? 0 : (lat - 25) / 25));
      all.push_back(a);
    }
    s.tell(told);
  }
  return all;
}

class AnyStrategy : public ::testing::TestWithParam<std::string> {};

TEST_P(AnyStrategy, ProposesValidArchitecturesDeterministically) {
  const ToySpace space;
  const std::vector<std::string> names{"accuracy", "latency"};
  const std::vector<Direction> dirs{Direction::kMaximize, Direction::kMinimize};
  auto make = [&](std::uint64_t seed) {
    return make_strategy(GetParam(), core::Options(), StrategyContext{space, names, dirs, seed});
  };
  auto a = make(1), b = make(1), c = make(2);
  const auto run_a = drive(*a, 12), run_b = drive(*b, 12), run_c = drive(*c, 12);
  EXPECT_EQ(run_a, run_b);
  EXPECT_NE(run_a, run_c);
  for (const auto& arch : run_a) EXPECT_NO_THROW(space.validate(arch));
  // Asking for fewer than the batch (the end of a budget) gives exactly that many.
  EXPECT_EQ(a->ask(1).size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Builtins, AnyStrategy, ::testing::Values("random", "evolution", "nsga2"));

TEST(RegularizedEvolution, FillsPopulationRandomlyThenMutatesTheBestOfTheSample) {
  const ToySpace space;
  RegularizedEvolutionOptions o;
  o.population_size = 10;
  o.sample_size = 1000;  // the best member is missed by all 1000 draws with probability 0.9^1000 ~ 2e-46
  o.batch_size = 10;
  RegularizedEvolution evo(StrategyContext{space, {"accuracy"}, {Direction::kMaximize}, 3}, o);
  const auto initial = evo.ask(10);
  std::vector<Evaluated> told;
  for (const auto& a : initial) told.push_back(evaluated(a, {toy_accuracy(a)}));
  evo.tell(told);
  const auto best = std::max_element(told.begin(), told.end(),
                                     [](const Evaluated& x, const Evaluated& y) { return x.values[0] < y.values[0]; });
  for (const auto& child : evo.ask(5)) EXPECT_EQ(hamming(child, best->arch), 1);
}

TEST(RegularizedEvolution, ParentsAreFeasibleBeforeBetter) {
  const ToySpace space;
  RegularizedEvolutionOptions o;
  o.population_size = 4;
  o.sample_size = 1000;
  RegularizedEvolution evo(StrategyContext{space, {"accuracy"}, {Direction::kMaximize}, 5}, o);
  const auto initial = evo.ask(4);
  // Member 0 has the best accuracy but violates a constraint; member 2 is the best feasible one.
  evo.tell({evaluated(initial[0], {99}, 0.1), evaluated(initial[1], {1}), evaluated(initial[2], {5}),
            evaluated(initial[3], {2}, 0.01)});
  for (const auto& child : evo.ask(6)) EXPECT_EQ(hamming(child, initial[2]), 1);
}

TEST(RegularizedEvolution, AgingRemovesTheOldestEvenIfBest) {
  const ToySpace space;
  RegularizedEvolutionOptions o;
  o.population_size = 3;
  o.batch_size = 1;
  RegularizedEvolution evo(StrategyContext{space, {"accuracy"}, {Direction::kMaximize}, 7}, o);
  std::vector<spaces::Arch> told;
  for (int i = 0; i < 4; ++i) {
    const auto a = evo.ask(1);
    evo.tell({evaluated(a[0], {i == 0 ? 100.0 : 1.0})});  // the first member is by far the best
    told.push_back(a[0]);
  }
  ASSERT_EQ(evo.population().size(), 3u);
  EXPECT_EQ(evo.population()[0].arch, told[1]);
  EXPECT_EQ(evo.population()[2].arch, told[3]);
}

TEST(Nsga2, SurvivalKeepsTheFirstFrontAndConstraintDominationDropsInfeasible) {
  const ToySpace space;
  Nsga2Options o;
  o.population_size = 4;
  auto run = [&](double violation_of_last) {
    Nsga2 nsga(StrategyContext{space, {"a", "b"}, {Direction::kMinimize, Direction::kMinimize}, 11}, o);
    const auto parents = nsga.ask(4);
    nsga.tell({evaluated(parents[0], {1, 5}), evaluated(parents[1], {5, 1}), evaluated(parents[2], {3, 3}),
               evaluated(parents[3], {4, 4})});
    const auto kids = nsga.ask(4);
    nsga.tell({evaluated(kids[0], {2, 2}), evaluated(kids[1], {6, 6}), evaluated(kids[2], {1, 6}),
               evaluated(kids[3], {0, 9}, violation_of_last)});
    std::set<std::vector<int>> kept;
    for (const auto& e : nsga.population()) kept.insert(e.arch.genes);
    return std::make_tuple(kept, parents, kids);
  };
  {
    // All feasible. Fronts of the pool of 8: (2,2) dominates (3,3), (4,4) and (6,6); (1,5) dominates
    // (1,6); nothing dominates (1,5), (5,1), (2,2), (0,9): exactly 4, the new population.
    auto [kept, parents, kids] = run(0);
    EXPECT_EQ(kept, (std::set<std::vector<int>>{parents[0].genes, parents[1].genes, kids[0].genes, kids[3].genes}));
  }
  {
    // (0,9) infeasible: first front (1,5), (5,1), (2,2); second front (3,3) and (1,6), both extremes of
    // their front (infinite crowding), so the earlier in the pool, (3,3), takes the last place.
    auto [kept, parents, kids] = run(0.1);
    EXPECT_EQ(kept, (std::set<std::vector<int>>{parents[0].genes, parents[1].genes, kids[0].genes, parents[2].genes}));
  }
}

TEST(StrategyOptions, UnknownKeysAndBadValuesNameKeyAndLine) {
  const ToySpace space;
  const StrategyContext context{space, {"accuracy", "latency"}, {Direction::kMaximize, Direction::kMinimize}, 0};
  core::Options o("strategy 'evolution'", "s.yaml");
  o.set("population_size", "20", 3);
  o.set("sampel_size", "5", 4);
  std::string m = error_of([&] { make_strategy("evolution", o, context); });
  EXPECT_NE(m.find("s.yaml:4"), std::string::npos) << m;
  EXPECT_NE(m.find("unknown option 'sampel_size'"), std::string::npos) << m;
  EXPECT_NE(m.find("sample_size"), std::string::npos) << m;

  core::Options bad("strategy 'nsga2'", "s.yaml");
  bad.set("crossover_prob", "1.5", 7);
  m = error_of([&] { make_strategy("nsga2", bad, context); });
  EXPECT_NE(m.find("s.yaml:7"), std::string::npos) << m;
  EXPECT_NE(m.find("crossover_prob"), std::string::npos) << m;

  core::Options objective("strategy 'evolution'", "s.yaml");
  objective.set("objective", "acuracy", 9);
  m = error_of([&] { make_strategy("evolution", objective, context); });
  EXPECT_NE(m.find("acuracy"), std::string::npos) << m;
  EXPECT_NE(m.find("accuracy, latency"), std::string::npos) << m;

  m = error_of([&] { make_strategy("anneal", core::Options(), context); });
  EXPECT_NE(m.find("'anneal'"), std::string::npos) << m;
  EXPECT_NE(m.find("evolution, nsga2, random"), std::string::npos) << m;
}

}  // namespace
}  // namespace hwnas::search
