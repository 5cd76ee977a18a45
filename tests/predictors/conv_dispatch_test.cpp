#include "hwnas/predictors/kernels/conv_dispatch.h"

#include <algorithm>
#include <set>
#include <string>

#include <ATen/record_function.h>
#include <gtest/gtest.h>

#include "hwnas/devices/platform.h"
#include "hwnas/predictors/kernels/decomposer.h"
#include "hwnas/predictors/kernels/kernel_features.h"
#include "hwnas/predictors/predictor_set.h"

namespace hwnas::predictors {
namespace {

/// A dense or grouped convolution of a (1, cin, hw, hw) input, as one kernel with its standalone graph.
struct ConvCase {
  std::int64_t cin, hw, cout, kernel, stride, groups;
};

core::Graph conv_graph(const ConvCase& c) {
  core::Graph g("conv");
  g.mark_output(g.conv2d(g.input({1, c.cin, c.hw, c.hw}), {.out_channels = c.cout, .kernel = c.kernel,
                                                           .stride = c.stride, .padding = c.kernel / 2,
                                                           .groups = c.groups}));
  return g;
}

Kernel only_kernel(const core::Graph& g) {
  const auto kernels = decompose(g, default_fusion_rules("libtorch-cpu-t1"));
  EXPECT_EQ(kernels.size(), 1u);
  return kernels.front();
}

// The ATen ops the calling thread ran while the callback was installed.
thread_local std::set<std::string> ops_seen;
std::unique_ptr<at::ObserverContext> note_op(const at::RecordFunction& fn) {
  ops_seen.insert(fn.name());
  return nullptr;
}

/// Whether LibTorch ran this graph's convolution on oneDNN on `platform`: the real dispatch, read from
/// the ops ATen reports to a RecordFunction observer during one run.
bool runs_on_onednn(const std::string& platform, const core::Graph& graph) {
  auto prepared = devices::make_platform(platform)->prepare(graph);
  prepared->activate();
  ops_seen.clear();
  const auto handle = at::addThreadLocalCallback(at::RecordFunctionCallback(note_op));
  prepared->run(1);
  at::removeCallback(handle);
  EXPECT_TRUE(ops_seen.count("aten::convolution")) << "the observer saw no convolution on " << platform;
  return ops_seen.count("aten::mkldnn_convolution") > 0;
}

TEST(ConvDispatch, FollowsEachPlatformsFingerprint) {
  auto of = [](const std::string& platform) { return conv_dispatch_of(devices::make_platform(platform)->fingerprint().to_json()); };
  EXPECT_EQ(of("libtorch-cpu-t1"), ConvDispatch::kAtenOneThread);
  EXPECT_EQ(of("libtorch-cpu-t2"), ConvDispatch::kAtenThreaded);
  EXPECT_EQ(of("torchscript-cpu-t1"), ConvDispatch::kAlwaysBlocked);
  EXPECT_EQ(of("opencv-cpu-t1"), ConvDispatch::kAlwaysBlocked);
  EXPECT_EQ(conv_dispatch_of("{}"), ConvDispatch::kAlwaysBlocked);
  EXPECT_EQ(conv_dispatch_of("not json"), ConvDispatch::kAlwaysBlocked);
  EXPECT_EQ(conv_dispatch_of(R"({"engine": "eager", "threads": "one"})"), ConvDispatch::kAlwaysBlocked);
}

// The rule against what LibTorch really does with each convolution on the two eager platforms.
TEST(ConvDispatch, PredictsWhereLibTorchEagerRunsEachConvolution) {
  const std::vector<ConvCase> cases = {
      {16, 32, 16, 3, 1, 1},  // NB201's most frequent conv: 16384 input elements, native on both
      {64, 56, 64, 1, 1, 1},  // 1x1 unstrided on a large input: native on one thread only
      {64, 56, 64, 3, 1, 1},  // 3x3 on a large input: oneDNN
      {16, 16, 32, 1, 2, 1},  // strided 1x1 on a small input: native
      {32, 28, 64, 1, 2, 1},  // strided 1x1 on a large input: oneDNN
      {16, 16, 16, 5, 1, 1},  // 5x5: oneDNN
      {32, 16, 32, 3, 1, 32}, // depthwise: oneDNN
      {64, 8, 64, 1, 1, 4},   // grouped 1x1: native on one thread only
  };
  for (const auto& c : cases) {
    const core::Graph g = conv_graph(c);
    const Kernel kernel = only_kernel(g);
    SCOPED_TRACE(kernel.key);
    EXPECT_EQ(takes_native_conv_path(ConvDispatch::kAtenOneThread, kernel.config),
              !runs_on_onednn("libtorch-cpu-t1", kernel_graph(g, kernel)));
    EXPECT_EQ(takes_native_conv_path(ConvDispatch::kAtenThreaded, kernel.config),
              !runs_on_onednn("libtorch-cpu-t2", kernel_graph(g, kernel)));
    EXPECT_FALSE(takes_native_conv_path(ConvDispatch::kAlwaysBlocked, kernel.config));
  }
}

TEST(ConvDispatch, OnlyConvolutionsTakeTheNativePath) {
  core::Graph g("pool_fc");
  g.mark_output(g.linear(g.flatten(g.max_pool(g.input({1, 16, 8, 8}), {.kernel = 2, .stride = 2})), {.out_features = 10}));
  for (const auto& kernel : decompose(g, default_fusion_rules("libtorch-cpu-t1"))) {
    EXPECT_FALSE(takes_native_conv_path(ConvDispatch::kAtenOneThread, kernel.config)) << kernel.type;
    EXPECT_FALSE(takes_native_conv_path(ConvDispatch::kAtenThreaded, kernel.config)) << kernel.type;
  }
}

// Reference BLAS on the native path pays the same per multiply-add whatever the channel count; oneDNN
// computes channels in blocks of 16. The padding features say so only where the blocking happens.
TEST(KernelFeaturesTest, ChannelPaddingOnlyWhereTheConvolutionIsBlocked) {
  const auto& names = KernelFeatures::names();
  auto column = [&](std::string_view name) { return static_cast<std::size_t>(std::find(names.begin(), names.end(), name) - names.begin()); };
  const std::size_t native = column("native_conv"), cin_padding = column("cin_padding"), cout_padding = column("cout_padding");
  const Kernel stem = only_kernel(conv_graph({3, 32, 16, 3, 1, 1}));  // NB201's stem, native on eager LibTorch

  const auto eager = KernelFeatures::of(stem.config, ConvDispatch::kAtenOneThread);
  EXPECT_EQ(eager[native], 1.0);
  EXPECT_EQ(eager[cin_padding], 1.0);
  EXPECT_EQ(eager[cout_padding], 1.0);

  const auto blocked = KernelFeatures::of(stem.config, ConvDispatch::kAlwaysBlocked);
  EXPECT_EQ(blocked[native], 0.0);
  EXPECT_DOUBLE_EQ(blocked[cin_padding], 16.0 / 3.0);  // 3 channels computed as 16
  EXPECT_EQ(blocked[cout_padding], 1.0);

  const Kernel wide = only_kernel(conv_graph({24, 56, 40, 3, 1, 1}));  // oneDNN on eager LibTorch too
  const auto onednn = KernelFeatures::of(wide.config, ConvDispatch::kAtenOneThread);
  EXPECT_EQ(onednn[native], 0.0);
  EXPECT_DOUBLE_EQ(onednn[cin_padding], 32.0 / 24.0);
  EXPECT_DOUBLE_EQ(onednn[cout_padding], 48.0 / 40.0);
}

TEST(KernelFeaturesTest, APredictorSetComputesFeaturesUnderItsPlatformsDispatch) {
  const Kernel stem = only_kernel(conv_graph({3, 32, 16, 3, 1, 1}));
  for (const std::string platform : {"libtorch-cpu-t1", "torchscript-cpu-t1"}) {
    const std::string fingerprint = devices::make_platform(platform)->fingerprint().to_json();
    const PredictorSet set(platform, fingerprint, default_fusion_rules(platform));
    EXPECT_EQ(set.conv_dispatch(), conv_dispatch_of(fingerprint)) << platform;
    EXPECT_EQ(set.features_of(stem.config), KernelFeatures::of(stem.config, conv_dispatch_of(fingerprint))) << platform;
  }
}

}  // namespace
}  // namespace hwnas::predictors
