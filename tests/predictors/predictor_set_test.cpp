#include "hwnas/predictors/predictor_set.h"

#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "hwnas/core/error.h"
#include "hwnas/predictors/kernels/decomposer.h"
#include "hwnas/predictors/regressors/linear_regressor.h"
#include "hwnas/predictors/regressors/mlp_regressor.h"
#include "hwnas/predictors/regressors/synthetic.h"
#include "hwnas/predictors/regressors/tree_regressor.h"
#include "error_of.h"

namespace hwnas::predictors {
namespace {

namespace fs = std::filesystem;
using core::OpKind;

using hwnas::test::error_of;

void expect_mentions(const std::string& message, const std::string& what) {
  EXPECT_NE(message.find(what), std::string::npos) << "message '" << message << "' does not mention '" << what << "'";
  EXPECT_EQ(message.find('\n'), std::string::npos) << "message is not one line: " << message;
}

FusionRules test_rules() { return {"test-platform", "test", {{"conv", "bn", "relu"}, {"dwconv", "bn", "relu"}}}; }

/// A set with an MLP for conv-bn-relu, linear for fc, a tree (or linear) for add, and a linear fallback
/// fitted over all three; built and saved once for the suite.
class PredictorSetTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() / ("hwnas_pset_test_" + std::to_string(::getpid())));
    fs::remove_all(*dir_);
    kernels_ = new std::map<std::string, std::vector<Kernel>>;
    KernelDataset all;
    std::uint64_t seed = 100;
    for (const std::string type : {"conv-bn-relu", "fc", "add"}) {
      (*kernels_)[type] = synthetic_kernels(type, 150, seed);
      const KernelDataset d = synthetic_dataset((*kernels_)[type], SyntheticLaw::kChannelStep, 0.02, seed + 1);
      for (std::size_t i = 0; i < d.size(); ++i) all.add(d.x[i], d.latency_ms[i]);
      seed += 10;
    }
    // Kernels the set has no regressor for.
    (*kernels_)["relu"] = synthetic_kernels("relu", 5, 7);
    (*kernels_)["dwconv-bn-relu"] = synthetic_kernels("dwconv-bn-relu", 5, 8);
    (*kernels_)["conv"] = synthetic_kernels("conv", 5, 9);
    set_ = new PredictorSet(make_set(all));
    set_->save(*dir_);
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete set_;
    delete kernels_;
    delete dir_;
  }

  static PredictorSet make_set(const KernelDataset& all) {
    PredictorSet set("test-platform", R"({"cpu": "Test CPU",   "threads": 1})", test_rules());
    auto data = [&](const std::string& type) {
      return synthetic_dataset((*kernels_)[type], SyntheticLaw::kChannelStep, 0.02, 1);
    };
    MlpOptions quick = MlpOptions::small();
    quick.max_epochs = 15;
    auto mlp = std::make_unique<MlpRegressor>(quick);
    mlp->fit(data("conv-bn-relu"), {}, {});
    set.set_regressor("conv-bn-relu", std::move(mlp), AccuracyReport{150, 0.01, 0.05, 0.6, 0.9});
    auto fc = std::make_unique<LinearRegressor>();
    fc->fit(data("fc"), {}, {});
    set.set_regressor("fc", std::move(fc));
    std::unique_ptr<KernelRegressor> add;
    if (have_tree_regressor())
      add = std::make_unique<TreeRegressor>(TreeOptions{.trees = 10});
    else
      add = std::make_unique<LinearRegressor>();
    add->fit(data("add"), {}, {});
    set.set_regressor("add", std::move(add));
    auto fallback = std::make_unique<LinearRegressor>();
    fallback->fit(all, {}, {});
    set.set_fallback(std::move(fallback));
    // add costs nothing inside a network, fc two and a half times what it costs alone; other types 1.2x.
    set.set_correction(LatencyCorrection{1.2, 0.01, 0.5, {{"add", 0.0}, {"fc", 2.5}}});
    return set;
  }

  /// A copy of the saved set in a fresh directory, for mutilating.
  static fs::path copy_of_saved(const std::string& name) {
    const fs::path target = fs::temp_directory_path() / ("hwnas_pset_test_" + std::to_string(::getpid()) + "_" + name);
    fs::remove_all(target);
    fs::copy(*dir_, target, fs::copy_options::recursive);
    return target;
  }
  static nlohmann::json read_manifest(const fs::path& dir) {
    nlohmann::json j;
    std::ifstream(dir / "manifest.json") >> j;
    return j;
  }
  static void write_manifest(const fs::path& dir, const nlohmann::json& j) {
    std::ofstream(dir / "manifest.json") << j.dump(2);
  }

  static std::vector<Kernel> mixed() {
    std::vector<Kernel> out;
    for (const auto& [type, ks] : *kernels_) out.insert(out.end(), ks.begin(), ks.begin() + 3);
    return out;
  }

  static fs::path* dir_;
  static std::map<std::string, std::vector<Kernel>>* kernels_;
  static PredictorSet* set_;
};
fs::path* PredictorSetTest::dir_ = nullptr;
std::map<std::string, std::vector<Kernel>>* PredictorSetTest::kernels_ = nullptr;
PredictorSet* PredictorSetTest::set_ = nullptr;

