#include "hwnas/predictors/profiling/host_speed.h"

#include <filesystem>
#include <unistd.h>

#include <gtest/gtest.h>

#include "error_of.h"
#include "quick_profile.h"
#include "spin_platform.h"

#include "hwnas/devices/measurement_store.h"
#include "hwnas/predictors/profiling/store_measurement.h"

namespace hwnas::predictors {
namespace {

namespace fs = std::filesystem;
using test::SpinPlatform;
using test::tiny_graph;

constexpr double kBaseMs = 0.3;  // every run of a SpinPlatform graph below

/// Each chunk measurement activates each of its graphs exactly 3 times (test::exact_activation_profile).
/// With the five sentinels, a chunk of two kernels is seven graphs: 21 activations.
devices::ProfileOptions exact_profile() { return test::exact_activation_profile(); }

/// No waiting: a slow chunk is measured again at once.
HostSpeedOptions no_wait() {
  HostSpeedOptions o;
  o.first_wait_seconds = 0;
  return o;
}

class HostSpeedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("hwnas_host_speed_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    for (int i = 0; i < 6; ++i) {
      graphs_.push_back(tiny_graph());
      keys_.push_back("k" + std::to_string(i));
    }
    for (int i = 0; i < 6; ++i) todo_.push_back({"relu", keys_[i], &graphs_[i], &profile_});
  }
  void TearDown() override { fs::remove_all(dir_); }

  /// Measures the six graphs in three chunks of two into a fresh store; returns the run and fills rows_.
  StoreMeasurementRun measure(SpinPlatform& platform, const HostSpeedOptions& host_speed) {
    auto store = devices::MeasurementStore::open(dir_ / (std::to_string(++runs_) + ".db"));
    const StoreMeasurementRun run = measure_into_store(platform, store, todo_, "c", 1, 2, {}, {}, host_speed);
    rows_.clear();
    for (const auto& key : keys_) rows_.push_back(*store.find(platform.fingerprint().key(), "relu", key));
    return run;
  }

  fs::path dir_;
  devices::ProfileOptions profile_ = exact_profile();  // todo_ points at it
  std::vector<core::Graph> graphs_;
  std::vector<std::string> keys_;
  std::vector<PendingMeasurement> todo_;
  std::vector<devices::StoredMeasurement> rows_;
  int runs_ = 0;
};

TEST(HostSpeedTrack, SlowdownIsTheMedianSentinelAgainstItsFastest) {
  HostSpeedTrack track;
  EXPECT_EQ(track.slowdown({1.0, 1.0, 1.0}), 0.0);  // nothing seen yet: nothing to be slower than
  track.observe({2.0, 1.0, 4.0});
  track.observe({1.0, 2.0, 4.0});
  EXPECT_EQ(track.fastest_ms(), (std::vector<double>{1.0, 1.0, 4.0}));
  // Ratios 1.5, 3 and 1: one sentinel far off its best does not make the host slow.
  EXPECT_DOUBLE_EQ(track.slowdown({1.5, 3.0, 4.0}), 0.5);
  EXPECT_DOUBLE_EQ(track.slowdown({1.0, 3.0, 4.0}), 0.0);
  EXPECT_THROW(track.observe({1.0, 0.0, 1.0}), Error);
  EXPECT_THROW(track.observe({1.0, 1.0}), Error);
}

TEST(HostSpeedOptions, RejectsOutOfRangeValuesNamingThem) {
  HostSpeedOptions o;
  o.tolerance = 0;
  EXPECT_NE(test::error_of([&] { validate(o); }).find("tolerance"), std::string::npos);
  o = {};
  o.first_wait_seconds = -1;
  EXPECT_NE(test::error_of([&] { validate(o); }).find("first_wait_seconds"), std::string::npos);
  o = {};
  o.max_unstable_share = 1.5;
  EXPECT_NE(test::error_of([&] { validate(o); }).find("max_unstable_share"), std::string::npos);
}

