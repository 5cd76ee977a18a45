#include "hwnas/devices/platform.h"

#include <cmath>

#include <gtest/gtest.h>

#include "quick_profile.h"

#include "hwnas/core/cost.h"
#include "hwnas/core/error.h"
#include "hwnas/devices/libtorch_platform.h"

namespace hwnas::devices {
namespace {

core::Graph conv_graph(std::int64_t hw, std::int64_t channels) {
  core::Graph g("conv");
  auto x = g.input({1, channels, hw, hw});
  g.mark_output(g.unary(core::OpKind::kRelu,
                        g.batch_norm(g.conv2d(x, {.out_channels = channels, .kernel = 3, .padding = 1}))));
  return g;
}

TEST(Platform, RegistryHoldsExactlyTheBuiltIns) {
  EXPECT_EQ(platform_registry().names(),
            (std::vector<std::string>{"libtorch-cpu-t1", "libtorch-cpu-t2", "opencv-cpu-t1", "torchscript-cpu-t1"}));
  for (const auto& name : platform_registry().names()) {
    EXPECT_EQ(make_platform(name)->name(), name);
    EXPECT_FALSE(platform_registry().description(name).empty()) << name;
  }
}

TEST(Platform, UnknownNameListsValidOnes) {
  try {
    make_platform("gpu-t1");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("'gpu-t1'"), std::string::npos) << message;
    for (const char* name : {"libtorch-cpu-t1", "libtorch-cpu-t2", "opencv-cpu-t1", "torchscript-cpu-t1"})
      EXPECT_NE(message.find(name), std::string::npos) << message;
  }
}

TEST(Platform, FingerprintFieldsAreFilledAndStable) {
  // The LibTorch platforms; opencv-cpu-t1's fingerprint is checked in opencv_platform_test.cpp.
  struct Expected {
    const char* name;
    int threads;
    const char* engine;
  };
  for (auto [name, threads, engine] : {Expected{"libtorch-cpu-t1", 1, "eager"}, Expected{"libtorch-cpu-t2", 2, "eager"},
                                       Expected{"torchscript-cpu-t1", 1, "torchscript/onednn-groups"}}) {
    const auto a = make_platform(name)->fingerprint();
    EXPECT_EQ(a.platform, name);
    EXPECT_FALSE(a.cpu_model.empty());
    EXPECT_NE(a.cpu_model, "unknown");  // Linux hosts have /proc/cpuinfo
    EXPECT_GE(a.cores, 1);
    EXPECT_EQ(a.torch_version.rfind("1.", 0), 0u) << a.torch_version;
    EXPECT_EQ(a.threads, threads);
    EXPECT_EQ(a.engine, engine);
    // Stable: another instance (and another call) gives the same identity.
    const auto platform = make_platform(name);
    EXPECT_EQ(platform->fingerprint(), a);
    EXPECT_EQ(platform->fingerprint().hash(), a.hash());
  }
  EXPECT_NE(make_platform("libtorch-cpu-t1")->fingerprint().hash(), make_platform("libtorch-cpu-t2")->fingerprint().hash());
}

TEST(Platform, MeasuresASmallGraph) {
  for (const auto& name : platform_registry().names()) {
    auto platform = make_platform(name);
    auto options = hwnas::test::quick_profile_options();
    const Measurement m = platform->measure(conv_graph(8, 8), options);
    EXPECT_TRUE(std::isfinite(m.median_ms)) << name;
    EXPECT_GT(m.median_ms, 0) << name;
    EXPECT_TRUE(std::isfinite(m.spread)) << name;
    EXPECT_GE(m.spread, 0) << name;
    EXPECT_EQ(m.repeats, options.repeats * options.rounds) << name;
    EXPECT_EQ(m.rounds, options.rounds) << name;
    EXPECT_GE(m.inner_iterations, 1) << name;
    EXPECT_LE(m.min_ms, m.median_ms) << name;
    EXPECT_LE(m.median_ms, m.max_ms) << name;
    // One intra-op thread: the run happens on the calling thread, so its CPU time is the latency.
    const bool one_thread = platform->fingerprint().threads == 1;
    EXPECT_EQ(m.time_source, one_thread ? TimeSource::kThreadCpuTime : TimeSource::kWallClock) << name;
  }
}

TEST(Platform, BiggerConvMeasuresSlower) {
  // 3x3 conv, 64 channels at 96x96 vs 16 channels at 48x48: (64/16)^2 * (96/48)^2 = 64x the FLOPs.
  // Both inputs hold > 20480 elements, so LibTorch 1.13 runs both through oneDNN; below that it
  // takes its im2col + BLAS path for batch-1 3x3 convs, which is far slower per FLOP on this host
  // (Debian's reference BLAS), and a 64x FLOP ratio across the two paths is not a 4x time ratio.
  const auto big = conv_graph(96, 64);
  const auto small = conv_graph(48, 16);
  ASSERT_GT(core::graph_cost(big).flops, 60 * core::graph_cost(small).flops);
  auto platform = make_platform("libtorch-cpu-t1");
  const auto m = measure_interleaved(*platform, {small, big}, hwnas::test::quick_profile_options());
  ASSERT_EQ(m.size(), 2u);
  EXPECT_GT(m[1].median_ms, 4 * m[0].median_ms) << m[0].median_ms << " vs " << m[1].median_ms;
}

TEST(Platform, PrepareRejectsBadThreads) {
  EXPECT_THROW(make_libtorch_platform({.name = "x", .threads = 0}), Error);
  EXPECT_THROW(make_libtorch_platform({.name = "", .threads = 1}), Error);
  auto custom = make_libtorch_platform({.name = "libtorch-cpu-t3", .threads = 3});
  EXPECT_EQ(custom->fingerprint().threads, 3);
  EXPECT_EQ(custom->name(), "libtorch-cpu-t3");
}

}  // namespace
}  // namespace hwnas::devices
