#include "hwnas/predictors/profiling/fusion_detection.h"

#include <gtest/gtest.h>

namespace hwnas::predictors {
namespace {

TEST(FusionDetection, DecisionOnSyntheticTimings) {
  // Separate launches: the block costs the sum (plus noise) -> not fused.
  EXPECT_FALSE(is_fused(1.0, 0.2, 1.2));
  EXPECT_FALSE(is_fused(1.0, 0.2, 1.15));  // saves 0.05 < 0.5 * 0.2
  // The follower disappears into the leader (conv-bn folding): the block costs about the leader.
  EXPECT_TRUE(is_fused(1.0, 0.2, 1.0));
  EXPECT_TRUE(is_fused(1.0, 0.2, 1.09));   // saves 0.11 > 0.1
  // The threshold is relative to the cheaper op, whichever comes first.
  EXPECT_TRUE(is_fused(0.2, 1.0, 1.05));
  EXPECT_FALSE(is_fused(0.2, 1.0, 1.15));
  // A stricter alpha demands more saving.
  EXPECT_FALSE(is_fused(1.0, 0.2, 1.09, 0.9));
}

TEST(FusionDetection, FrozenTorchScriptFoldsConvBatchNormAndEagerDoesNot) {
  FusionDetectionOptions options;
  options.leaders = {"conv"};
  options.followers = {"bn"};
  options.hw = 28;  // smaller than the default to keep the test quick
  options.profile.repeats = 5;
  options.profile.rounds = 3;
  auto scripted = devices::make_platform("torchscript-cpu-t1");
  const auto folded = detect_fusion_rules(*scripted, options);
  ASSERT_GE(folded.tests.size(), 1u);  // a fused conv-bn is then extended to conv-bn-bn
  EXPECT_TRUE(folded.tests[0].fused) << folded.tests[0].t_first_ms << " + " << folded.tests[0].t_second_ms
                                     << " vs block " << folded.tests[0].t_block_ms;
  EXPECT_TRUE(folded.rules.matches({"conv", "bn"}));
  auto eager = devices::make_platform("libtorch-cpu-t1");
  const auto separate = detect_fusion_rules(*eager, options);
  ASSERT_EQ(separate.tests.size(), 1u);
  EXPECT_FALSE(separate.tests[0].fused) << separate.tests[0].t_first_ms << " + " << separate.tests[0].t_second_ms
                                        << " vs block " << separate.tests[0].t_block_ms;
}

}  // namespace
}  // namespace hwnas::predictors
