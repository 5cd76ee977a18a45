// Kernel-level transfer (LitePred): the similarity score, the source ranking (with the original's
// inverted sort fixed), MLP fine-tuning, and adaptation of a real platform from a few real samples.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <numeric>

#include "error_of.h"
#include "hwnas/devices/measurement_store.h"
#include "hwnas/predictors/profiling/network_sample.h"
#include "hwnas/predictors/regressors/linear_regressor.h"
#include "hwnas/predictors/regressors/synthetic.h"
#include "hwnas/predictors/transfer/platform_adaptation.h"
#include "hwnas/predictors/transfer/platform_calibration.h"

namespace hwnas::predictors {
namespace {

using hwnas::test::error_of;

const std::filesystem::path kData = HWNAS_TEST_DATA_DIR;

TEST(LatencyDistributionKl, MatchesAHandComputedCase) {
  // p = [1, 3] -> [0.25, 0.75]; q = [2, 2] -> [0.5, 0.5]:
  // KL = 0.25 ln(0.25/0.5) + 0.75 ln(0.75/0.5) = -0.1732868 + 0.3040988 = 0.1308120.
  const std::vector<double> p = {1, 3}, q = {2, 2};
  EXPECT_NEAR(latency_distribution_kl(p, q), 0.1308120, 1e-6);
}

TEST(LatencyDistributionKl, IgnoresACommonScaleAndIsZeroOnlyForTheSameShape) {
  const std::vector<double> measured = {0.1, 0.4, 2.0, 7.5};
  const std::vector<double> twice = {0.2, 0.8, 4.0, 15.0};
  const std::vector<double> reordered = {7.5, 2.0, 0.4, 0.1};
  EXPECT_NEAR(latency_distribution_kl(twice, measured), 0.0, 1e-12);
  EXPECT_GT(latency_distribution_kl(reordered, measured), 0.5);
}

TEST(LatencyDistributionKl, RejectsMismatchedOrNonPositiveVectors) {
  const std::vector<double> two = {1, 2}, three = {1, 2, 3}, with_zero = {0, 1};
  EXPECT_NE(error_of([&] { latency_distribution_kl(two, three); }).find("2 predicted vs 3 measured"), std::string::npos);
  EXPECT_NE(error_of([&] { latency_distribution_kl(with_zero, two); }).find("not a positive latency"),
            std::string::npos);
}

/// A one-type pool set whose "conv" regressor is a linear law fitted to `data`.
PredictorSet linear_set(const std::string& platform, const KernelDataset& data) {
  PredictorSet set(platform, "{}", FusionRules{platform, "test", {}});
  auto regressor = std::make_unique<LinearRegressor>();
  regressor->fit(data, {}, {});
  set.set_regressor("conv", std::move(regressor));
  return set;
}

TEST(RankSources, PutsTheSameShapedPlatformFirstAndTheUnrelatedOneLast) {
  const auto kernels = synthetic_kernels("conv", 80, 5);
  const KernelDataset target = synthetic_dataset(kernels, SyntheticLaw::kLinear, 0.0, 1);
  // "slower": the target's law exactly, 3x slower (a linear law fits it exactly): a perfect shape match.
  KernelDataset slower = target;
  for (double& ms : slower.latency_ms) ms *= 3;
  // "stepped": a different compute efficiency below 48 channels; "flat": every kernel 1 ms.
  const KernelDataset stepped = synthetic_dataset(kernels, SyntheticLaw::kChannelStep, 0.0, 1);
  KernelDataset flat = target;
  std::fill(flat.latency_ms.begin(), flat.latency_ms.end(), 1.0);

  KnowledgePool pool;
  pool.push_back(linear_set("flat", flat));
  pool.push_back(linear_set("slower", slower));
  pool.push_back(linear_set("stepped", stepped));
  const auto ranking = rank_sources(pool, "conv", target);
  ASSERT_EQ(ranking.size(), 3u);
  EXPECT_EQ(ranking.front().platform, "slower");
  EXPECT_LT(ranking.front().kl, 1e-6);
  // LitePred's code sorts descending and would have picked this one.
  EXPECT_EQ(ranking.back().platform, "flat");
  EXPECT_LT(ranking[1].kl, ranking[2].kl);
  // A fused type is served by the pool's regressor of the same leading op.
  EXPECT_EQ(rank_sources(pool, "conv-bn", target).front().serving_type, "conv");
}

TEST(RankSources, NamesATypeNoPoolSetCanPredict) {
  const KernelDataset target = synthetic_dataset(synthetic_kernels("conv", 10, 5), SyntheticLaw::kLinear, 0.0, 1);
  KnowledgePool pool;
  pool.push_back(linear_set("only-conv", target));
  EXPECT_NE(error_of([&] { rank_sources(pool, "maxpool", target); }).find("'maxpool'"), std::string::npos);
}

TEST(MlpFineTune, AdaptsATrainedNetworkToASlowerPlatformFromTenSamples) {
  const auto kernels = synthetic_kernels("conv", 240, 9);
  const KernelDataset source = synthetic_dataset(kernels, SyntheticLaw::kChannelStep, 0.02, 2);
  const DatasetSplit source_split = split_dataset(source, {0.8, 0.2}, 3);
  MlpRegressor trained;
  trained.fit(source_split.train, source_split.validation, {});
  // The new platform: the same law, 2.5x slower. Ten samples to adapt on, the rest to score.
  KernelDataset target = source;
  for (double& ms : target.latency_ms) ms *= 2.5;
  std::vector<std::size_t> few(10), rest(target.size() - 10);
  std::iota(few.begin(), few.end(), 0);
  std::iota(rest.begin(), rest.end(), 10);
  const KernelDataset adapt = target.subset(few), test = target.subset(rest);

  MlpRegressor tuned = trained;
  tuned.fine_tune(adapt, {}, {}, AdaptationOptions::fine_tune_schedule());
  MlpRegressor scratch;
  scratch.fit(adapt, {}, {});
  const double unchanged_mape = accuracy_report(trained.predict_batch(test.x), test.latency_ms).mape;
  const double tuned_mape = accuracy_report(tuned.predict_batch(test.x), test.latency_ms).mape;
  const double scratch_mape = accuracy_report(scratch.predict_batch(test.x), test.latency_ms).mape;
  EXPECT_GT(unchanged_mape, 0.5);  // 1/2.5 of the truth: 60% off
  EXPECT_LT(tuned_mape, 0.15);
  EXPECT_LT(tuned_mape, scratch_mape);
}

TEST(MlpFineTune, RefusesAnUntrainedNetworkOrOtherLayers) {
  const KernelDataset data = synthetic_dataset(synthetic_kernels("conv", 20, 1), SyntheticLaw::kLinear, 0.0, 1);
  MlpRegressor untrained;
  EXPECT_NE(error_of([&] { untrained.fine_tune(data, {}, {}, MlpOptions::small()); }).find("trained regressor"),
            std::string::npos);
  MlpRegressor trained;
  trained.fit(data, {}, {});
  EXPECT_NE(error_of([&] { trained.fine_tune(data, {}, {}, MlpOptions::litepred()); }).find("hidden layers differ"),
            std::string::npos);
}

/// Kernels of libtorch-cpu-t2 (two threads) as shipped in data/measurements, by type.
const MeasuredKernels& t2_kernels() {
  static const MeasuredKernels kernels = [] {
    const auto store = devices::MeasurementStore::open(kData / "measurements/libtorch-cpu-t2.db", false);
    return load_measured_kernels(store, find_stored_platform(store, "libtorch-cpu-t2"));
  }();
  return kernels;
}

TEST(AdaptPredictorSet, FineTuningTheOneThreadSetBeatsScratchOnFewTwoThreadConvs) {
  // The real case: libtorch-cpu-t1's shipped predictors are the pool; 40 measured two-thread convs adapt
  // them; every other measured two-thread conv scores the result.
  KnowledgePool pool;
  pool.push_back(PredictorSet::load(kData / "predictors/libtorch-cpu-t1"));
  const KernelDataset& convs = t2_kernels().datasets.at("conv");
  ASSERT_GT(convs.size(), 200u);
  const DatasetSplit split = split_dataset(convs, {0.1, 0.0}, 4);
  MeasuredKernels samples = t2_kernels();
  samples.datasets = {{"conv", split.train}};
  samples.count = split.train.size();

  const auto mape_of = [&](AdaptationMethod method, AdaptationReport* report = nullptr) {
    AdaptationOptions options;
    options.method = method;
    const PredictorSet set = adapt_predictor_set(pool, samples, "libtorch-cpu-t2", FusionRules{}, options, report);
    return accuracy_report(set.regressor("conv")->predict_batch(split.test.x), split.test.latency_ms).mape;
  };
  AdaptationReport report;
  const double tuned = mape_of(AdaptationMethod::kFineTune, &report);
  const double scratch = mape_of(AdaptationMethod::kScratch);
  ASSERT_EQ(report.types.size(), 1u);
  EXPECT_EQ(report.types[0].method, AdaptationMethod::kFineTune);
  EXPECT_EQ(report.types[0].ranking.front().platform, "libtorch-cpu-t1");
  EXPECT_LT(tuned, scratch) << "fine-tuned MAPE " << tuned << ", scratch " << scratch;
  // Types without samples come unchanged from the source.
  EXPECT_FALSE(report.inherited.empty());
  EXPECT_EQ(report.inherited_from, "libtorch-cpu-t1");
}

TEST(AdaptPredictorSet, ManySamplesOfATypeGetTheFullSchedule) {
  KnowledgePool pool;
  pool.push_back(PredictorSet::load(kData / "predictors/libtorch-cpu-t1"));
  const KernelDataset& convs = t2_kernels().datasets.at("conv");
  MeasuredKernels samples = t2_kernels();
  samples.datasets = {{"conv", split_dataset(convs, {0.1, 0.0}, 4).train}};
  samples.count = samples.datasets.at("conv").size();
  AdaptationOptions options;
  options.fine_tune.max_epochs = 3;
  options.fine_tune_many.max_epochs = 7;
  options.fine_tune.patience = options.fine_tune_many.patience = 0;
  const auto epochs_with = [&](std::size_t many_samples) {
    options.many_samples = many_samples;
    AdaptationReport report;
    adapt_predictor_set(pool, samples, "libtorch-cpu-t2", FusionRules{}, options, &report);
    return report.types.at(0).fit.epochs;  // summed over the source ensemble's members
  };
  const int members = static_cast<int>(
      dynamic_cast<const MlpEnsembleRegressor&>(*pool[0].regressor("conv")).members().size());
  EXPECT_EQ(epochs_with(samples.count + 1), 3 * members);
  EXPECT_EQ(epochs_with(samples.count), 7 * members);
}

TEST(AdaptPredictorSet, NeedsSamplesAndAPoolToTransferFrom) {
  MeasuredKernels samples = t2_kernels();
  EXPECT_NE(error_of([&] {
              adapt_predictor_set({}, samples, "new-platform", FusionRules{}, AdaptationOptions{});
            }).find("knowledge pool is empty"),
            std::string::npos);
  samples.datasets.clear();
  samples.count = 0;
  EXPECT_NE(error_of([&] {
              adapt_predictor_set({}, samples, "new-platform", FusionRules{}, AdaptationOptions{});
            }).find("no measured kernels"),
            std::string::npos);
}

}  // namespace
}  // namespace hwnas::predictors

