// Proxy tables: CSV round trip and the errors that name the bad row; the resumable, parallel
// computation of a table (ProxyTableAppender, compute_proxy_table).

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include <gtest/gtest.h>

#include "hwnas/core/data_dir.h"
#include "hwnas/core/error.h"
#include "hwnas/core/interrupt.h"
#include "hwnas/predictors/proxies/proxy_table.h"
#include "hwnas/spaces/nb201.h"
#include "proxy_cross_host_tolerance.h"

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

// ----- compute_proxy_table: resumable and parallel -----

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

/// `n` distinct NB201 architectures.
std::vector<spaces::Arch> distinct_archs(const spaces::SearchSpace& space, std::size_t n, std::uint64_t seed) {
  spaces::Rng rng(seed);
  std::vector<spaces::Arch> archs;
  while (archs.size() < n) {
    const auto arch = space.sample(rng);
    if (std::find(archs.begin(), archs.end(), arch) == archs.end()) archs.push_back(arch);
  }
  return archs;
}

// The cheap proxies (no data pass) of the issue: a few milliseconds per NB201 arch.
const std::vector<std::string> kCheap = {"params", "flops", "l2_norm", "synflow"};

ProxyTableOptions quiet(std::size_t jobs) {
  ProxyTableOptions options;
  options.jobs = jobs;
  options.handle_signals = false;
  return options;
}

/// A fresh table file computed in one uninterrupted run.
std::string uninterrupted(const std::string& name, const spaces::SearchSpace& space,
                          const std::vector<spaces::Arch>& archs, const std::vector<std::string>& proxies,
                          const ProxyTableOptions& options) {
  const auto path = temp_file(name);
  fs::remove(path);
  ProxyTableAppender table(path, space, proxies);
  const auto report = compute_proxy_table(table, archs, options);
  EXPECT_TRUE(report.complete);
  EXPECT_EQ(report.computed, archs.size());
  return read_text(path);
}

TEST(ProxyTableRun, ResumingAKilledRunGivesExactlyTheUninterruptedTable) {
  const spaces::Nb201Space space;
  const auto all = distinct_archs(space, 6, 5);
  const std::vector<spaces::Arch> archs(all.begin(), all.begin() + 5);
  const spaces::Arch other = all[5];  // not requested: its row must survive the runs
  const std::string expected = uninterrupted("whole.csv", space, archs, kCheap, quiet(1));
  // The uninterrupted table is the requested rows in order, with the requested columns.
  const ProxyTable whole = read_proxy_csv(temp_file("whole.csv"), space);
  EXPECT_EQ(whole.archs, archs);
  EXPECT_EQ(whole.scores[0].names(), (std::vector<std::string>{"synflow", "l2_norm", "params", "flops"}));
  const std::string other_table = uninterrupted("other.csv", space, {other}, kCheap, quiet(1));
  const std::string other_row = other_table.substr(other_table.find('\n') + 1);

  const auto path = temp_file("resumed.csv");
  fs::remove(path);
  {
    ProxyTableAppender table(path, space, kCheap);
    compute_proxy_table(table, {other}, quiet(1));
  }
  {
    // Stopped after two rows (as Ctrl-C does): the file is a valid table of what was done.
    ProxyTableOptions options = quiet(1);
    options.on_progress = [](const ProxyTableProgress& p) {
      if (p.computed == 2) core::InterruptGuard::request();
    };
    ProxyTableAppender table(path, space, kCheap);
    const auto report = compute_proxy_table(table, archs, options);
    EXPECT_TRUE(report.interrupted);
    EXPECT_FALSE(report.complete);
    EXPECT_EQ(report.computed, 2u);
    EXPECT_EQ(report.other_rows, 1u);
    const ProxyTable partial = read_proxy_csv(path, space);
    EXPECT_EQ(partial.archs, (std::vector<spaces::Arch>{other, archs[0], archs[1]}));
  }
  // Then a kill in the middle of writing the third row: half of its line, no newline.
  std::vector<std::string> lines;
  std::istringstream in(expected);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 6u);  // header and five rows
  const std::string& third = lines[3];
  ASSERT_EQ(third.rfind(space.to_string(archs[2]) + ",", 0), 0u) << third;
  std::ofstream(path, std::ios::app | std::ios::binary) << third.substr(0, third.size() / 2);

  ProxyTableAppender table(path, space, kCheap);
  EXPECT_TRUE(table.dropped_truncated_line());
  EXPECT_EQ(table.size(), 3u);
  const auto report = compute_proxy_table(table, archs, quiet(1));
  EXPECT_TRUE(report.complete);
  EXPECT_FALSE(report.interrupted);
  EXPECT_EQ(report.reused, 2u);
  EXPECT_EQ(report.computed, 3u);
  EXPECT_EQ(report.other_rows, 1u);
  EXPECT_EQ(report.seconds.size(), 3u);
  // Byte for byte the uninterrupted table (so bit-identical values), then the row kept from before.
  EXPECT_EQ(read_text(path), expected + other_row);

  // Run again: nothing to compute, the file unchanged.
  ProxyTableAppender again(path, space, kCheap);
  EXPECT_FALSE(again.dropped_truncated_line());
  const auto nothing = compute_proxy_table(again, archs, quiet(2));
  EXPECT_EQ(nothing.computed, 0u);
  EXPECT_EQ(nothing.reused, 5u);
  EXPECT_EQ(read_text(path), expected + other_row);
}

