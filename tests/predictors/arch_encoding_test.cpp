// The few-shot architecture encoding: kernel mix counted by hand, proxies from the shipped tables equal
// to recomputing them, and the feature names as the contract a calibrated device is read back by.
#include "hwnas/predictors/few_shot/arch_encoding.h"

#include <cmath>
#include <unordered_set>

#include <gtest/gtest.h>

#include "hwnas/predictors/few_shot/device_latency_table.h"
#include "hwnas/predictors/proxies/proxy_table.h"
#include "proxy_cross_host_tolerance.h"

namespace hwnas::predictors {
namespace {

double feature(const ArchEncoder& encoder, const std::vector<double>& row, const std::string& name) {
  const auto& names = encoder.feature_names();
  const auto it = std::find(names.begin(), names.end(), name);
  if (it == names.end()) ADD_FAILURE() << "no feature " << name;
  return it == names.end() ? NAN : row[static_cast<std::size_t>(it - names.begin())];
}

TEST(ArchEncoding, KernelMixCountsTheKernelsOfTheNetworkByFamily) {
  // Without fusion rules every op is a kernel. The C=16 N=5 TinyNetwork has a stem conv, two residual
  // reduction blocks (two convs and a 1x1 shortcut conv behind a 2x2 average pool each), 15 cells of 6
  // edges, a global pool and one linear classifier.
  const auto space = spaces::make_space("nb201");
  const ArchEncoder encoder(*space, nullptr, {.kernel_mix = true});
  const auto all_conv = space->from_string(
      "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|");
  const auto no_conv = space->from_string("|none~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|none~1|skip_connect~2|");
  const auto x = encoder.encode({all_conv, no_conv});
  const std::vector<double> first(x.begin(), x.begin() + static_cast<long>(encoder.size()));
  const std::vector<double> second(x.begin() + static_cast<long>(encoder.size()), x.end());
  EXPECT_DOUBLE_EQ(feature(encoder, first, "k:conv:count"), std::log1p(1 + 2 * 3 + 15 * 6));
  EXPECT_DOUBLE_EQ(feature(encoder, second, "k:conv:count"), std::log1p(1 + 2 * 3));
  EXPECT_DOUBLE_EQ(feature(encoder, first, "k:dwconv:count"), 0.0);
  EXPECT_DOUBLE_EQ(feature(encoder, first, "k:dense:count"), std::log1p(1));
  EXPECT_DOUBLE_EQ(feature(encoder, first, "k:pool:count"), std::log1p(2 + 1));
  EXPECT_DOUBLE_EQ(feature(encoder, second, "k:pool:count"), std::log1p(2 + 1 + 15));  // one avg-pool edge per cell
  EXPECT_GT(feature(encoder, first, "k:conv:mflops"), feature(encoder, second, "k:conv:mflops"));
}

TEST(ArchEncoding, ShippedProxyTablesHoldTheSpacesAndMatchRecomputation) {
  for (const std::string name : {"nb201", "fbnet"}) {
    SCOPED_TRACE(name);
    const auto space = spaces::make_space(name);
    const auto table = shipped_proxy_table(*space);
    ASSERT_NE(table, nullptr);
    // Every architecture of the public latency table has its row (FBNet's in the same order).
    const auto latency = load_device_latency_table(*space);
    ASSERT_EQ(table->archs.size(), latency.archs.size());
    const std::unordered_set<spaces::Arch, spaces::ArchHash> rows(table->archs.begin(), table->archs.end());
    std::size_t present = 0, same_order = 0;
    for (std::size_t r = 0; r < latency.archs.size(); ++r) {
      const auto arch = space->normalize(latency.archs[r]);
      present += rows.contains(arch);
      same_order += table->archs[r] == arch;
    }
    EXPECT_EQ(present, latency.archs.size());
    if (name == "fbnet") EXPECT_EQ(same_order, latency.archs.size());

    // Looked up or computed afresh (the default ProxyOptions), every proxy of the table agrees, to the
    // precision the proxy has across CPUs: a feature log1p|v| moves by at most the relative change of v.
    const std::vector<spaces::Arch> probe = {table->archs.front(), table->archs[table->archs.size() / 2], table->archs.back()};
    const EncodingOptions options{.proxies = table->scores.front().names()};
    EncodingOptions with_table = options;
    with_table.proxy_table = table;
    const ArchEncoder looked_up(*space, nullptr, with_table), computed(*space, nullptr, options);
    const auto a = looked_up.encode(probe), b = computed.encode(probe);
    ASSERT_EQ(a.size(), b.size());
    const auto& names = computed.feature_names();
    for (std::size_t i = 0; i < a.size(); ++i) {
      const std::string_view feature_name = names[i % names.size()];
      const double tolerance = feature_name.starts_with("zc:")
                                   ? test::proxy_cross_host_tolerance(feature_name.substr(3))
                                   : 1e-9 * std::max(1.0, std::abs(b[i]));
      EXPECT_NEAR(a[i], b[i], tolerance) << feature_name;
    }
  }
  // Another dataset changes the classifier: no shipped table for it.
  EXPECT_EQ(shipped_proxy_table(*spaces::make_space("nb201", {{"dataset", "cifar100"}})), nullptr);
  EXPECT_EQ(shipped_proxy_table(*spaces::make_space("mobilenet")), nullptr);
}

TEST(ArchEncoding, ATableWithoutEveryProxyAskedForIsNotReadFrom) {
  const auto space = spaces::make_space("nb201");
  const auto arch = space->from_string("|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|avg_pool_3x3~0|none~1|nor_conv_3x3~2|");
  auto synflow_only = std::make_shared<ProxyTable>();
  synflow_only->archs = {arch};
  synflow_only->scores.resize(1);
  synflow_only->scores[0].values = {{"synflow", 12345.0}};  // not what synflow computes for it

  const EncodingOptions asked{.proxies = {"synflow", "l2_norm"}};
  EncodingOptions with_table = asked;
  with_table.proxy_table = synflow_only;
  const ArchEncoder partial(*space, nullptr, with_table), computed(*space, nullptr, asked);
  const auto row = partial.encode({arch});
  EXPECT_EQ(row, computed.encode({arch}));
  EXPECT_NE(feature(partial, row, "zc:synflow"), std::log1p(12345.0));

  // Holding every proxy asked for, it is read.
  const ArchEncoder from_table(*space, nullptr, {.proxies = {"synflow"}, .proxy_table = synflow_only});
  EXPECT_EQ(feature(from_table, from_table.encode({arch}), "zc:synflow"), std::log1p(12345.0));
}

TEST(ArchEncoding, FeatureNamesGiveBackTheOptionsThatMadeThem) {
  const auto space = spaces::make_space("fbnet");
  for (const EncodingOptions& options :
       {EncodingOptions{}, EncodingOptions{.kernel_mix = true}, EncodingOptions{.proxies = {"l2_norm"}},
        EncodingOptions{.kernel_mix = true, .proxies = {"l2_norm", "synflow"}}}) {
    const ArchEncoder encoder(*space, nullptr, options);
    const ArchEncoder again(*space, nullptr, EncodingOptions::from_feature_names(encoder.feature_names()));
    EXPECT_EQ(again.feature_names(), encoder.feature_names());
  }
  EXPECT_THROW(ArchEncoder(*space, nullptr, {.proxies = {"no_such_proxy"}}), Error);
}

}  // namespace
}  // namespace hwnas::predictors
