#pragma once
/// Detecting which op sequences a platform fuses, by nn-Meter's test: measure op1 alone, op2 alone (on
/// op1's output) and the block op1->op2; the pair runs as one kernel iff
///     T1 + T2 - T12 > alpha * min(T1, T2)
/// i.e. the block saves more than a fraction alpha of the cheaper op, which separate launches cannot.
/// A fused pair is then extended by each follower to test three-op sequences (conv-bn-relu).
///
/// Two departures from nn-Meter, both because this host is noisy: the test shapes make the follower's
/// cost comparable to the leader's (a cheap 1x1 conv onto a large tensor rather than nn-Meter's 3x3 conv
/// of 64->128 channels at 28x28, next to which a batch norm costs 0.3% -- less than the conv's own noise),
/// and a pair counts as fused only if the saving also exceeds the measurements' noise (their IQRs).

#include <string>
#include <vector>

#include "hwnas/devices/platform.h"
#include "hwnas/devices/profiler.h"
#include "hwnas/predictors/kernels/fusion_rules.h"
#include "hwnas/predictors/kernels/kernel.h"

namespace hwnas::predictors {

/// nn-Meter's decision on measured latencies (any unit).
bool is_fused(double t_first, double t_second, double t_block, double alpha = 0.5);

struct FusionTest {
  FusionPattern first;   ///< the leading op or already-fused sequence
  std::string second;    ///< the op appended to it
  double t_first_ms = 0, t_second_ms = 0, t_block_ms = 0;
  double noise_ms = 0;  ///< sum of the three measurements' interquartile ranges (last vote)
  int fused_votes = 0;  ///< how many of the votes found the pair fused
  bool fused = false;
};

struct FusionDetectionOptions {
  double alpha = 0.5;
  /// Output tensor of every leader (channels x hw x hw); convs read `conv_cin` channels.
  std::int64_t hw = 56;
  std::int64_t channels = 256;
  std::int64_t conv_cin = 16;
  /// Independent measurements of each test; the majority decides (odd, so there is one).
  int votes = 3;
  std::vector<std::string> leaders = {"conv", "dwconv", "fc", "maxpool", "avgpool", "bn", "add"};
  std::vector<std::string> followers = {"bn", "relu", "relu6", "hswish", "add"};
  devices::ProfileOptions profile;  ///< each test's three latencies are measured interleaved
};

struct FusionDetectionReport {
  FusionRules rules;               ///< every fused sequence found
  std::vector<FusionTest> tests;   ///< every test run, fused or not
};

/// Runs the pair tests (and the three-op extensions of fused pairs) on `platform`.
/// `progress(done, total)` is called after each test.
FusionDetectionReport detect_fusion_rules(devices::Platform& platform, const FusionDetectionOptions& options,
                                          const std::function<void(std::size_t, std::size_t)>& progress = {});

}  // namespace hwnas::predictors