namespace hwnas::predictors {
namespace {

std::filesystem::path fresh_directory(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

KnowledgePool two_thread_pool() {
  KnowledgePool pool;
  pool.push_back(PredictorSet::load(kData / "predictors/libtorch-cpu-t2"));
  return pool;
}

/// Calibrating libtorch-cpu-t1 itself with quick profiler settings and no whole networks.
PlatformCalibrationOptions quick_libtorch_t1_calibration(const std::filesystem::path& dir,
                                                         std::vector<std::string> types) {
  PlatformCalibrationOptions options;
  options.platform = "libtorch-cpu-t1";
  options.database = dir / "measurements.db";
  options.kernel_types = std::move(types);
  options.networks_per_space = {};
  options.profile.repeats = 3;
  options.profile.rounds = 2;
  options.profile.min_sample_ms = 0.1;
  options.profile.max_remeasure = 0;
  options.host_speed.first_wait_seconds = 0;  // a chunk measured on a slow host is measured again at once
  return options;
}

TEST(CalibratePlatform, MeasuresAdaptsAndResumesWithoutMeasuringTwice) {
  // A real, small calibration of libtorch-cpu-t1 itself, transferring from the shipped two-thread set:
  // 8 kernels of two cheap types, quick profiler settings.
  const auto dir = fresh_directory("hwnas_calibrate_platform_test");
  const KnowledgePool pool = two_thread_pool();
  PlatformCalibrationOptions options = quick_libtorch_t1_calibration(dir, {"relu", "fc"});
  options.samples_per_type = 8;
  // A few small whole networks, quickly timed: enough for the correction's half (>= 3) and a held-out half.
  options.networks_per_space = {{"nb201", 10}};
  options.network_profile.repeats = 2;
  options.network_profile.rounds = 2;
  options.network_profile.max_remeasure = 0;

  PlatformCalibrationReport first;
  const PredictorSet set = calibrate_platform(pool, options, &first);
  EXPECT_EQ(first.reused, 0u);
  EXPECT_GE(first.measured, 2 * 8u - 2);  // a neighbour may coincide with a planned kernel
  EXPECT_EQ(set.platform(), "libtorch-cpu-t1");
  ASSERT_NE(set.regressor("relu"), nullptr);
  ASSERT_NE(set.regressor("fc"), nullptr);
  ASSERT_EQ(first.held_out.size(), 3u);
  EXPECT_EQ(first.held_out[0].method, AdaptationMethod::kFineTune);
  EXPECT_GT(first.held_out[0].accuracy.count, 0u);
  for (const auto& t : first.adaptation.types) EXPECT_EQ(t.ranking.front().platform, "libtorch-cpu-t2");
  EXPECT_EQ(first.networks, 10u);
  ASSERT_TRUE(first.correction.has_value());
  ASSERT_TRUE(set.correction().has_value());
  EXPECT_EQ(set.correction()->scale, first.correction->correction.scale);
  EXPECT_EQ(first.correction->networks + first.networks_held_out.count, 10u);
  EXPECT_GT(first.networks_held_out.count, 0u);
  const auto networks_in_store = [&] {
    return devices::MeasurementStore::open(options.database).count({.kernel_type = kNetworkKernelType});
  };
  EXPECT_EQ(networks_in_store(), 10u);

  // The same command again: every kernel is found in the store, nothing is measured.
  PlatformCalibrationReport second;
  calibrate_platform(pool, options, &second);
  EXPECT_EQ(second.measured, 0u);
  EXPECT_EQ(second.reused, first.measured);
  EXPECT_EQ(networks_in_store(), 10u);  // the networks too are found, not measured again
  EXPECT_EQ(second.networks, 10u);
  std::filesystem::remove_all(dir);
}

TEST(CalibratePlatform, ABudgetStopsMeasuringAndStillCoversEveryType) {
  // A 1-second budget, and samples of at least 5 ms: the first round alone (20 kernels of each type,
  // each >= 3 x 2 x 5 ms) takes longer. Measuring stops at the first chunk (20 kernels) past the budget,
  // and the round-robin order has given every type a third of that chunk by then.
  const auto dir = fresh_directory("hwnas_calibrate_budget_test");
  const KnowledgePool pool = two_thread_pool();
  PlatformCalibrationOptions options = quick_libtorch_t1_calibration(dir, {"relu", "add", "fc"});
  options.budget_seconds = 1;
  options.profile.min_sample_ms = 5;

  PlatformCalibrationReport report;
  const PredictorSet set = calibrate_platform(pool, options, &report);
  EXPECT_TRUE(report.budget_exhausted);
  EXPECT_FALSE(report.interrupted);
  EXPECT_GT(report.measured, 0u);
  EXPECT_LT(report.measured, 3 * 20u);  // the first round was cut short
  ASSERT_EQ(report.adaptation.types.size(), 3u);
  for (const auto& t : report.adaptation.types) {
    EXPECT_GE(t.samples, PlatformCalibrationOptions::kMinSamplesPerType) << t.type;
    EXPECT_NE(set.regressor(t.type), nullptr) << t.type;
  }
  EXPECT_EQ(report.networks, 0u);
  EXPECT_FALSE(set.correction().has_value());
  std::filesystem::remove_all(dir);
}

TEST(CalibratePlatform, DefaultTypesFollowThePlatformsFusion) {
  const auto eager = default_calibration_kernel_types(default_fusion_rules("libtorch-cpu-t1"));
  const auto frozen = default_calibration_kernel_types(default_fusion_rules("torchscript-cpu-t1"));
  EXPECT_EQ(eager.front(), "conv");
  EXPECT_NE(std::find(eager.begin(), eager.end(), "bn"), eager.end());
  // TorchScript folds bn into the convolution: no standalone bn to measure.
  EXPECT_EQ(frozen.front(), "conv-bn");
  EXPECT_EQ(std::find(frozen.begin(), frozen.end(), "bn"), frozen.end());
  // OpenCV folds bn and an activation into a convolution: both forms occur in the spaces.
  const auto opencv = default_calibration_kernel_types(default_fusion_rules("opencv-cpu-t1"));
  EXPECT_EQ(std::vector<std::string>(opencv.begin(), opencv.begin() + 4),
            (std::vector<std::string>{"conv-bn-relu", "conv-bn", "dwconv-bn-relu", "dwconv-bn"}));
}

}  // namespace
}  // namespace hwnas::predictors
