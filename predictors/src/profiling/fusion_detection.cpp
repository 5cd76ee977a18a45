#include "hwnas/predictors/profiling/fusion_detection.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "hwnas/predictors/sampling/kernel_builder.h"

namespace hwnas::predictors {
namespace {

std::string join(const FusionPattern& tokens) { return fmt::format("{}", fmt::join(tokens, "-")); }

/// The second op measured alone, on the tensor the first produces.
KernelSample follower_alone(const std::string& op, const core::Graph& first) {
  const core::Shape& out = first.shape(first.outputs().front());
  KernelConfig c;
  if (out.size() == 4) {
    c.cin = out[1];
    c.h = out[2];
    c.w = out[3];
  } else {
    c.cin = out.back();
    c.seq_len = out.size() == 3 ? out[1] : 0;
  }
  if (out.size() == 2) {  // after fc: (N, C) -- measure the follower on a 1x1 map of C channels
    c.h = c.w = 1;
  }
  return build_kernel(op, c);
}

/// Shapes of a test starting with `leader`: all leaders produce the same channels x hw x hw tensor, so
/// followers cost the same after each; fc works on a vector of nn-Meter's 1-D size.
KernelConfig leader_config(const std::string& leader, const FusionDetectionOptions& o) {
  KernelConfig c{.h = o.hw, .w = o.hw, .cin = o.channels, .cout = o.channels, .kernel = 3, .stride = 1};
  if (leader == "conv") {
    c.cin = o.conv_cin;
    c.kernel = 1;
  }
  if (leader == "fc") c = KernelConfig{.cin = 428, .cout = 428};
  return c;
}

bool buildable(const std::string& type, const KernelConfig& config) {
  try {
    build_kernel(type, config);
    return true;
  } catch (const Error&) {
    return false;
  }
}

}  // namespace

bool is_fused(double t_first, double t_second, double t_block, double alpha) {
  return t_first + t_second - t_block > alpha * std::min(t_first, t_second);
}

FusionDetectionReport detect_fusion_rules(devices::Platform& platform, const FusionDetectionOptions& options,
                                          const std::function<void(std::size_t, std::size_t)>& progress) {
  FusionDetectionReport report;
  report.rules.platform = platform.name();
  report.rules.source = fmt::format("detected by hwnas profile --detect-fusion (alpha {})", options.alpha);

  std::vector<FusionPattern> queue;
  for (const auto& leader : options.leaders) queue.push_back({leader});
  std::size_t planned = queue.size() * options.followers.size();
  std::size_t done = 0;
  for (std::size_t q = 0; q < queue.size(); ++q) {
    const FusionPattern first = queue[q];
    for (const auto& second : options.followers) {
      FusionPattern block = first;
      block.push_back(second);
      const KernelConfig config = leader_config(first.front(), options);
      if (!buildable(join(block), config)) {
        ++done;
        continue;
      }
      const KernelSample first_alone = build_kernel(join(first), config);
      const KernelSample second_alone = follower_alone(second, first_alone.graph);
      const KernelSample together = build_kernel(join(block), config);
      FusionTest test{first, second, 0, 0, 0, 0, 0, false};
      const int votes = std::max(1, options.votes | 1);
      for (int vote = 0; vote < votes; ++vote) {
        devices::ProfileOptions profile = options.profile;
        profile.seed += static_cast<std::uint64_t>(vote);
        const auto m = devices::measure_interleaved(
            platform, {first_alone.graph, second_alone.graph, together.graph}, profile);
        test.t_first_ms = m[0].median_ms;
        test.t_second_ms = m[1].median_ms;
        test.t_block_ms = m[2].median_ms;
        test.noise_ms = 0;
        for (const auto& x : m) test.noise_ms += x.q3_ms - x.q1_ms;
        const double saving = test.t_first_ms + test.t_second_ms - test.t_block_ms;
        test.fused_votes += is_fused(test.t_first_ms, test.t_second_ms, test.t_block_ms, options.alpha) &&
                            saving > test.noise_ms;
      }
      test.fused = 2 * test.fused_votes > votes;
      report.tests.push_back(test);
      if (test.fused) {
        report.rules.patterns.push_back(block);
        if (block.size() < 3) {  // extend a fused pair by one more op
          queue.push_back(block);
          planned += options.followers.size();
        }
      }
      if (progress) progress(++done, planned);
    }
  }
  return report;
}

}  // namespace hwnas::predictors
