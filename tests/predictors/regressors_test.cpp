#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "hwnas/core/error.h"
#include "hwnas/predictors/regressors/accuracy.h"
#include "hwnas/predictors/regressors/kernel_dataset.h"
#include "hwnas/predictors/regressors/linear_regressor.h"
#include "hwnas/predictors/regressors/mlp_ensemble_regressor.h"
#include "hwnas/predictors/regressors/mlp_regressor.h"
#include "hwnas/predictors/regressors/per_path_mlp_regressor.h"
#include "hwnas/predictors/regressors/synthetic.h"
#include "hwnas/predictors/regressors/tree_regressor.h"
#include "error_of.h"

namespace hwnas::predictors {
namespace {

namespace fs = std::filesystem;

/// A fresh, empty directory under the system temp dir, removed at scope exit.
struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& name)
      : path(fs::temp_directory_path() / ("hwnas_regressors_test_" + std::to_string(::getpid()) + "_" + name)) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

using hwnas::test::error_of;

double max_relative_difference(const std::vector<double>& a, const std::vector<double>& b) {
  double worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(a[i] - b[i]) / std::abs(b[i]));
  return worst;
}

// ---------------------------------------------------------------- metrics

TEST(AccuracyReport, MatchesHandComputedMetrics) {
  // Errors -0.04... relative errors 0.04, 0.10, 0.20 (pred 1.04 vs 1, 0.9 vs 1, 2.0 vs 2.5):
  //   within 5% : 1 of 3; within 10%: 2 of 3 (0.10 counts as within); MAPE = 0.34 / 3;
  //   RMSE = sqrt((0.04² + 0.1² + 0.5²) / 3) = sqrt(0.2616 / 3).
  const std::vector<double> pred = {1.04, 0.9, 2.0}, truth = {1.0, 1.0, 2.5};
  const AccuracyReport r = accuracy_report(pred, truth);
  EXPECT_EQ(r.count, 3u);
  EXPECT_NEAR(r.within_5, 1.0 / 3, 1e-12);
  EXPECT_NEAR(r.within_10, 2.0 / 3, 1e-12);
  EXPECT_NEAR(r.mape, 0.34 / 3, 1e-12);
  EXPECT_NEAR(r.rmse_ms, std::sqrt(0.2616 / 3), 1e-12);
  EXPECT_NE(r.to_string().find("n=3"), std::string::npos);
}

TEST(AccuracyReport, RejectsMismatchedOrNonPositiveTruth) {
  const std::vector<double> two = {1, 2}, one = {1};
  EXPECT_THROW(accuracy_report(two, one), Error);
  const std::vector<double> zero = {1, 0};
  EXPECT_NE(error_of([&] { accuracy_report(two, zero); }).find("#1"), std::string::npos);
  EXPECT_EQ(accuracy_report({}, {}).count, 0u);
}

// ---------------------------------------------------------------- datasets

KernelDataset numbered(std::size_t n) {
  KernelDataset d;
  for (std::size_t i = 0; i < n; ++i) {
    FeatureVector x{};
    x[0] = static_cast<double>(i);
    d.add(x, 1.0 + static_cast<double>(i));
  }
  return d;
}

TEST(KernelDataset, SplitIsAPartitionAndSeeded) {
  const KernelDataset d = numbered(100);
  const DatasetSplit s = split_dataset(d, {0.7, 0.15}, 3);
  EXPECT_EQ(s.train.size(), 70u);
  EXPECT_EQ(s.validation.size(), 15u);
  EXPECT_EQ(s.test.size(), 15u);
  std::set<double> seen;
  for (const auto* part : {&s.train, &s.validation, &s.test})
    for (std::size_t i = 0; i < part->size(); ++i) {
      EXPECT_EQ(part->latency_ms[i], part->x[i][0] + 1.0);  // rows stay whole
      seen.insert(part->x[i][0]);
    }
  EXPECT_EQ(seen.size(), 100u);
  EXPECT_EQ(split_dataset(d, {0.7, 0.15}, 3).test.x, s.test.x);
  EXPECT_NE(split_dataset(d, {0.7, 0.15}, 4).test.x, s.test.x);
  // Tiny sets still get one validation and one test row.
  const DatasetSplit tiny = split_dataset(numbered(3), {0.7, 0.15}, 0);
  EXPECT_EQ(tiny.train.size(), 1u);
  EXPECT_EQ(tiny.validation.size(), 1u);
  EXPECT_EQ(tiny.test.size(), 1u);
}

