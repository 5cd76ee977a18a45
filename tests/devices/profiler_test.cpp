#include "hwnas/devices/profiler.h"
#include "hwnas/devices/repeatability.h"

#include <chrono>
#include <cmath>
#include <thread>

#include <gtest/gtest.h>

#include "hwnas/core/error.h"
#include "hwnas/devices/platform.h"
#include "spin_platform.h"

namespace hwnas::devices {
namespace {

TEST(Statistics, QuartilesAndSpreadOnOddCount) {
  // Sorted 1..5: positions (n-1)q = 1, 2, 3 -> q1 2, median 3, q3 4; spread (4 - 2) / 3.
  const auto s = summarize({5, 1, 4, 2, 3});
  EXPECT_EQ(s.count, 5u);
  EXPECT_DOUBLE_EQ(s.min, 1);
  EXPECT_DOUBLE_EQ(s.q1, 2);
  EXPECT_DOUBLE_EQ(s.median, 3);
  EXPECT_DOUBLE_EQ(s.q3, 4);
  EXPECT_DOUBLE_EQ(s.max, 5);
  EXPECT_DOUBLE_EQ(s.mean, 3);
  EXPECT_DOUBLE_EQ(s.spread, 2.0 / 3.0);
}

TEST(Statistics, InterpolatesOnEvenCount) {
  // 1..4: positions 0.75, 1.5, 2.25 -> q1 1.75, median 2.5, q3 3.25; spread 1.5 / 2.5 = 0.6.
  const auto s = summarize({4, 3, 2, 1});
  EXPECT_DOUBLE_EQ(s.q1, 1.75);
  EXPECT_DOUBLE_EQ(s.median, 2.5);
  EXPECT_DOUBLE_EQ(s.q3, 3.25);
  EXPECT_DOUBLE_EQ(s.spread, 0.6);
}

TEST(Statistics, OutliersDoNotMoveTheMedian) {
  // Ten samples, two wild outliers (a preemption, a page fault): sorted, positions 4.5 (median),
  // 2.25 and 6.75 (quartiles) all fall among the eight 10.0 samples -> median 10, spread 0,
  // while the mean is dragged to (80 + 1000 + 1e6) / 10 = 100108.
  const auto s = summarize({10, 10, 1e6, 10, 10, 10, 1000, 10, 10, 10});
  EXPECT_DOUBLE_EQ(s.median, 10);
  EXPECT_DOUBLE_EQ(s.spread, 0);
  EXPECT_DOUBLE_EQ(s.mean, 100108);
  EXPECT_DOUBLE_EQ(s.max, 1e6);
}

TEST(Statistics, EmptyIsAnError) {
  EXPECT_THROW(summarize({}), Error);
  EXPECT_THROW(merge_rounds({{}, {}}, RoundMerge::kMedianOfAllSamples), Error);
}

TEST(Statistics, MergeRoundsThreeWays) {
  // Rounds {1 x7}, {4, 5, 5}, {6, 6, 7}.
  const std::vector<std::vector<double>> rounds{{1, 1, 1, 1, 1, 1, 1}, {4, 5, 5}, {6, 6, 7}};
  const auto minima = merge_rounds(rounds, RoundMerge::kMedianOfRoundMinima);
  const auto medians = merge_rounds(rounds, RoundMerge::kMedianOfRoundMedians);
  const auto pooled = merge_rounds(rounds, RoundMerge::kMedianOfAllSamples);
  // Round minima 1, 4, 6: median 4; quartiles at positions 0.5 and 1.5: 2.5 and 5 -> spread 2.5 / 4.
  EXPECT_DOUBLE_EQ(minima.median_ms, 4);
  EXPECT_DOUBLE_EQ(minima.spread, 0.625);
  // Round medians 1, 5, 6: median 5; quartiles 3 and 5.5 -> spread 2.5 / 5.
  EXPECT_DOUBLE_EQ(medians.median_ms, 5);
  EXPECT_DOUBLE_EQ(medians.spread, 0.5);
  // All 13 samples sorted: seven 1s, 4, 5, 5, 6, 6, 7: median (position 6) 1, quartiles (positions 3
  // and 9) 1 and 5 -> spread 4.
  EXPECT_DOUBLE_EQ(pooled.median_ms, 1);
  EXPECT_DOUBLE_EQ(pooled.spread, 4);
  for (const auto& m : {minima, medians, pooled}) {
    EXPECT_EQ(m.repeats, 13);
    EXPECT_EQ(m.rounds, 3);
    EXPECT_DOUBLE_EQ(m.min_ms, 1);
    EXPECT_DOUBLE_EQ(m.max_ms, 7);
    EXPECT_DOUBLE_EQ(m.q1_ms, 1);  // min/quartiles/max are over all samples whatever the merge
    EXPECT_DOUBLE_EQ(m.q3_ms, 5);
    EXPECT_EQ(m.round_samples, rounds);
  }
}

TEST(Profiler, ValidateNamesTheBadOption) {
  ProfileOptions o;
  o.repeats = 0;
  try {
    validate(o);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("repeats"), std::string::npos) << e.what();
  }
  o = {};
  o.preparations = 0;
  EXPECT_THROW(validate(o), Error);
  EXPECT_NO_THROW(validate(ProfileOptions{}));
}

using test::SpinPlatform;
using test::tiny_graph;

ProfileOptions spin_options() {
  ProfileOptions o;
  o.warmup_runs = 1;
  o.min_warmup_ms = 0;
  o.repeats = 4;
  o.rounds = 2;
  o.min_sample_ms = 0.1;
  return o;
}

TEST(Profiler, BatchesShortRunsAndInterleavesBlocks) {
  SpinPlatform platform({.base_us = 20});  // 20 us per run, 0.1 ms samples -> about 5 runs per sample
  auto options = spin_options();
  options.warmup_runs = 3;       // calibration takes the fastest of these, robust to one preemption
  options.max_rel_spread = 100;  // never re-measure here
  std::vector<std::pair<std::size_t, std::size_t>> progress;
  const auto m = measure_interleaved(platform, {tiny_graph(), tiny_graph(), tiny_graph()}, options,
                                     [&](std::size_t done, std::size_t total) { progress.emplace_back(done, total); });
  ASSERT_EQ(m.size(), 3u);
  for (const auto& x : m) {
    EXPECT_EQ(x.repeats, 8);
    EXPECT_EQ(x.remeasured, 0);
    EXPECT_GE(x.inner_iterations, 2);  // a 20 us run needs several runs per 0.1 ms sample
    EXPECT_GE(x.median_ms, 0.02);      // busy-waits last at least as asked
    EXPECT_EQ(x.time_source, TimeSource::kWallClock);  // the graphs do not claim to be single-threaded
  }
  // One activation per graph for warm-up plus one per block (3 graphs x 2 rounds).
  EXPECT_EQ(platform.counters.activations, 3 + 6);
  ASSERT_EQ(progress.size(), 6u);
  EXPECT_EQ(progress.back(), (std::pair<std::size_t, std::size_t>{6, 6}));
}

TEST(Profiler, PreparationsTakeTurnsSoAnUnluckyPlacementIsOutvoted) {
  // The first preparation of the graph runs 30% slower (its tensors landed badly), the others at the
  // base speed. Alone it decides the latency; as one of three taking turns over six rounds, it supplies
  // two round minima of six and the median is the base speed.
  auto options = spin_options();
  options.rounds = 6;
  options.max_rel_spread = 100;
  SpinPlatform alone({.base_us = 200, .slow_preparations_every = 3, .slow_preparation_factor = 1.3});
  const auto unlucky = measure_interleaved(alone, {tiny_graph()}, options);
  EXPECT_EQ(alone.counters.preparations, 1);
  EXPECT_NEAR(unlucky[0].median_ms, 0.26, 0.02);

  options.preparations = 3;
  SpinPlatform turns({.base_us = 200, .slow_preparations_every = 3, .slow_preparation_factor = 1.3});
  const auto outvoted = measure_interleaved(turns, {tiny_graph(), tiny_graph()}, options);
  EXPECT_EQ(turns.counters.preparations, 6);
  EXPECT_EQ(turns.counters.activations, 6 + 2 * 6);  // one warm-up per preparation, one per block
  for (const auto& m : outvoted) {
    EXPECT_EQ(m.rounds, 6);
    EXPECT_NEAR(m.median_ms, 0.2, 0.015);
    EXPECT_GT(m.max_ms, 0.25);  // the slow preparation did run
  }
  // More preparations than rounds: only as many as there are rounds are made.
  options.rounds = 2;
  options.preparations = 5;
  SpinPlatform few({.base_us = 200});
  measure_interleaved(few, {tiny_graph()}, options);
  EXPECT_EQ(few.counters.preparations, 2);
}

TEST(Repeatability, SeparatesAHostThatTurnedSlowerFromPerKernelNoise) {
  // Four graphs, one pass = 4 warm-up + 4 x 2 block activations; from the second pass on, the host is
  // 20% slower. Every kernel then disagrees by ~20%, and the report names it as shared drift.
  SpinPlatform platform({.base_us = 200, .slower_after_activations = 12, .slowdown = 1.2});
  auto options = spin_options();
  options.max_rel_spread = 100;  // no re-measurement: keep the activation count exact
  const std::vector<core::Graph> graphs(4, tiny_graph());
  const auto report = check_repeatability(platform, graphs, options, 0.05);
  ASSERT_EQ(platform.counters.activations, 24);
  EXPECT_EQ(report.counted, 4u);
  EXPECT_EQ(report.within_5pct, 0.0);
  EXPECT_NEAR(report.host_drift, 0.2, 0.04);
  EXPECT_EQ(report.within_5pct_drift_removed, 1.0);
  // Each pass was steady in itself: the spreads, reported per graph, did not see the change.
  ASSERT_EQ(report.first_spread.size(), 4u);
  ASSERT_EQ(report.second_spread.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_LT(report.first_spread[i], 0.1) << i;
    EXPECT_LT(report.second_spread[i], 0.1) << i;
  }
}

TEST(Profiler, RemeasuresWhenSpreadIsHigh) {
  // Every other block runs twice as slow, so the two round minima are ~1x and ~2x the base: median
  // 1.5x, quartiles 1.25x and 1.75x, spread ~0.33 > 0.05 on every attempt. The graph is re-measured
  // max_remeasure times and stays unstable.
  SpinPlatform platform({.base_us = 50, .jitter = true});
  auto options = spin_options();
  options.block_warmup_runs = 0;
  options.max_remeasure = 2;
  const auto m = platform.measure(tiny_graph(), options);
  EXPECT_EQ(m.remeasured, 2);
  EXPECT_FALSE(m.stable);
  EXPECT_GT(m.spread, options.max_rel_spread);
  EXPECT_EQ(m.repeats, options.repeats * options.rounds);  // the kept attempt's samples
}

TEST(Profiler, TimeSourceSeparatesWallFromCpuTime) {
  // A graph that sleeps 1 ms per run: steady_clock sees at least the 1 ms, the thread's CPU clock
  // almost nothing (the sleep is spent off the CPU).
  auto options = spin_options();
  options.min_sample_ms = 0;  // one run per sample
  options.max_remeasure = 0;
  SpinPlatform sleeper({.base_us = 1000, .sleep = true, .single_threaded = true});
  options.time_source = TimeSource::kWallClock;
  const auto wall = sleeper.measure(tiny_graph(), options);
  EXPECT_EQ(wall.time_source, TimeSource::kWallClock);
  EXPECT_GE(wall.median_ms, 1.0);
  options.time_source = TimeSource::kThreadCpuTime;
  const auto cpu = sleeper.measure(tiny_graph(), options);
  EXPECT_EQ(cpu.time_source, TimeSource::kThreadCpuTime);
  EXPECT_LT(cpu.median_ms, 0.5);
  // kAuto follows what the prepared graph says about its threads.
  options.time_source = TimeSource::kAuto;
  EXPECT_EQ(sleeper.measure(tiny_graph(), options).time_source, TimeSource::kThreadCpuTime);
  SpinPlatform multi({.base_us = 10, .single_threaded = false});
  EXPECT_EQ(multi.measure(tiny_graph(), options).time_source, TimeSource::kWallClock);
}

}  // namespace
}  // namespace hwnas::devices
