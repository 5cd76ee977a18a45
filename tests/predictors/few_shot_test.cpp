// Few-shot device calibration on the shipped public latency tables.
#include "hwnas/predictors/few_shot/few_shot_predictor.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>

#include <gtest/gtest.h>
#include <unistd.h>

#include "hwnas/core/error.h"
#include "hwnas/predictors/few_shot/arch_encoding.h"
#include "hwnas/predictors/few_shot/measured_archs.h"
#include "error_of.h"

namespace hwnas::predictors {
namespace {

using hwnas::test::error_of;

TEST(Spearman, RanksByHandIncludingTies) {
  EXPECT_DOUBLE_EQ(spearman(std::vector<double>{1, 2, 3}, std::vector<double>{10, 20, 30}), 1.0);
  EXPECT_DOUBLE_EQ(spearman(std::vector<double>{1, 2, 3}, std::vector<double>{3, 2, 1}), -1.0);
  // a's ranks 0, 1.5, 1.5, 3 against 0, 1, 2, 3: 4.5 / sqrt(4.5 * 5).
  EXPECT_NEAR(spearman(std::vector<double>{1, 2, 2, 3}, std::vector<double>{1, 2, 3, 4}), 4.5 / std::sqrt(22.5), 1e-12);
  EXPECT_THROW(spearman(std::vector<double>{1}, std::vector<double>{1}), Error);
}

TEST(FewShot, AHeldOutDeviceCalibratedFromTwentySamplesRanksBetterThanFlops) {
  const auto space = spaces::make_space("nb201");
  const auto table = load_device_latency_table(*space);
  ASSERT_EQ(table.archs.size(), 15625u);
  const ArchEncoder encoder(*space, nullptr);
  const auto x = encoder.encode(table.archs);
  const std::size_t dim = encoder.size();
  const auto heads = pretrain_device_heads(table, x, dim, validation_devices("nb201"));
  EXPECT_EQ(std::count(heads.devices.begin(), heads.devices.end(), "titanx_32"), 0);

  const auto& truth = table.latency[table.device_index("titanx_32")];
  std::mt19937_64 rng(5);
  std::vector<double> sample_x, sample_y;
  for (int i = 0; i < 20; ++i) {
    const std::size_t r = rng() % table.archs.size();
    sample_x.insert(sample_x.end(), x.begin() + r * dim, x.begin() + (r + 1) * dim);
    sample_y.push_back(truth[r]);
  }
  const FewShotDevice device = calibrate_few_shot(heads, sample_x, sample_y, dim);
  std::vector<double> flops;
  for (std::size_t r = 0; r < table.archs.size(); ++r) flops.push_back(x[r * dim + dim - 2]);
  const double rho = spearman(device.predict(x), truth);
  EXPECT_GT(rho, spearman(flops, truth) + 0.05) << "few-shot " << rho;

  // Saved and loaded, it predicts the same.
  const auto dir = std::filesystem::temp_directory_path() / ("hwnas_few_shot_" + std::to_string(::getpid()));
  FewShotDevice named = device;
  named.space = "nb201";
  named.feature_names = encoder.feature_names();
  named.save(dir);
  EXPECT_TRUE(FewShotDevice::is_few_shot_dir(dir));
  const std::vector<double> some(x.begin(), x.begin() + 50 * dim);
  EXPECT_EQ(FewShotDevice::load(dir).predict(some), device.predict(some));
  std::filesystem::remove_all(dir);
  EXPECT_NE(error_of([] { FewShotDevice::load("/nonexistent"); }).find("/nonexistent"), std::string::npos);
  // A manifest naming a feature this build cannot compute: one error naming the device and the feature.
  FewShotDevice odd = named;
  odd.local_predictors = "libtorch-cpu-t1";
  odd.feature_names.back() = "zc:no_such_proxy";
  const std::string odd_error = error_of([&] { odd.encoder(*space, "DEVICE-DIR"); });
  EXPECT_NE(odd_error.find("DEVICE-DIR"), std::string::npos) << odd_error;
  EXPECT_NE(odd_error.find("no_such_proxy"), std::string::npos) << odd_error;
  sample_y.resize(4);
  sample_x.resize(4 * dim);
  EXPECT_NE(error_of([&] { calibrate_few_shot(heads, sample_x, sample_y, dim); }).find("at least 5"), std::string::npos);
}

TEST(FewShot, ADamagedDeviceManifestIsRefusedNotTurnedIntoInfiniteLatencies) {
  FewShotDevice device;
  device.space = "nb201";
  device.feature_names = {"bias", "log_mflops"};
  device.weights = {0.5, 1.0};
  device.reference_device = "pixel3";
  const auto dir = std::filesystem::temp_directory_path() / ("hwnas_few_shot_damaged_" + std::to_string(::getpid()));
  device.save(dir);
  const auto with_weights = [&](const std::string& weights_json) {
    std::ifstream in(dir / "manifest.json");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto at = text.find("\"weights\"");
    text.replace(at, text.find(']', at) + 1 - at, "\"weights\": " + weights_json);
    std::ofstream(dir / "manifest.json", std::ios::trunc) << text;
  };
  with_weights("[0.5, \"x\"]");
  EXPECT_NE(error_of([&] { FewShotDevice::load(dir); }).find("manifest.json: weights[1] is \"x\", expected a finite number"),
            std::string::npos);
  // Finite weights that overflow exp() on a real encoding: the answer is an error, never "inf ms".
  with_weights("[0.5, 1e300]");
  const FewShotDevice damaged = FewShotDevice::load(dir);
  const std::string message = error_of([&] { damaged.predict({1.0, 2.0, 1.0, 3.0}); });
  EXPECT_NE(message.find("architecture 1 of this call is predicted at inf ms"), std::string::npos) << message;
  with_weights("[0.5, 1.0]");
  EXPECT_NEAR(FewShotDevice::load(dir).predict({1.0, 2.0})[0], std::exp(2.5), 1e-12);
  std::filesystem::remove_all(dir);
}

TEST(FewShot, MeasurementNoiseAloneDoesNotMoveTheStartingHead) {
  // The new device is exactly what a known device's head predicts, 1.5x slower, measured with 3% noise:
  // all that fine-tuning could learn from 20 samples is the noise, so the head should keep its start
  // (the strongest pull of the grid). Leave-one-out on 20 samples is itself noisy: its minimum moved
  // the head in 12 of these 50 draws, the one-standard-error rule in 6.
  const auto space = spaces::make_space("nb201");
  const auto table = load_device_latency_table(*space);
  const ArchEncoder encoder(*space, nullptr);
  const auto x = encoder.encode(table.archs);
  const std::size_t dim = encoder.size();
  const auto heads = pretrain_device_heads(table, x, dim, validation_devices("nb201"));
  FewShotDevice known;
  known.weights = heads.weights.front();
  const auto known_ms = known.predict(x);
  std::mt19937_64 rng(11);
  std::normal_distribution<double> noise(0.0, 0.03);
  int kept = 0;
  for (int draw = 0; draw < 50; ++draw) {
    std::vector<double> sample_x, sample_y;
    for (int i = 0; i < 20; ++i) {
      const std::size_t r = rng() % table.archs.size();
      sample_x.insert(sample_x.end(), x.begin() + r * dim, x.begin() + (r + 1) * dim);
      sample_y.push_back(1.5 * known_ms[r] * std::exp(noise(rng)));
    }
    kept += calibrate_few_shot(heads, sample_x, sample_y, dim).ridge >= 1e9;
  }
  EXPECT_GE(kept, 40);
}

TEST(FewShot, MeasurementFilesAreReadStrictlyNamingTheRow) {
  const auto space = spaces::make_space("fbnet");
  const auto dir = std::filesystem::temp_directory_path() / ("hwnas_measured_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto file_with = [&](const std::string& name, const std::string& rows) {
    std::ofstream(dir / name) << "arch,latency_ms\n" << rows;
    return dir / name;
  };
  const std::string five = "0000000000000000000000,5\n1111111111111111111111,6\n2222222222222222222222,7\n"
                           "3333333333333333333333,8\n4444444444444444444444,9\n";
  EXPECT_EQ(read_measured_archs(file_with("ok.csv", five), *space).archs.size(), 5u);
  struct Case {
    std::string rows;
    std::string must_name;
  };
  const Case cases[] = {
      {five + "012,3\n", "bad.csv:7"},                        // not an FBNet architecture
      {five + "5555555555555555555555,-1\n", "'-1'"},         // non-positive
      {five + "5555555555555555555555,fast\n", "'fast'"},     // non-numeric
      {five + "0000000000000000000000,5.5\n", "line 2"},      // duplicate, naming the first
      {"0000000000000000000000,5\n", "at least 5"},           // too few
  };
  for (const auto& c : cases) {
    const std::string m = error_of([&] { read_measured_archs(file_with("bad.csv", c.rows), *space); });
    EXPECT_NE(m.find(c.must_name), std::string::npos) << m;
    EXPECT_NE(m.find("bad.csv"), std::string::npos) << m;
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace hwnas::predictors