TEST_F(PredictorSetTest, SaveLoadRoundTripsEverything) {
  const PredictorSet back = PredictorSet::load(*dir_);
  EXPECT_EQ(back.platform(), "test-platform");
  EXPECT_EQ(back.fingerprint(), R"({"cpu":"Test CPU","threads":1})");  // stored as JSON, compact
  EXPECT_EQ(back.kernel_types(), (std::vector<std::string>{"add", "conv-bn-relu", "fc"}));
  EXPECT_EQ(back.fusion_rules().patterns, test_rules().patterns);
  EXPECT_EQ(back.regressor("conv-bn-relu")->kind(), "mlp");
  EXPECT_EQ(back.regressor("fc")->kind(), "linear");
  ASSERT_NE(back.fallback(), nullptr);
  EXPECT_EQ(back.metrics().at("conv-bn-relu").within_10, 0.9);
  EXPECT_EQ(back.metrics().at("conv-bn-relu").count, 150u);
  ASSERT_TRUE(back.correction().has_value());
  EXPECT_EQ(back.correction()->overhead_ms_per_kernel, 0.01);
  EXPECT_EQ(back.correction()->constant_ms, 0.5);
  EXPECT_EQ(back.correction()->type_scales, set_->correction()->type_scales);
  const auto kernels = mixed();
  EXPECT_EQ(back.kernel_latencies(kernels), set_->kernel_latencies(kernels));
  EXPECT_EQ(back.predict_kernels(kernels), set_->predict_kernels(kernels));

  // A fingerprint that is not JSON is kept as a plain string.
  PredictorSet plain("p", "host-42", test_rules());
  plain.save(*dir_ / "plain");
  EXPECT_EQ(PredictorSet::load(*dir_ / "plain").fingerprint(), "host-42");
}

TEST_F(PredictorSetTest, NetworkLatencyIsTheCorrectedSumOfKernels) {
  const auto kernels = mixed();  // 6 types x 3 kernels
  const auto each = set_->kernel_latencies(kernels);
  // correction: each kernel at its type's scale (add 0, fc 2.5, the rest 1.2), + 0.01 ms · 18 kernels + 0.5 ms
  double scaled_sum = 0;
  for (std::size_t i = 0; i < kernels.size(); ++i) {
    EXPECT_GT(each[i], 0);
    scaled_sum += (kernels[i].type == "add" ? 0.0 : kernels[i].type == "fc" ? 2.5 : 1.2) * each[i];
  }
  EXPECT_NEAR(set_->predict_kernels(kernels), scaled_sum + 0.01 * 18 + 0.5, 1e-12);
  for (std::size_t i = 0; i < kernels.size(); ++i) EXPECT_EQ(set_->predict_kernel(kernels[i]), each[i]);

  const std::vector<std::vector<Kernel>> networks = {kernels, {kernels.begin(), kernels.begin() + 4}, {}};
  const auto many = set_->predict_many(networks);
  ASSERT_EQ(many.size(), 3u);
  EXPECT_EQ(many[0], set_->predict_kernels(networks[0]));
  EXPECT_EQ(many[1], set_->predict_kernels(networks[1]));
  EXPECT_EQ(many[2], 0.5);  // no kernels: the constant alone
}