TEST_F(HostSpeedTest, WithoutTheSentinelAChunkMeasuredOnASlowHostIsStoredSlow) {
  // The failure this guards against. Without the sentinels a chunk of two graphs activates 2 + 2 x 2 = 6
  // times: the host runs twice as slow through the second chunk (activations 7..12), and nothing in the
  // profiler's spread can tell, as every round of that chunk is equally slow.
  SpinPlatform platform({.base_us = 1000 * kBaseMs, .slower_after_activations = 6, .slowdown = 2.0,
                         .faster_after_activations = 12});
  HostSpeedOptions off;
  off.enabled = false;
  const StoreMeasurementRun run = measure(platform, off);
  EXPECT_EQ(run.measured, 6u);
  EXPECT_TRUE(run.host_speed.chunk_slowdowns.empty());
  EXPECT_NEAR(rows_[2].median_ms / rows_[0].median_ms, 2.0, 0.3);
  EXPECT_LT(rows_[2].spread, 0.05);
}

TEST_F(HostSpeedTest, AChunkMeasuredOnASlowHostIsMeasuredAgainOnceItRecovers) {
  // The first measurement of the second chunk (activations 22..42) runs twice as slow, the next does not.
  SpinPlatform platform({.base_us = 1000 * kBaseMs, .slower_after_activations = 21, .slowdown = 2.0,
                         .faster_after_activations = 42});
  const StoreMeasurementRun run = measure(platform, no_wait());
  EXPECT_EQ(run.measured, 6u);
  for (const auto& row : rows_) EXPECT_NEAR(row.median_ms / kBaseMs, 1.0, 0.3) << row.config_key;
  EXPECT_NEAR(rows_[2].median_ms / rows_[0].median_ms, 1.0, 0.2);
  const HostSpeedReport& speed = run.host_speed;
  EXPECT_GE(speed.discarded, 1u);
  EXPECT_EQ(speed.kept_slow, 0u);
  ASSERT_EQ(speed.chunk_slowdowns.size(), 3u);
  EXPECT_LT(speed.max_slowdown(), no_wait().tolerance);
}

TEST_F(HostSpeedTest, ARunThatStartsOnASlowHostMeasuresItsFirstChunkAgainAtTheEnd) {
  // Slow through the first chunk (activations 1..21): its sentinels are the fastest seen so far, so it
  // is kept; the second chunk's show it was slow, and the final sweep replaces it.
  SpinPlatform platform({.base_us = 1000 * kBaseMs, .slower_after_activations = 0, .slowdown = 2.0,
                         .faster_after_activations = 21});
  const StoreMeasurementRun run = measure(platform, no_wait());
  EXPECT_NEAR(rows_[0].median_ms / rows_[2].median_ms, 1.0, 0.2);
  EXPECT_EQ(rows_[0].replaced_count, 1);  // measured twice, the faster measurement kept
  EXPECT_EQ(rows_[2].replaced_count, 0);
  EXPECT_GE(run.host_speed.discarded, 1u);
  EXPECT_EQ(run.host_speed.kept_slow, 0u);
}

TEST_F(HostSpeedTest, AHostThatStaysSlowIsMeasuredAnywayAndReportedSlow) {
  // Slow from the second chunk on, for good: after their waits and the final sweep, the chunks are
  // stored as measured (a measurement is never dropped) and counted as kept slow.
  SpinPlatform platform({.base_us = 1000 * kBaseMs, .slower_after_activations = 21, .slowdown = 2.0});
  HostSpeedOptions options = no_wait();
  options.max_waits = 1;
  const StoreMeasurementRun run = measure(platform, options);
  EXPECT_EQ(run.measured, 6u);
  EXPECT_NEAR(rows_[2].median_ms / rows_[0].median_ms, 2.0, 0.3);
  const HostSpeedReport& speed = run.host_speed;
  EXPECT_EQ(speed.discarded, 4u);  // per slow chunk, the wait's re-measurement and the final sweep's
  EXPECT_EQ(speed.kept_slow, 2u);
  EXPECT_NEAR(speed.max_slowdown(), 1.0, 0.3);
  EXPECT_NE(describe(speed, options).find("2 chunks kept more than 10% slow"), std::string::npos)
      << describe(speed, options);
}