TEST(ProxyTableRun, AHeaderCutShortStartsAFreshTable) {
  const spaces::Nb201Space space;
  const auto path = temp_file("cut_header.csv");
  write_text(path, "arch,synfl");
  ProxyTableAppender table(path, space, {"params"});
  EXPECT_TRUE(table.dropped_truncated_line());
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(read_text(path), "arch,params\n");
}

TEST(ProxyTableRun, MismatchedProxyColumnsAreRefusedNamingBoth) {
  const spaces::Nb201Space space;
  const auto path = temp_file("columns.csv");
  fs::remove(path);
  { ProxyTableAppender table(path, space, {"flops", "params"}); }
  EXPECT_EQ(read_text(path), "arch,params,flops\n");
  std::string message;
  try {
    ProxyTableAppender table(path, space, {"params", "synflow"});
  } catch (const Error& e) {
    message = e.what();
  }
  EXPECT_NE(message.find("holds the proxies params,flops but synflow,params were requested"), std::string::npos)
      << message;
  EXPECT_EQ(read_text(path), "arch,params,flops\n");  // untouched

  // The same columns in another order are the same table (rewritten in the fixed order).
  write_text(path, "flops,arch,params\n");
  ProxyTableAppender reordered(path, space, {"params", "flops"});
  EXPECT_EQ(read_text(path), "arch,params,flops\n");

  try {
    canonical_proxy_names({"params", "synflw"});
    ADD_FAILURE() << "an unknown proxy name was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown zero-cost proxy 'synflw'; valid: grad_norm, snip"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(canonical_proxy_names({"params", "params"}), Error);
}

TEST(ProxyTableRun, TwoJobsGiveTheTableOfOne) {
  // With a data pass too (grad_norm and snip: forward and backward of a batch of 2), so that LibTorch
  // runs convolutions on both threads at once.
  const spaces::Nb201Space space;
  const auto archs = distinct_archs(space, 6, 9);
  const std::vector<std::string> proxies = {"grad_norm", "snip", "synflow", "l2_norm", "params", "flops"};
  ProxyTableOptions one = quiet(1), two = quiet(2);
  one.proxy.batch_size = two.proxy.batch_size = 2;
  const std::string serial = uninterrupted("jobs1.csv", space, archs, proxies, one);
  const std::string parallel = uninterrupted("jobs2.csv", space, archs, proxies, two);
  EXPECT_EQ(parallel, serial);

  // Stopped after the first row with two jobs: at most the row in flight on the other thread follows.
  const auto path = temp_file("jobs2_stopped.csv");
  fs::remove(path);
  two.on_progress = [](const ProxyTableProgress&) { core::InterruptGuard::request(); };
  ProxyTableAppender table(path, space, proxies);
  const auto report = compute_proxy_table(table, archs, two);
  EXPECT_TRUE(report.interrupted);
  EXPECT_GE(report.computed, 1u);
  EXPECT_LE(report.computed, 2u);
  EXPECT_EQ(read_proxy_csv(path, space).archs.size(), report.computed);
}

TEST(ShippedProxyTables, Nb201ScoresDegenerateExactlyInTheCellsCutOffFromTheirInput) {
  // A cell whose every path crosses a `none` edge has an output that ignores the input: zero
  // Jacobians, whose correlation is undefined, and no change under zen's perturbation. Its classifier
  // sees only zeros, so no gradient reaches a convolution and grasp is exactly 0. Every other cell must
  // have finite scores, and a grasp that is not 0.
  const spaces::Nb201Space space;
  const auto table = shipped_proxy_table(space);
  ASSERT_NE(table, nullptr);
  if (!table->scores.front().contains("jacob_cov")) GTEST_SKIP() << "the shipped NB201 table has no jacob_cov";
  const bool has_zen = table->scores.front().contains("zen");
  const bool has_grasp = table->scores.front().contains("grasp");
  std::size_t degenerate = 0;
  for (std::size_t r = 0; r < table->archs.size(); ++r) {
    SCOPED_TRACE(space.to_string(table->archs[r]));
    const ProxyScores& scores = table->scores[r];
    const bool cut_off = spaces::nb201_is_degenerate(table->archs[r]);
    degenerate += cut_off;
    EXPECT_TRUE(std::isfinite(scores.at("synflow")));
    if (cut_off) {
      EXPECT_TRUE(std::isnan(scores.at("jacob_cov"))) << scores.at("jacob_cov");
      // zen: the log of the output's change under a perturbed input, which is none.
      if (has_zen) EXPECT_EQ(scores.at("zen"), -std::numeric_limits<double>::infinity());
      if (has_grasp) EXPECT_EQ(scores.at("grasp"), 0.0);
    } else {
      EXPECT_TRUE(std::isfinite(scores.at("jacob_cov"))) << scores.at("jacob_cov");
      if (has_zen) EXPECT_TRUE(std::isfinite(scores.at("zen"))) << scores.at("zen");
      if (has_grasp) EXPECT_TRUE(std::isfinite(scores.at("grasp")) && scores.at("grasp") != 0.0) << scores.at("grasp");
    }
  }
  EXPECT_EQ(degenerate, 341u);  // data/tables/PROVENANCE.md
}

TEST(ShippedProxyTables, EveryFbnetScoreIsFinite) {
  // Unlike NB201's cells, no FBNet network ignores its input: the stem convolution and the classifier
  // are in every one, and a skip block is an identity or a convolution. So no proxy may be undefined.
  const auto space = spaces::make_space("fbnet");
  const auto table = shipped_proxy_table(*space);
  ASSERT_NE(table, nullptr);
  for (std::size_t r = 0; r < table->archs.size(); ++r)
    for (const auto& [name, value] : table->scores[r].values)
      EXPECT_TRUE(std::isfinite(value)) << space->to_string(table->archs[r]) << " " << name << " = " << value;
}

TEST(ShippedProxyTables, RowsOfATableBeingCompletedEqualRecomputation) {
  // data/proxies/pending/<space>.csv holds the rows computed so far of a table too dear for one run; a
  // row there must be what compute_proxies gives now, non-finite values included, to the precision the
  // proxy has across CPUs.
  const fs::path dir = core::data_dir() / "proxies" / "pending";
  if (!fs::exists(dir)) GTEST_SKIP() << "no table is being completed (" << dir << ")";
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".csv") continue;
    SCOPED_TRACE(entry.path().string());
    const auto space = spaces::make_space(entry.path().stem().string());
    const ProxyTable table = read_proxy_csv(entry.path(), *space);
    ASSERT_GE(table.archs.size(), 2u);
    ProxyOptions options;
    options.proxies = table.scores.front().names();
    for (const std::size_t row : {std::size_t{0}, table.archs.size() / 2, table.archs.size() - 1}) {
      SCOPED_TRACE(space->to_string(table.archs[row]));
      const ProxyScores fresh = compute_proxies(space->to_graph(table.archs[row]), options);
      for (const auto& [name, stored] : table.scores[row].values) {
        const double now = fresh.at(name);
        if (std::isnan(stored) || std::isnan(now))
          EXPECT_TRUE(std::isnan(stored) && std::isnan(now)) << name << ": " << stored << " stored, " << now << " now";
        else if (std::isinf(stored) || std::isinf(now))
          EXPECT_EQ(stored, now) << name;
        else
          EXPECT_NEAR(stored, now, test::proxy_cross_host_tolerance(name) * std::max(1.0, std::abs(now))) << name;
      }
    }
  }
}

}  // namespace
}  // namespace hwnas::predictors