TEST(KernelDataset, CsvRoundTripAndErrorsNameFileAndLine) {
  TempDir dir("csv");
  std::map<std::string, KernelDataset> data;
  data["conv-bn-relu"] = synthetic_dataset(synthetic_kernels("conv-bn-relu", 20, 1), SyntheticLaw::kLinear, 0.02, 2);
  data["add"] = synthetic_dataset(synthetic_kernels("add", 5, 3), SyntheticLaw::kLinear, 0.02, 4);
  const fs::path path = dir.path / "m.csv";
  write_kernel_csv(data, path);
  const auto back = read_kernel_csv(path);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back.at("conv-bn-relu").x, data["conv-bn-relu"].x);
  EXPECT_EQ(back.at("conv-bn-relu").latency_ms, data["conv-bn-relu"].latency_ms);
  EXPECT_EQ(back.at("add").latency_ms, data["add"].latency_ms);

  {
    std::ofstream f(dir.path / "bad.csv");
    f << "kernel_type,h,w,cin,cout,kernel,stride,groups,seq_len,inputs,mflops,mparams,mb_read,mb_written,"
         "in_kelements,native_conv,cin_padding,cout_padding,latency_ms\n";
    f << "conv,1,1,1,1,1,1,1,0,1,1,1,1,1,0.001,1,16,16,0.5\n";
    f << "conv,1,1,1,1,1,1,1,0,1,x,1,1,1,0.001,1,16,16,0.5\n";
  }
  const std::string message = error_of([&] { read_kernel_csv(dir.path / "bad.csv"); });
  EXPECT_NE(message.find("bad.csv:3"), std::string::npos) << message;
  EXPECT_NE(message.find("mflops"), std::string::npos) << message;
  {
    std::ofstream f(dir.path / "header.csv");
    f << "kernel_type,h,latency_ms\n";
  }
  EXPECT_NE(error_of([&] { read_kernel_csv(dir.path / "header.csv"); }).find("header.csv:1"), std::string::npos);
}

TEST(Synthetic, KernelsAreOfTheRequestedTypeAndSeeded) {
  const auto a = synthetic_kernels("dwconv-bn-relu", 10, 5);
  const auto b = synthetic_kernels("dwconv-bn-relu", 10, 5);
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].type, "dwconv-bn-relu");
    EXPECT_EQ(a[i].key, b[i].key);
    EXPECT_EQ(a[i].config.groups, a[i].config.cin);
  }
  EXPECT_THROW(synthetic_kernels("softmax", 1, 0), Error);
  // Law by hand: 8 GFLOP/s and 10 GB/s plus 5 µs; 8000 MFLOPs and 10 MB take 0.005 + 1 + 1 ms.
  FeatureVector x{};
  x[2] = 64;
  x[9] = 8000;
  x[11] = 6;
  x[12] = 4;
  EXPECT_DOUBLE_EQ(synthetic_latency_ms(x, SyntheticLaw::kLinear), 2.005);
  EXPECT_DOUBLE_EQ(synthetic_latency_ms(x, SyntheticLaw::kChannelStep), 2.005);
  x[2] = 32;  // below 48 input channels compute runs at 40%: 1 ms of compute becomes 2.5 ms
  EXPECT_DOUBLE_EQ(synthetic_latency_ms(x, SyntheticLaw::kChannelStep), 3.505);
}