TEST_F(HostSpeedTest, InASlowPhaseChunksAreKeptWithoutWaiting) {
  // Slow from the second chunk on; one chunk kept slow already makes a slow phase here, so the third
  // chunk is measured once, without a wait, and the time goes to measuring.
  SpinPlatform platform({.base_us = 1000 * kBaseMs, .slower_after_activations = 21, .slowdown = 2.0});
  HostSpeedOptions options = no_wait();
  options.max_waits = 1;
  options.slow_phase_chunks = 1;
  options.final_sweep = false;
  const StoreMeasurementRun run = measure(platform, options);
  EXPECT_EQ(run.measured, 6u);
  EXPECT_EQ(run.host_speed.discarded, 1u);  // only the second chunk waited and was measured again
  EXPECT_EQ(run.host_speed.kept_slow, 2u);
}

/// Profiled as exact_profile(), but a graph whose spread is above 5% counts as unstable (and is not
/// measured again by the profiler itself, so the activation counts stay exact).
devices::ProfileOptions unstable_above_5_percent() {
  devices::ProfileOptions o = exact_profile();
  o.max_rel_spread = 0.05;
  o.max_remeasure = 0;
  return o;
}

TEST_F(HostSpeedTest, AChunkMeasuredOnAnUnsteadyHostIsMeasuredAgainOnceItSettles) {
  // Through the first chunk's measurement (activations 1..21) every other block runs twice as slow: each
  // graph's two rounds disagree by 2x, while the sentinels' medians see nothing wrong (they are the
  // fastest so far). Then the load stops. No final sweep: later sentinels would show this chunk's slow
  // too, which real bursts need not do.
  profile_ = unstable_above_5_percent();
  SpinPlatform platform({.base_us = 1000 * kBaseMs, .jitter = true, .jitter_until_activations = 21});
  HostSpeedOptions options = no_wait();
  options.final_sweep = false;
  const StoreMeasurementRun run = measure(platform, options);
  EXPECT_EQ(run.measured, 6u);
  for (const auto& row : rows_) EXPECT_LT(row.spread, 0.05) << row.config_key;
  EXPECT_EQ(run.unstable, 0u);
  EXPECT_EQ(run.host_speed.discarded, 1u);
  EXPECT_EQ(run.host_speed.kept_unsteady, 0u);
  EXPECT_EQ(run.host_speed.kept_slow, 0u);
}

TEST_F(HostSpeedTest, WithTheUnsteadyRuleOffAnUnsteadyChunkIsStoredAsMeasured) {
  profile_ = unstable_above_5_percent();
  SpinPlatform platform({.base_us = 1000 * kBaseMs, .jitter = true, .jitter_until_activations = 21});
  HostSpeedOptions options = no_wait();
  options.final_sweep = false;
  options.max_unstable_share = 1;
  const StoreMeasurementRun run = measure(platform, options);
  EXPECT_GT(rows_[0].spread, 0.2);
  EXPECT_GT(rows_[1].spread, 0.2);
  EXPECT_EQ(run.unstable, 2u);
  EXPECT_EQ(run.host_speed.discarded, 0u);
}

TEST_F(HostSpeedTest, AHostThatStaysUnsteadyIsMeasuredAnywayAndReportedUnsteady) {
  profile_ = unstable_above_5_percent();
  SpinPlatform platform({.base_us = 1000 * kBaseMs, .jitter = true});
  HostSpeedOptions options = no_wait();
  options.max_waits = 1;
  options.slow_phase_chunks = 5;
  const StoreMeasurementRun run = measure(platform, options);
  EXPECT_EQ(run.measured, 6u);
  EXPECT_EQ(run.unstable, 6u);
  EXPECT_EQ(run.host_speed.kept_unsteady, 3u);
  EXPECT_EQ(run.host_speed.discarded, 6u);  // per chunk, the wait's re-measurement and the final sweep's
  EXPECT_NE(describe(run.host_speed, options).find("3 kept unsteady"), std::string::npos)
      << describe(run.host_speed, options);
}

}  // namespace
}  // namespace hwnas::predictors
