// Registry and the generic genetic operators, exercised on the built-in spaces.
#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "hwnas/core/error.h"
#include "hwnas/spaces/search_space.h"
#include "error_of.h"

namespace hwnas::spaces {
namespace {

using hwnas::test::error_of;

TEST(SpaceRegistry, BuiltinsAndOptions) {
  const auto names = space_registry().names();
  EXPECT_NE(std::find(names.begin(), names.end(), "nb201"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "fbnet"), names.end());

  const auto nb201 = make_space("nb201");
  EXPECT_EQ(nb201->name(), "nb201");
  EXPECT_EQ(nb201->size(), 15625.0);
  EXPECT_TRUE(nb201->is_enumerable());
  const auto fbnet = make_space("fbnet", {{"dataset", "imagenet"}});
  EXPECT_EQ(fbnet->name(), "fbnet");
  EXPECT_DOUBLE_EQ(fbnet->size(), std::pow(9.0, 22));
  EXPECT_FALSE(fbnet->is_enumerable());
  EXPECT_EQ(fbnet->input_shape(), (core::Shape{1, 3, 224, 224}));

  const std::string bogus = error_of([] { make_space("nb201", {{"bogus", "1"}}); });
  EXPECT_NE(bogus.find("bogus"), std::string::npos) << bogus;
  EXPECT_NE(bogus.find("dataset"), std::string::npos) << bogus;
  const std::string fb_bogus = error_of([] { make_space("fbnet", {{"dataset", "cifar100"}, {"width", "2"}}); });
  EXPECT_NE(fb_bogus.find("width"), std::string::npos) << fb_bogus;

  const std::string nope = error_of([] { make_space("nope"); });
  EXPECT_NE(nope.find("nope"), std::string::npos) << nope;
  EXPECT_NE(nope.find("nb201"), std::string::npos) << nope;
  EXPECT_NE(nope.find("fbnet"), std::string::npos) << nope;
}

class GeneticOperators : public ::testing::TestWithParam<std::string> {};

TEST_P(GeneticOperators, MutationChangesExactlyOneGene) {
  const auto space = make_space(GetParam());
  Rng rng(7);
  for (int trial = 0; trial < 500; ++trial) {
    const Arch parent = space->sample(rng);
    const Arch child = space->mutate(parent, rng);
    space->validate(child);
    int changed = 0;
    for (std::size_t i = 0; i < parent.genes.size(); ++i) changed += parent.genes[i] != child.genes[i];
    ASSERT_EQ(changed, 1) << space->to_string(parent) << " -> " << space->to_string(child);
  }
}

TEST_P(GeneticOperators, SampleAndCrossoverAreDeterministicUnderASeed) {
  const auto space = make_space(GetParam());
  Rng a(1234), b(1234), c(99);
  bool differs_from_other_seed = false;
  for (int trial = 0; trial < 50; ++trial) {
    const Arch x = space->sample(a), y = space->sample(a);
    ASSERT_EQ(space->sample(b), x);
    ASSERT_EQ(space->sample(b), y);
    differs_from_other_seed |= space->sample(c) != x;
    const Arch child = space->crossover(x, y, a);
    ASSERT_EQ(space->crossover(x, y, b), child);
    for (std::size_t i = 0; i < child.genes.size(); ++i)
      ASSERT_TRUE(child.genes[i] == x.genes[i] || child.genes[i] == y.genes[i]);
    space->validate(child);
    // every sample lowers to a graph with the space's input and a {1, classes} output
    const auto g = space->to_graph(x);
    ASSERT_EQ(g.shape(g.inputs()[0]), space->input_shape());
    ASSERT_EQ(g.shape(g.outputs()[0]).size(), 2u);
    ASSERT_EQ(space->from_string(space->to_string(x)), x);
  }
  EXPECT_TRUE(differs_from_other_seed);
}

TEST_P(GeneticOperators, ValidateRejectsOutOfRangeGenes) {
  const auto space = make_space(GetParam());
  Rng rng(3);
  Arch arch = space->sample(rng);
  arch.genes.back() = space->gene_choices().back();
  EXPECT_THROW(space->validate(arch), Error);
  EXPECT_THROW(space->to_graph(arch), Error);
  arch.genes.pop_back();
  EXPECT_THROW(space->to_string(arch), Error);
}

INSTANTIATE_TEST_SUITE_P(Builtin, GeneticOperators, ::testing::Values("nb201", "fbnet"));

}  // namespace
}  // namespace hwnas::spaces