// ---------------------------------------------------------------- regressors on synthetic laws

/// conv-bn-relu kernels under both laws, split once for the whole suite (the fits are the slow part).
class RegressorAccuracy : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const auto kernels = synthetic_kernels("conv-bn-relu", 1000, 11);
    linear_split_ = new DatasetSplit(split_dataset(synthetic_dataset(kernels, SyntheticLaw::kLinear, 0.02, 12)));
    step_split_ = new DatasetSplit(split_dataset(synthetic_dataset(kernels, SyntheticLaw::kChannelStep, 0.02, 12)));
  }
  static void TearDownTestSuite() {
    delete linear_split_;
    delete step_split_;
  }
  static AccuracyReport held_out(const KernelRegressor& r, const DatasetSplit& s) {
    return accuracy_report(r.predict_batch(s.test.x), s.test.latency_ms);
  }
  static DatasetSplit* linear_split_;
  static DatasetSplit* step_split_;
};
DatasetSplit* RegressorAccuracy::linear_split_ = nullptr;
DatasetSplit* RegressorAccuracy::step_split_ = nullptr;

TEST_F(RegressorAccuracy, LinearRecoversTheLinearLaw) {
  // Noise-free data from ms = 0.005 + MFLOPs/8000 + MB read/10 + MB written/10 must give back exactly
  // those coefficients.
  const auto kernels = synthetic_kernels("conv-bn-relu", 200, 21);
  const KernelDataset exact = synthetic_dataset(kernels, SyntheticLaw::kLinear, 0.0, 0);
  LinearRegressor linear;
  linear.fit(exact, {}, {});
  const auto& w = linear.coefficients();
  EXPECT_NEAR(w[0], 0.005, 1e-9);
  EXPECT_NEAR(w[1], 1.0 / 8000, 1e-12);
  EXPECT_NEAR(w[2], 0.1, 1e-9);
  EXPECT_NEAR(w[3], 0.1, 1e-9);
}

TEST_F(RegressorAccuracy, MlpIsWithinTenPercentOnHeldOutData) {
  MlpRegressor mlp;
  const FitSummary fit = mlp.fit(linear_split_->train, linear_split_->validation, {});
  const AccuracyReport r = held_out(mlp, *linear_split_);
  EXPECT_GE(r.within_10, 0.95) << r.to_string();
  EXPECT_GE(fit.best_epoch, 1);
  EXPECT_LE(fit.best_epoch, fit.epochs);
}

TEST_F(RegressorAccuracy, MlpBeatsLinearOnAChannelStep) {
  // The typical fit, not one seed's: a single fit can stop in a poor optimum (seed 0 did once the
  // feature schema gained the channel-padding features: RMSE 3x that of seeds 1-4, which all reach
  // 95-97% within 10%), so the fit of median MAPE over three seeds is the one judged.
  std::vector<AccuracyReport> fits;
  for (std::uint64_t seed : {0, 1, 2}) {
    MlpRegressor mlp;
    FitOptions options;
    options.seed = seed;
    mlp.fit(step_split_->train, step_split_->validation, options);
    fits.push_back(held_out(mlp, *step_split_));
  }
  std::sort(fits.begin(), fits.end(), [](const auto& a, const auto& b) { return a.mape < b.mape; });
  LinearRegressor linear;
  linear.fit(step_split_->train, step_split_->validation, {});
  const AccuracyReport m = fits[1], l = held_out(linear, *step_split_);
  EXPECT_GE(m.within_10, 0.95) << m.to_string();
  EXPECT_LT(m.mape, l.mape) << "mlp " << m.to_string() << " linear " << l.to_string();
  EXPECT_GT(m.within_10, l.within_10) << "mlp " << m.to_string() << " linear " << l.to_string();
}

