// The official NAS-Bench-201 index (seeded shuffle of the gen_all order), checked against the vectors in
// the spec (NB201's own main.py asserts) and against every row of the shipped latency table.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "hwnas/core/error.h"
#include "hwnas/spaces/nb201.h"

namespace hwnas::spaces {
namespace {

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  std::string cell;
  while (std::getline(ss, cell, ',')) out.push_back(cell);
  return out;
}

TEST(Nb201Index, MatchesTheOfficialAsserts) {
  const Nb201Space space;
  EXPECT_EQ(space.to_string(nb201_arch_from_index(0)),
            "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|");
  EXPECT_EQ(space.to_string(nb201_arch_from_index(9)),
            "|avg_pool_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|nor_conv_3x3~2|");
  EXPECT_EQ(space.to_string(nb201_arch_from_index(123)),
            "|avg_pool_3x3~0|+|avg_pool_3x3~0|nor_conv_1x1~1|+|none~0|avg_pool_3x3~1|nor_conv_3x3~2|");
}

TEST(Nb201Index, FirstShuffledPreIndices) {
  // Reproduced with CPython 3.11: random.seed(88); random.shuffle(list(range(15625)))[:5].
  const std::vector<int> expected{13931, 11791, 14874, 13126, 4032};
  for (int i = 0; i < 5; ++i) EXPECT_EQ(nb201_pre_index(nb201_arch_from_index(i)), expected[static_cast<std::size_t>(i)]) << i;
}

TEST(Nb201Index, PreIndexIsTheBase5CodeInEdgeOrder) {
  // Index 0 = ops (avg 4, 1x1 2, skip 1, 1x1 2, skip 1, skip 1):
  // 4*3125 + 2*625 + 1*125 + 2*25 + 1*5 + 1 = 12500 + 1250 + 125 + 50 + 5 + 1 = 13931.
  EXPECT_EQ(nb201_pre_index(Arch{{4, 2, 1, 2, 1, 1}}), 13931);
  EXPECT_EQ(nb201_arch_from_pre_index(13931), (Arch{{4, 2, 1, 2, 1, 1}}));
  EXPECT_EQ(nb201_arch_from_pre_index(0), (Arch{{0, 0, 0, 0, 0, 0}}));
  EXPECT_EQ(nb201_arch_from_pre_index(15624), (Arch{{4, 4, 4, 4, 4, 4}}));
  EXPECT_EQ(nb201_index_of(Arch{{4, 2, 1, 2, 1, 1}}), 0);
}

TEST(Nb201Index, IsABijection) {
  std::vector<bool> seen(kNb201NumArchs, false);
  for (int i = 0; i < kNb201NumArchs; ++i) {
    const Arch arch = nb201_arch_from_index(i);
    ASSERT_EQ(nb201_index_of(arch), i);
    const int pre = nb201_pre_index(arch);
    ASSERT_FALSE(seen[static_cast<std::size_t>(pre)]) << "pre-index " << pre << " twice";
    seen[static_cast<std::size_t>(pre)] = true;
  }
}

TEST(Nb201Index, RejectsOutOfRange) {
  EXPECT_THROW(nb201_arch_from_index(-1), Error);
  EXPECT_THROW(nb201_arch_from_index(15625), Error);
  EXPECT_THROW(nb201_index_of(Arch{{0, 0, 0, 0, 0, 5}}), Error);
  EXPECT_THROW(nb201_index_of(Arch{{0, 0, 0}}), Error);
}

TEST(Nb201Index, AgreesWithEveryRowOfTheShippedLatencyTable) {
  const std::string path = std::string(HWNAS_TEST_DATA_DIR) + "/tables/nb201_latency.csv";
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  const auto header = split_csv(line);
  ASSERT_GE(header.size(), 8u);
  ASSERT_EQ(header[0], "arch_index");
  ASSERT_EQ(header[1], "arch_str");
  const std::vector<std::string> edge_columns{"e1_0", "e2_0", "e2_1", "e3_0", "e3_1", "e3_2"};
  for (std::size_t e = 0; e < edge_columns.size(); ++e) ASSERT_EQ(header[2 + e], edge_columns[e]);

  const Nb201Space space;
  std::vector<bool> seen(kNb201NumArchs, false);
  int rows = 0, degenerate = 0;
  while (std::getline(in, line)) {
    const auto cells = split_csv(line);
    ASSERT_GE(cells.size(), 8u) << line;
    const int index = std::stoi(cells[0]);
    ASSERT_TRUE(index >= 0 && index < kNb201NumArchs) << line;
    ASSERT_FALSE(seen[static_cast<std::size_t>(index)]) << "index twice: " << index;
    seen[static_cast<std::size_t>(index)] = true;
    const Arch expected = nb201_arch_from_index(index);
    ASSERT_EQ(space.to_string(expected), cells[1]) << "index " << index;
    ASSERT_EQ(space.from_string(cells[1]), expected) << "index " << index;
    ASSERT_EQ(nb201_index_of(space.from_string(cells[1])), index);
    for (std::size_t e = 0; e < 6; ++e) ASSERT_EQ(std::stoi(cells[2 + e]), expected.genes[e]) << "index " << index;
    degenerate += nb201_is_degenerate(expected) ? 1 : 0;
    ++rows;
  }
  EXPECT_EQ(rows, kNb201NumArchs);
  // The table's README: 341 cells have no path from the cell input to its output.
  EXPECT_EQ(degenerate, 341);
}

}  // namespace
}  // namespace hwnas::spaces