TEST_F(PredictorSetTest, PredictGraphCutsWithTheSetsRules) {
  core::Graph g("net");
  auto x = g.input({1, 3, 32, 32});
  auto a = g.unary(OpKind::kRelu, g.batch_norm(g.conv2d(x, {.out_channels = 16, .kernel = 3, .padding = 1})));
  g.mark_output(g.linear(g.flatten(g.global_avg_pool(a)), {.out_features = 10}));
  const auto kernels = decompose(g, set_->fusion_rules());
  ASSERT_EQ(kernels.front().type, "conv-bn-relu");
  EXPECT_EQ(set_->predict_graph(g), set_->predict_kernels(kernels));
}

TEST_F(PredictorSetTest, CacheIsHitAndReturnsIdenticalValues) {
  PredictorSet set = PredictorSet::load(*dir_);
  const auto kernels = (*kernels_)["conv-bn-relu"];
  std::vector<Kernel> twice = {kernels.begin(), kernels.begin() + 10};
  twice.insert(twice.end(), kernels.begin(), kernels.begin() + 10);  // each key twice in one call
  const auto first = set.kernel_latencies(twice);
  CacheStats stats = set.cache_stats();
  EXPECT_EQ(stats.hits, 0u);
  EXPECT_EQ(stats.misses, 20u);
  EXPECT_EQ(stats.evaluations, 10u);  // duplicates evaluated once
  EXPECT_EQ(stats.entries, 10u);
  for (std::size_t i = 0; i < 10; ++i) EXPECT_EQ(first[i], first[i + 10]);
  const auto second = set.kernel_latencies(twice);
  EXPECT_EQ(second, first);
  stats = set.cache_stats();
  EXPECT_EQ(stats.hits, 20u);
  EXPECT_EQ(stats.evaluations, 10u);
  // Cached values are the regressor's own predictions.
  EXPECT_EQ(first[3], set.regressor("conv-bn-relu")->predict(set.features_of(kernels[3].config)));
  set.clear_cache();
  EXPECT_EQ(set.cache_stats().entries, 0u);
  EXPECT_EQ(set.kernel_latencies(twice), first);
}

TEST_F(PredictorSetTest, ConcurrentPredictionsAgree) {
  PredictorSet set = PredictorSet::load(*dir_);
  const auto kernels = mixed();
  const double expected = set_->predict_kernels(kernels);
  std::vector<double> results(4);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < results.size(); ++t)
    threads.emplace_back([&, t] {
      for (int rep = 0; rep < 20; ++rep) results[t] = set.predict_kernels(kernels);
    });
  for (auto& th : threads) th.join();
  for (double r : results) EXPECT_EQ(r, expected);
  EXPECT_GT(set.cache_stats().hits, 0u);
}

TEST_F(PredictorSetTest, MissingTypesFallBackAndAreReported) {
  PredictorSet set = PredictorSet::load(*dir_);
  // conv and dwconv-bn-relu: conv shares its leading token with conv-bn-relu; dwconv-bn-relu and relu have
  // no sibling and go to the fallback.
  EXPECT_EQ(set.serving_type("conv"), "conv-bn-relu");
  EXPECT_EQ(set.serving_type("conv-bn-hswish"), "conv-bn-relu");
  EXPECT_EQ(set.serving_type("relu"), "<fallback>");
  const Kernel& relu = (*kernels_)["relu"][0];
  EXPECT_EQ(set.predict_kernel(relu), set.fallback()->predict(set.features_of(relu.config)));
  const Kernel& conv = (*kernels_)["conv"][0];
  EXPECT_EQ(set.predict_kernel(conv), set.regressor("conv-bn-relu")->predict(set.features_of(conv.config)));
  const auto subs = set.substitutions();
  EXPECT_EQ(subs.at("conv"), "conv-bn-relu");
  EXPECT_EQ(subs.at("relu"), "<fallback>");
  EXPECT_EQ(subs.count("conv-bn-relu"), 0u);

  // Without a fallback a type with no sibling is an error naming it, never a zero.
  PredictorSet bare("bare", "{}", test_rules());
  auto fc = std::make_unique<LinearRegressor>();
  fc->fit(synthetic_dataset((*kernels_)["fc"], SyntheticLaw::kLinear, 0.0, 0), {}, {});
  bare.set_regressor("fc", std::move(fc));
  expect_mentions(error_of([&] { bare.predict_kernel(relu); }), "'relu'");
}