TEST_F(RegressorAccuracy, TreeForestAndBoostedLearnTheLaw) {
  if (!have_tree_regressor()) GTEST_SKIP() << "built without XGBoost";
  TreeRegressor forest;
  forest.fit(linear_split_->train, linear_split_->validation, {});
  // A forest cannot extrapolate and averages neighbours, so it is looser than the MLP, but far better than
  // a constant: the latencies span four orders of magnitude.
  const AccuracyReport f = held_out(forest, *linear_split_);
  EXPECT_GE(f.within_10, 0.75) << f.to_string();
  TreeOptions options;
  options.mode = TreeMode::kBoosted;
  options.rounds = 200;
  options.max_depth = 6;
  TreeRegressor boosted(options);
  const FitSummary fit = boosted.fit(linear_split_->train, linear_split_->validation, {});
  EXPECT_EQ(fit.epochs, 200);
  EXPECT_LE(fit.best_epoch, 200);
  EXPECT_GE(held_out(boosted, *linear_split_).within_10, 0.75);
}

// ---------------------------------------------------------------- determinism and inference paths

KernelDataset small_set(std::uint64_t seed, std::size_t n = 300) {
  return synthetic_dataset(synthetic_kernels("conv-bn-relu", n, seed), SyntheticLaw::kChannelStep, 0.02, seed + 1);
}

MlpOptions quick(MlpOptions o, int epochs) {
  o.max_epochs = epochs;
  o.patience = 0;
  return o;
}

TEST(MlpRegressor, SameSeedGivesIdenticalPredictions) {
  const DatasetSplit s = split_dataset(small_set(31), {0.7, 0.15}, 0);
  FitOptions seed0, seed1;
  seed1.seed = 1;
  MlpRegressor a(quick(MlpOptions::small(), 30)), b(quick(MlpOptions::small(), 30)), c(quick(MlpOptions::small(), 30));
  a.fit(s.train, s.validation, seed0);
  b.fit(s.train, s.validation, seed0);
  c.fit(s.train, s.validation, seed1);
  const auto pa = a.predict_batch(s.test.x), pb = b.predict_batch(s.test.x), pc = c.predict_batch(s.test.x);
  EXPECT_EQ(pa, pb);
  EXPECT_NE(pa, pc);
}

TEST(MlpRegressor, EigenMatchesLibTorchForward) {
  const DatasetSplit s = split_dataset(small_set(41), {0.7, 0.15}, 0);
  // The default net, and LitePred's 16 layers with LeakyReLU, raw inputs and a raw-ms output.
  for (const MlpOptions& options : {quick(MlpOptions::small(), 20), quick(MlpOptions::litepred(), 3)}) {
    MlpRegressor mlp(options);
    mlp.fit(s.train, s.validation, {});
    std::vector<double> eigen(s.test.size()), torch(s.test.size());
    mlp.predict_into(s.test.x, eigen);
    mlp.predict_into_libtorch(s.test.x, torch);
    EXPECT_LE(max_relative_difference(eigen, torch), 1e-5) << options.hidden.size() << " hidden layers";
    // One kernel alone and inside a batch of several 64-kernel chunks get bit-identical latencies.
    const auto batch = mlp.predict_batch(s.train.x);
    for (std::size_t i = 0; i < batch.size(); i += 7) EXPECT_EQ(mlp.predict(s.train.x[i]), batch[i]) << i;
  }
  EXPECT_EQ(MlpOptions::litepred().hidden.size(), 15u);
  EXPECT_EQ(MlpOptions::litepred().hidden[12].negative_slope, 0.3f);
}

TEST(MlpRegressor, RejectsBadDataAndUseBeforeFit) {
  MlpRegressor mlp;
  EXPECT_THROW(mlp.predict(FeatureVector{}), Error);
  KernelDataset bad = small_set(51, 10);
  bad.latency_ms[3] = -1;
  EXPECT_NE(error_of([&] { mlp.fit(bad, {}, {}); }).find("row 3"), std::string::npos);
  EXPECT_THROW(MlpRegressor(MlpOptions{.hidden = {}}), Error);
}

