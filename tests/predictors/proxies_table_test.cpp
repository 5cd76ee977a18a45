// Proxy tables: CSV round trip and the errors that name the bad row.

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include <gtest/gtest.h>

#include "hwnas/core/error.h"
#include "hwnas/predictors/proxies/proxy_table.h"
#include "hwnas/spaces/nb201.h"

namespace hwnas::predictors {
namespace {

namespace fs = std::filesystem;

fs::path temp_file(const std::string& name) {
  const auto dir = fs::temp_directory_path() / "hwnas_proxies_table_test";
  fs::create_directories(dir);
  return dir / name;
}

void write_text(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }

std::string error_of(const fs::path& path, const spaces::SearchSpace& space) {
  try {
    read_proxy_csv(path, space);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ProxyTable, RoundTripIsExact) {
  const spaces::Nb201Space space;
  spaces::Rng rng(7);
  std::vector<spaces::Arch> archs{space.sample(rng), space.sample(rng)};
  if (archs[0] == archs[1]) archs[1] = space.mutate(archs[0], rng);
  std::vector<ProxyScores> scores(2);
  scores[0].values = {{"snip", 0.1}, {"synflow", 1.2345678901234567e38}, {"zen", -3.0}};
  scores[1].values = {{"snip", 1.0 / 3.0}, {"synflow", std::numeric_limits<double>::quiet_NaN()}, {"zen", 2.5e-300}};
  const auto path = temp_file("roundtrip.csv");
  write_proxy_csv(path, space, archs, scores);

  std::ifstream in(path);
  std::string header;
  std::getline(in, header);
  EXPECT_EQ(header, "arch,snip,synflow,zen");

  const auto table = read_proxy_csv(path, space);
  ASSERT_EQ(table.archs, archs);
  ASSERT_EQ(table.scores.size(), 2u);
  EXPECT_EQ(table.scores[0].values, scores[0].values);
  EXPECT_EQ(table.scores[1].at("snip"), 1.0 / 3.0);
  EXPECT_TRUE(std::isnan(table.scores[1].at("synflow")));
  EXPECT_EQ(table.scores[1].at("zen"), 2.5e-300);
}

TEST(ProxyTable, ColumnsComeBackInTheFixedOrder) {
  const spaces::Nb201Space space;
  const auto path = temp_file("order.csv");
  const std::string arch = "|none~0|+|none~0|none~1|+|none~0|none~1|skip_connect~2|";
  write_text(path, "zen,arch,flops\n1.5," + arch + ",2\n");
  const auto table = read_proxy_csv(path, space);
  ASSERT_EQ(table.scores.size(), 1u);
  EXPECT_EQ(table.scores[0].names(), (std::vector<std::string>{"zen", "flops"}));
  EXPECT_EQ(table.scores[0].at("flops"), 2.0);
}

TEST(ProxyTable, BadRowsAreNamed) {
  const spaces::Nb201Space space;
  const std::string arch = "|none~0|+|none~0|none~1|+|none~0|none~1|skip_connect~2|";
  const auto path = temp_file("bad.csv");

  write_text(path, "arch,snip\n" + arch + ",1\n" + arch + ",2\n");
  EXPECT_NE(error_of(path, space).find("line 3"), std::string::npos) << error_of(path, space);
  EXPECT_NE(error_of(path, space).find("already on line 2"), std::string::npos);

  write_text(path, "arch,snip\n" + arch + ",abc\n");
  EXPECT_NE(error_of(path, space).find("line 2: snip = 'abc'"), std::string::npos) << error_of(path, space);

  write_text(path, "arch,snip\n|bogus~0|,1\n");
  EXPECT_NE(error_of(path, space).find("line 2"), std::string::npos) << error_of(path, space);

  write_text(path, "arch,snipp\n" + arch + ",1\n");
  EXPECT_NE(error_of(path, space).find("unknown column 'snipp'"), std::string::npos) << error_of(path, space);
}

TEST(ProxyTable, MismatchedRowsAreRejectedOnWrite) {
  const spaces::Nb201Space space;
  spaces::Rng rng(1);
  std::vector<spaces::Arch> archs{space.sample(rng), space.sample(rng)};
  std::vector<ProxyScores> scores(2);
  scores[0].values = {{"snip", 1.0}};
  scores[1].values = {{"zen", 1.0}};
  EXPECT_THROW(write_proxy_csv(temp_file("w.csv"), space, archs, scores), Error);
  scores.pop_back();
  EXPECT_THROW(write_proxy_csv(temp_file("w.csv"), space, archs, scores), Error);
}

}  // namespace
}  // namespace hwnas::predictors