TEST_F(PredictorSetTest, ASubstitutionIsReportedOncePerProcessNotPerCopy) {
  // Benches and calibration load the same set many times; the warning must not repeat with each copy.
  // The type is one no other test asks for, since what was said is remembered process-wide.
  testing::internal::CaptureStderr();
  for (int copy = 0; copy < 3; ++copy)
    EXPECT_EQ(PredictorSet::load(*dir_).serving_type("conv-said-once"), "conv-bn-relu");
  const std::string said = testing::internal::GetCapturedStderr();
  std::size_t times = 0;
  for (auto at = said.find("'conv-said-once'"); at != std::string::npos; at = said.find("'conv-said-once'", at + 1))
    ++times;
  EXPECT_EQ(times, 1u) << said;
}

// ---------------------------------------------------------------- broken directories

TEST_F(PredictorSetTest, MissingDirectoryOrManifest) {
  expect_mentions(error_of([] { PredictorSet::load("/nonexistent/hwnas/set"); }), "/nonexistent/hwnas/set");
  const fs::path dir = copy_of_saved("nomanifest");
  fs::remove(dir / "manifest.json");
  expect_mentions(error_of([&] { PredictorSet::load(dir); }), "manifest.json");
  fs::remove_all(dir);
}

TEST_F(PredictorSetTest, MalformedManifest) {
  const fs::path dir = copy_of_saved("malformed");
  std::ofstream(dir / "manifest.json") << "{\"format\": \"hwnas-predictor-set\",\n \"kernels\": [1, 2,";
  const std::string message = error_of([&] { PredictorSet::load(dir); });
  expect_mentions(message, "manifest.json");
  expect_mentions(message, "malformed JSON");
  fs::remove_all(dir);
}

TEST_F(PredictorSetTest, UnsupportedFormatVersion) {
  const fs::path dir = copy_of_saved("format");
  auto j = read_manifest(dir);
  j["format_version"] = 7;
  write_manifest(dir, j);
  const std::string message = error_of([&] { PredictorSet::load(dir); });
  expect_mentions(message, "manifest.json");
  expect_mentions(message, "format version 7");
  fs::remove_all(dir);
}

TEST_F(PredictorSetTest, AVersionOneSetReadsAsOneScaleForEveryType) {
  // Sets written before per-type scales existed: no "type_scales", format version 1.
  const fs::path dir = copy_of_saved("version1");
  auto j = read_manifest(dir);
  j["format_version"] = 1;
  j["correction"].erase("type_scales");
  write_manifest(dir, j);
  const PredictorSet back = PredictorSet::load(dir);
  ASSERT_TRUE(back.correction().has_value());
  EXPECT_TRUE(back.correction()->type_scales.empty());
  EXPECT_EQ(back.correction()->scale_of("fc"), 1.2);
  fs::remove_all(dir);
}

TEST_F(PredictorSetTest, FeatureSchemaMismatchNamesBothVersions) {
  const fs::path dir = copy_of_saved("schema");
  auto j = read_manifest(dir);
  j["feature_schema_version"] = 42;
  write_manifest(dir, j);
  const std::string message = error_of([&] { PredictorSet::load(dir); });
  expect_mentions(message, "manifest.json");
  expect_mentions(message, "version 42");
  expect_mentions(message, "version " + std::to_string(KernelFeatures::kVersion));
  fs::remove_all(dir);
}