TEST(MlpRegressor, HuberLossShrugsOffKernelsMeasuredInASlowMoment) {
  // Every 8th training kernel measured twice as slow, as in a phase of a busy host. The squared log
  // error chases those rows; the Huber loss, linear past 10%, far less. Scored on the clean held-out
  // kernels (here: MAPE 13.3% vs 10.6%, within ±10% 40% vs 53%).
  const DatasetSplit s = split_dataset(small_set(131), {0.7, 0.15}, 0);
  KernelDataset slow_moments = s.train;
  for (std::size_t i = 0; i < slow_moments.size(); i += 8) slow_moments.latency_ms[i] *= 2;
  MlpOptions squared = quick(MlpOptions::small(), 150), huber = squared;
  huber.huber_delta = 0.1;
  MlpRegressor by_squares(squared), by_huber(huber);
  by_squares.fit(slow_moments, s.validation, {});
  by_huber.fit(slow_moments, s.validation, {});
  const auto of_squares = accuracy_report(by_squares.predict_batch(s.test.x), s.test.latency_ms);
  const auto of_huber = accuracy_report(by_huber.predict_batch(s.test.x), s.test.latency_ms);
  EXPECT_LT(of_huber.mape, 0.9 * of_squares.mape);
  EXPECT_GT(of_huber.within_10, of_squares.within_10 + 0.05);
  EXPECT_THROW(MlpRegressor(MlpOptions{.huber_delta = -1}), Error);
}

TEST(MlpEnsembleRegressor, IsTheGeometricMeanOfItsSeededMembers) {
  const DatasetSplit s = split_dataset(small_set(81), {0.7, 0.15}, 0);
  MlpEnsembleRegressor ensemble({.members = 3, .member = quick(MlpOptions::small(), 20)});
  FitOptions seed4;
  seed4.seed = 4;
  const FitSummary fit = ensemble.fit(s.train, s.validation, seed4);
  ASSERT_EQ(ensemble.members().size(), 3u);
  EXPECT_EQ(fit.epochs, 3 * 20);
  // Members differ (their seeds do), and the ensemble predicts exp(mean log) of theirs.
  const auto p0 = ensemble.members()[0].predict_batch(s.test.x), p1 = ensemble.members()[1].predict_batch(s.test.x),
             p2 = ensemble.members()[2].predict_batch(s.test.x), mean = ensemble.predict_batch(s.test.x);
  EXPECT_NE(p0, p1);
  for (std::size_t i = 0; i < mean.size(); ++i)
    EXPECT_NEAR(mean[i], std::cbrt(p0[i] * p1[i] * p2[i]), 1e-9 * mean[i]) << i;
  EXPECT_NEAR(fit.validation_mape, accuracy_report(ensemble.predict_batch(s.validation.x), s.validation.latency_ms).mape,
              1e-12);
  // Deterministic under the seed; another seed gives other members.
  MlpEnsembleRegressor again({.members = 3, .member = quick(MlpOptions::small(), 20)}), other = again;
  again.fit(s.train, s.validation, seed4);
  other.fit(s.train, s.validation, {});
  EXPECT_EQ(again.predict_batch(s.test.x), mean);
  EXPECT_NE(other.predict_batch(s.test.x), mean);
  EXPECT_THROW(MlpEnsembleRegressor({.members = 0}), Error);
  EXPECT_THROW(MlpEnsembleRegressor().predict(FeatureVector{}), Error);
}

