#include "hwnas/predictors/profiling/store_recheck.h"

#include <filesystem>

#include <gtest/gtest.h>
#include <unistd.h>

#include "error_of.h"
#include "hwnas/devices/measurement_store.h"
#include "hwnas/predictors/sampling/kernel_sample.h"

namespace hwnas::predictors {
namespace {

namespace fs = std::filesystem;

/// A 3x3 conv on 56x56: ~60-110 MFLOPs, about a millisecond or more on one core.
std::string conv_config(std::int64_t channels) {
  core::Graph g("conv");
  g.mark_output(g.conv2d(g.input({1, channels, 56, 56}), {.out_channels = channels, .kernel = 3, .padding = 1}));
  return kernel_config_json(g);
}

devices::StoredMeasurement row(const devices::PlatformFingerprint& fp, const std::string& config,
                               const std::string& campaign, double stored_ms) {
  return {.platform_key = fp.key(), .platform_json = fp.to_json(), .kernel_type = "conv", .config_key = config,
          .campaign = campaign, .median_ms = stored_ms, .spread = 0.01, .repeats = 10, .min_ms = stored_ms,
          .mean_ms = stored_ms};
}

StoreRecheckOptions quick() {
  StoreRecheckOptions o;
  o.profile.repeats = 2;
  o.profile.rounds = 2;
  o.profile.max_remeasure = 0;
  return o;
}

class StoreRecheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("hwnas_recheck_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(StoreRecheckTest, ComparesEachCampaignWithTheHostAsItIsNow) {
  auto platform = devices::make_platform("libtorch-cpu-t1");
  const auto fp = platform->fingerprint();
  auto store = devices::MeasurementStore::open(dir_ / "m.db");
  // "then-slow" stored a ~1 ms conv at 100 ms, "then-fast" a ~1-2 ms conv at 0.06 ms: whatever this host's
  // speed, the first is far faster now and the second far slower. A row of another host is not rechecked.
  store.put(row(fp, conv_config(32), "then-slow", 100.0));
  store.put(row(fp, conv_config(48), "then-fast", 0.06));
  devices::PlatformFingerprint other = fp;
  other.cpu_model = "another cpu";
  store.put(row(other, conv_config(40), "then-slow", 1.0));

  const auto report = recheck_store(*platform, store, quick());
  ASSERT_EQ(report.kernels.size(), 2u);
  EXPECT_EQ(report.all.counted, 2u);
  ASSERT_EQ(report.by_campaign.size(), 2u);
  EXPECT_LT(report.by_campaign.at("then-slow").median_ratio, 0.2);
  EXPECT_GT(report.by_campaign.at("then-fast").median_ratio, 5.0);
  EXPECT_EQ(report.all.within_10, 0.0);
  for (const auto& k : report.kernels) EXPECT_GT(k.now_ms, 0.0);
}

TEST_F(StoreRecheckTest, DrawsTheSameKernelsUnderASeedAndRefusesAnotherHostsStore) {
  auto platform = devices::make_platform("libtorch-cpu-t1");
  const auto fp = platform->fingerprint();
  {
    auto store = devices::MeasurementStore::open(dir_ / "m.db");
    for (std::int64_t c : {8, 12, 16, 20, 24}) store.put(row(fp, conv_config(c), "c", 1.0));
  }
  const auto store = devices::MeasurementStore::open(dir_ / "m.db", false);
  auto options = quick();
  options.samples_per_campaign = 2;
  const auto first = recheck_store(*platform, store, options);
  const auto second = recheck_store(*platform, store, options);
  ASSERT_EQ(first.kernels.size(), 2u);
  ASSERT_EQ(second.kernels.size(), 2u);
  // The draw is a function of the seed (the latencies are not): compare what was drawn.
  for (std::size_t i = 0; i < 2; ++i) EXPECT_EQ(first.kernels[i].config_key, second.kernels[i].config_key);
  EXPECT_NE(first.kernels[0].config_key, first.kernels[1].config_key);

  devices::PlatformFingerprint other = fp;
  other.cpu_model = "another cpu";
  auto foreign = devices::MeasurementStore::open(dir_ / "foreign.db");
  foreign.put(row(other, conv_config(8), "c", 1.0));
  const std::string message = hwnas::test::error_of([&] { recheck_store(*platform, foreign, quick()); });
  EXPECT_NE(message.find("no kernel measured on libtorch-cpu-t1"), std::string::npos) << message;
  EXPECT_NE(message.find("foreign.db"), std::string::npos) << message;
}

}  // namespace
}  // namespace hwnas::predictors