TEST_F(PredictorSetTest, NonsenseNumbersInTheManifestAreRefusedByTheirPath) {
  // Each would load and predict without a word: a negative scale clamps every network to the minimum
  // latency, a negative domain sends every kernel of the type to the fallback law.
  const fs::path dir = copy_of_saved("numbers");
  const nlohmann::json good = read_manifest(dir);
  const auto write_with = [&](const char* pointer, const nlohmann::json& value) {
    nlohmann::json j = good;
    j[nlohmann::json::json_pointer(pointer)] = value;
    write_manifest(dir, j);
  };
  const auto load_error = [&] { return error_of([&] { PredictorSet::load(dir); }); };
  write_with("/correction/scale", -3);
  expect_mentions(load_error(), "manifest.json: 'correction.scale' is -3, expected a positive number");
  write_with("/correction/scale", "big");
  expect_mentions(load_error(), "'correction.scale' is \"big\"");
  write_with("/correction/constant_ms", nullptr);
  expect_mentions(load_error(), "'correction.constant_ms' is null, expected a finite number");
  write_with("/kernels/fc/domain", {{"max_mflops", -1.0}, {"max_mb_read", 1.0}, {"max_in_kelements", 1.0}});
  expect_mentions(load_error(), "'kernels.fc.domain.max_mflops' is -1.0, expected a non-negative number");
  write_with("/correction/type_scales/fc", -1);
  expect_mentions(load_error(), "'correction.type_scales.fc' is -1, expected a non-negative number");
  write_with("/correction/type_scales", {1.0, 2.0});
  expect_mentions(load_error(), "'correction.type_scales' is [1.0,2.0], expected an object");
  // A negative per-kernel term is legitimate (latency_correction_fit.h) and loads.
  write_with("/correction/overhead_ms_per_kernel", -0.01);
  EXPECT_EQ(PredictorSet::load(dir).correction()->overhead_ms_per_kernel, -0.01);
  fs::remove_all(dir);
}

TEST_F(PredictorSetTest, MissingWeightsFile) {
  const fs::path dir = copy_of_saved("noweights");
  fs::remove(dir / "fc.cbor");
  expect_mentions(error_of([&] { PredictorSet::load(dir); }), "fc.cbor");
  fs::remove_all(dir);
}

TEST_F(PredictorSetTest, TruncatedWeightsFile) {
  const fs::path dir = copy_of_saved("truncated");
  fs::resize_file(dir / "conv-bn-relu.cbor", fs::file_size(dir / "conv-bn-relu.cbor") / 3);
  const std::string message = error_of([&] { PredictorSet::load(dir); });
  expect_mentions(message, "conv-bn-relu.cbor");
  expect_mentions(message, "truncated");
  fs::remove_all(dir);
}

TEST_F(PredictorSetTest, WeightsOfWrongDimensions) {
  const fs::path dir = copy_of_saved("dims");
  // Replace the conv MLP by one whose second layer is 64x32 where the first hands it 64 values... by
  // editing the stored state: layer 1 claims 63 columns.
  std::ifstream in(dir / "conv-bn-relu.cbor", std::ios::binary);
  const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  in.close();
  auto doc = nlohmann::json::from_cbor(bytes);
  doc["state"]["layers"][1]["cols"] = 63;
  const auto out = nlohmann::json::to_cbor(doc);
  std::ofstream(dir / "conv-bn-relu.cbor", std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(out.data()), static_cast<std::streamsize>(out.size()));
  const std::string message = error_of([&] { PredictorSet::load(dir); });
  expect_mentions(message, "conv-bn-relu.cbor");
  expect_mentions(message, "wrong dimensions");
  fs::remove_all(dir);
}

TEST_F(PredictorSetTest, KernelTypeWithoutWeights) {
  const fs::path dir = copy_of_saved("noentry");
  auto j = read_manifest(dir);
  j["kernels"]["dwconv-bn-relu"] = {{"regressor", "mlp"}};
  write_manifest(dir, j);
  const std::string message = error_of([&] { PredictorSet::load(dir); });
  expect_mentions(message, "manifest.json");
  expect_mentions(message, "'dwconv-bn-relu'");
  expect_mentions(message, "no weights file");
  fs::remove_all(dir);
}

TEST_F(PredictorSetTest, BrokenFusionRules) {
  const fs::path dir = copy_of_saved("rules");
  std::ofstream(dir / "fusion_rules.yaml") << "format_version: 1\nplatform: p\nrules:\n  - [conv, warp]\n";
  expect_mentions(error_of([&] { PredictorSet::load(dir); }), "fusion_rules.yaml");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace hwnas::predictors