TEST(MlpEnsembleRegressor, FineTuningMovesEveryMemberToTheNewPlatform) {
  const DatasetSplit s = split_dataset(small_set(91), {0.7, 0.15}, 0);
  MlpEnsembleRegressor ensemble({.members = 2, .member = quick(MlpOptions::small(), 30)});
  ensemble.fit(s.train, s.validation, {});
  KernelDataset slower = s.test;
  for (double& ms : slower.latency_ms) ms *= 3;
  MlpEnsembleRegressor tuned = ensemble;
  tuned.fine_tune(slower, {}, {}, quick(MlpOptions::small(), 10));
  const double before = accuracy_report(ensemble.predict_batch(slower.x), slower.latency_ms).mape;
  const double after = accuracy_report(tuned.predict_batch(slower.x), slower.latency_ms).mape;
  EXPECT_GT(before, 0.6);  // a third of the truth
  EXPECT_LT(after, 0.2);
  for (const auto& member : tuned.members())
    EXPECT_LT(accuracy_report(member.predict_batch(slower.x), slower.latency_ms).mape, 0.2);
  EXPECT_NE(error_of([&] { MlpEnsembleRegressor().fine_tune(slower, {}, {}, MlpOptions::small()); })
                .find("trained ensemble"),
            std::string::npos);
}

// ---------------------------------------------------------------- per-path MLP

/// small_set() with every `every`-th kernel on path 1 and 20x slower there (as LibTorch's native conv
/// path is against oneDNN's), the others on path 0.
KernelDataset two_path_set(std::uint64_t seed, std::size_t every = 2, std::size_t n = 300) {
  KernelDataset data = small_set(seed, n);
  for (std::size_t i = 0; i < data.size(); ++i) {
    const bool native = i % every == 0;
    data.x[i][PerPathMlpRegressor::path_feature()] = native ? 1 : 0;
    if (native) data.latency_ms[i] *= 20;
  }
  return data;
}

/// The rows of `data` on path `path`.
KernelDataset on_path(const KernelDataset& data, int path) {
  std::vector<std::size_t> rows;
  for (std::size_t i = 0; i < data.size(); ++i)
    if ((data.x[i][PerPathMlpRegressor::path_feature()] > 0.5) == (path == 1)) rows.push_back(i);
  return data.subset(rows);
}

TEST(PerPathMlpRegressor, EachPathIsAnEnsembleFittedOnItsOwnKernels) {
  const DatasetSplit s = split_dataset(two_path_set(101), {0.7, 0.15}, 0);
  const MlpEnsembleOptions ensemble{2, quick(MlpOptions::small(), 20)};
  PerPathMlpRegressor per_path({.ensemble = ensemble});
  EXPECT_EQ(PerPathMlpRegressor::path_feature(), 14u);
  const FitSummary fit = per_path.fit(s.train, s.validation, {});
  ASSERT_TRUE(per_path.split());
  EXPECT_EQ(fit.epochs, 2 * 2 * 20);
  for (int path : {0, 1}) {
    MlpEnsembleRegressor alone(ensemble);
    alone.fit(on_path(s.train, path), on_path(s.validation, path), {});
    const KernelDataset test = on_path(s.test, path);
    ASSERT_FALSE(test.empty());
    EXPECT_EQ(per_path.predict_batch(test.x), alone.predict_batch(test.x)) << "path " << path;
  }
  // A batch mixing both paths comes back in its own order.
  const auto mixed = per_path.predict_batch(s.test.x);
  for (std::size_t i = 0; i < s.test.size(); ++i) EXPECT_EQ(mixed[i], per_path.predict(s.test.x[i])) << i;
  EXPECT_THROW(PerPathMlpRegressor().predict(FeatureVector{}), Error);
}

TEST(PerPathMlpRegressor, ATypeThatDoesNotSplitGetsOneSharedEnsemble) {
  // Every 20th kernel on path 1: 10 of ~210 training kernels, under min_path_kernels.
  const DatasetSplit s = split_dataset(two_path_set(111, 20), {0.7, 0.15}, 0);
  const MlpEnsembleOptions ensemble{2, quick(MlpOptions::small(), 20)};
  PerPathMlpRegressor per_path({.ensemble = ensemble, .min_path_kernels = 40});
  per_path.fit(s.train, s.validation, {});
  EXPECT_FALSE(per_path.split());
  MlpEnsembleRegressor shared(ensemble);
  shared.fit(s.train, s.validation, {});
  EXPECT_EQ(per_path.predict_batch(s.test.x), shared.predict_batch(s.test.x));
}

