#include "hwnas/predictors/profiling/store_repeatability.h"

#include <gtest/gtest.h>

#include "quick_profile.h"
#include "spin_platform.h"

#include "hwnas/core/error.h"
#include "hwnas/devices/repeatability.h"

namespace hwnas::predictors {
namespace {

using test::SpinPlatform;
using test::tiny_graph;

TEST(StoreRepeatability, APassMeasuredOnASlowHostIsMeasuredAgainWhereThePlainCheckReportsTheHost) {
  const std::vector<core::Graph> graphs(4, tiny_graph());
  HostSpeedOptions no_wait;
  no_wait.first_wait_seconds = 0;

  // The four graphs and five sentinels make a pass of 9 x 3 = 27 activations; the host runs twice as
  // slow through the first. Nothing in that pass can tell (its sentinels are as slow as its graphs), but
  // the second pass's sentinels can, and the final sweep measures the first pass again.
  SpinPlatform watched({.base_us = 300, .slower_after_activations = 0, .slowdown = 2.0, .faster_after_activations = 27});
  const StoreRepeatabilityReport report = check_store_repeatability(watched, graphs, test::exact_activation_profile(), no_wait, 0.05);
  EXPECT_EQ(watched.counters.activations, 81);  // two passes and the first one's sweep
  ASSERT_EQ(report.agreement.counted, 4u);
  for (double diff : report.agreement.rel_diff) EXPECT_LT(diff, 0.3);
  EXPECT_EQ(report.host_speed.discarded, 1u);
  EXPECT_EQ(report.host_speed.kept_slow, 0u);
  EXPECT_GT(report.agreement.seconds_per_graph, 0.0);

  // The plain check on the same host (its first pass, 4 x 3 activations, twice as slow) reports the host.
  SpinPlatform plain({.base_us = 300, .slower_after_activations = 0, .slowdown = 2.0, .faster_after_activations = 12});
  const devices::RepeatabilityReport raw = devices::check_repeatability(plain, graphs, test::exact_activation_profile(), 0.05);
  EXPECT_EQ(raw.within_5pct, 0.0);
  EXPECT_NEAR(raw.host_drift, -0.5, 0.15);
}

TEST(StoreRepeatability, PassesOfDifferentLengthsAreRefused) {
  EXPECT_THROW(devices::compare_passes({devices::Measurement{}}, {}), Error);
}

}  // namespace
}  // namespace hwnas::predictors