TEST(PerPathMlpRegressor, FineTuningMovesBothPathsToTheNewPlatform) {
  const DatasetSplit s = split_dataset(two_path_set(121), {0.7, 0.15}, 0);
  PerPathMlpRegressor per_path({.ensemble = {2, quick(MlpOptions::small(), 30)}});
  per_path.fit(s.train, s.validation, {});
  // The new platform: path 0 twice as slow, path 1 three times.
  KernelDataset slower = s.test;
  for (std::size_t i = 0; i < slower.size(); ++i)
    slower.latency_ms[i] *= slower.x[i][PerPathMlpRegressor::path_feature()] > 0.5 ? 3 : 2;
  PerPathMlpRegressor tuned = per_path;
  tuned.fine_tune(slower, {}, {}, quick(MlpOptions::small(), 10));
  for (int path : {0, 1}) {
    const KernelDataset truth = on_path(slower, path);
    EXPECT_GT(accuracy_report(per_path.predict_batch(truth.x), truth.latency_ms).mape, 0.45) << "path " << path;
    EXPECT_LT(accuracy_report(tuned.predict_batch(truth.x), truth.latency_ms).mape, 0.2) << "path " << path;
  }
}

// ---------------------------------------------------------------- files

std::vector<std::unique_ptr<KernelRegressor>> fitted_regressors(const DatasetSplit& s) {
  std::vector<std::unique_ptr<KernelRegressor>> out;
  MlpOptions huber = quick(MlpOptions::small(), 10);
  huber.huber_delta = 0.1;  // its option is saved with it
  out.push_back(std::make_unique<MlpRegressor>(huber));
  out.push_back(std::make_unique<MlpEnsembleRegressor>(MlpEnsembleOptions{2, quick(MlpOptions::small(), 10)}));
  out.push_back(std::make_unique<LinearRegressor>());
  out.push_back(std::make_unique<PerPathMlpRegressor>(PerPathMlpOptions{.ensemble = {2, quick(MlpOptions::small(), 10)}}));
  if (have_tree_regressor()) out.push_back(std::make_unique<TreeRegressor>(TreeOptions{.trees = 20}));
  for (auto& r : out) r->fit(s.train, s.validation, {});
  return out;
}

TEST(RegressorFiles, SaveLoadGivesIdenticalPredictionsInJsonAndCbor) {
  TempDir dir("files");
  const DatasetSplit s = split_dataset(two_path_set(61), {0.7, 0.15}, 0);
  for (const auto& r : fitted_regressors(s)) {
    const auto expected = r->predict_batch(s.test.x);
    for (const char* ext : {".json", ".cbor"}) {
      const fs::path path = dir.path / (std::string(r->kind()) + ext);
      r->save(path);
      const auto back = KernelRegressor::load(path);
      EXPECT_EQ(back->kind(), r->kind());
      EXPECT_EQ(back->predict_batch(s.test.x), expected) << path;
      EXPECT_EQ(back->clone()->predict_batch(s.test.x), expected) << path;
    }
  }
}

TEST(RegressorFiles, CorruptFilesThrowNamingTheFile) {
  TempDir dir("corrupt");
  const DatasetSplit s = split_dataset(small_set(71), {0.7, 0.15}, 0);
  MlpRegressor mlp(quick(MlpOptions::small(), 5));
  mlp.fit(s.train, s.validation, {});
  const fs::path good = dir.path / "mlp.cbor";
  mlp.save(good);

  // Missing.
  const std::string missing = error_of([&] { KernelRegressor::load(dir.path / "nope.cbor"); });
  EXPECT_NE(missing.find("nope.cbor"), std::string::npos) << missing;
  // Truncated: the first half of a CBOR file.
  const auto size = fs::file_size(good);
  fs::copy_file(good, dir.path / "half.cbor");
  fs::resize_file(dir.path / "half.cbor", size / 2);
  const std::string truncated = error_of([&] { KernelRegressor::load(dir.path / "half.cbor"); });
  EXPECT_NE(truncated.find("half.cbor"), std::string::npos) << truncated;
  EXPECT_NE(truncated.find("truncated"), std::string::npos) << truncated;
  // Wrong dimensions: the first layer claims 12 input columns.
  mlp.save(dir.path / "mlp.json");
  nlohmann::json doc;
  std::ifstream(dir.path / "mlp.json") >> doc;
  auto& layer0 = doc["state"]["layers"][0];
  layer0["cols"] = 12;
  layer0["weight"].erase(layer0["weight"].end() - 64, layer0["weight"].end());
  std::ofstream(dir.path / "dims.json") << doc.dump();
  const std::string dims = error_of([&] { KernelRegressor::load(dir.path / "dims.json"); });
  EXPECT_NE(dims.find("dims.json"), std::string::npos) << dims;
  EXPECT_NE(dims.find("wrong dimensions"), std::string::npos) << dims;
  // Another feature schema version.
  std::ifstream(dir.path / "mlp.json") >> doc;
  doc["feature_schema_version"] = KernelFeatures::kVersion + 1;
  std::ofstream(dir.path / "schema.json") << doc.dump();
  const std::string schema = error_of([&] { KernelRegressor::load(dir.path / "schema.json"); });
  EXPECT_NE(schema.find("schema.json"), std::string::npos) << schema;
  EXPECT_NE(schema.find(std::to_string(KernelFeatures::kVersion + 1)), std::string::npos) << schema;
  // Unknown kind lists the valid ones.
  doc["feature_schema_version"] = KernelFeatures::kVersion;
  doc["kind"] = "svm";
  std::ofstream(dir.path / "kind.json") << doc.dump();
  const std::string kind = error_of([&] { KernelRegressor::load(dir.path / "kind.json"); });
  EXPECT_NE(kind.find("'svm'"), std::string::npos) << kind;
  EXPECT_NE(kind.find("linear, mlp"), std::string::npos) << kind;
  EXPECT_NE(error_of([] { make_regressor("svm"); }).find("linear, mlp"), std::string::npos);
}

TEST(RegressorFiles, AnEnsembleNamesItsBrokenMember) {
  TempDir dir("ensemble");
  const DatasetSplit s = split_dataset(small_set(72), {0.7, 0.15}, 0);
  MlpEnsembleRegressor ensemble({.members = 2, .member = quick(MlpOptions::small(), 5)});
  ensemble.fit(s.train, s.validation, {});
  ensemble.save(dir.path / "ensemble.json");
  nlohmann::json doc;
  std::ifstream(dir.path / "ensemble.json") >> doc;
  doc["state"]["members"][1]["layers"][2]["rows"] = 31;
  std::ofstream(dir.path / "member.json") << doc.dump();
  const std::string member = error_of([&] { KernelRegressor::load(dir.path / "member.json"); });
  EXPECT_NE(member.find("member.json"), std::string::npos) << member;
  EXPECT_NE(member.find("ensemble member 1"), std::string::npos) << member;
  EXPECT_NE(member.find("wrong dimensions"), std::string::npos) << member;
  doc["state"]["members"] = nlohmann::json::array();
  std::ofstream(dir.path / "empty.json") << doc.dump();
  EXPECT_NE(error_of([&] { KernelRegressor::load(dir.path / "empty.json"); }).find("non-empty \"members\""),
            std::string::npos);
}

}  // namespace
}  // namespace hwnas::predictors
