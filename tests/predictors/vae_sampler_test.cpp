#include "hwnas/predictors/sampling/vae_sampler.h"

#include <chrono>
#include <cmath>
#include <set>
#include <tuple>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "hwnas/core/error.h"

namespace hwnas::predictors {
namespace {

using Tuple = std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::int64_t>;

std::vector<Tuple> tuples(const std::vector<KernelConfig>& configs) {
  std::vector<Tuple> out;
  for (const auto& c : configs) out.emplace_back(c.h, c.cin, c.cout, c.kernel, c.stride);
  return out;
}

KernelConfig cfg(std::int64_t hw, std::int64_t cin, std::int64_t cout, std::int64_t k, std::int64_t s) {
  return KernelConfig{.h = hw, .w = hw, .cin = cin, .cout = cout, .kernel = k, .stride = s};
}

/// A small VAE: these tests check behaviour, not the quality of LitePred's full-size model.
VaeSamplerOptions small_options(std::uint64_t seed) {
  VaeSamplerOptions o;
  o.latent = 16;
  o.hidden = 64;
  o.steps = 200;
  o.batch_size = 32;
  o.seed = seed;
  return o;
}

PriorSamplerOptions prior_of(std::vector<std::string> spaces, int archs) {
  PriorSamplerOptions prior;
  prior.spaces = std::move(spaces);
  prior.archs_per_space = archs;
  return prior;
}

const FusionRules& eager_rules() {
  static const FusionRules rules = default_fusion_rules("libtorch-cpu-t1");  // nothing fuses: types are single ops
  return rules;
}

TEST(ConfigVae, IsDeterministicUnderItsSeeds) {
  const auto configs = prior_kernel_configs("conv", prior_of({"nb201", "fbnet"}, 10), eager_rules(), 4);
  ASSERT_GT(configs.size(), 100u);
  const ConfigVae a = ConfigVae::fit(configs, small_options(1));
  const ConfigVae b = ConfigVae::fit(configs, small_options(1));
  const ConfigVae c = ConfigVae::fit(configs, small_options(2));
  const auto from_a = tuples(a.generate(40, "conv", 7));
  EXPECT_GE(from_a.size(), 20u);  // a briefly trained VAE may offer fewer than 40 distinct configs
  EXPECT_EQ(from_a, tuples(b.generate(40, "conv", 7)));  // same fit seed, same generation seed
  EXPECT_NE(from_a, tuples(a.generate(40, "conv", 8)));  // another generation seed
  EXPECT_NE(from_a, tuples(c.generate(40, "conv", 7)));  // another fit seed
  EXPECT_EQ(std::set<Tuple>(from_a.begin(), from_a.end()).size(), from_a.size()) << "configs must be distinct";
  EXPECT_TRUE(std::isfinite(a.final_reconstruction_loss()));
}

TEST(ConfigVae, GeneratedConfigsObeyTheirFamilysRules) {
  // dwconv from FBNet and OFA MobileNetV3 (k3/k5/k7 depthwise), conv from all three spaces, pools from NB201.
  const auto prior = prior_of({"nb201", "fbnet", "mobilenet"}, 8);
  for (const std::string family : {"conv", "dwconv", "avgpool"}) {
    const auto configs = prior_kernel_configs(family, prior, eager_rules(), 3);
    ASSERT_FALSE(configs.empty()) << family;
    const auto generated = ConfigVae::fit(configs, small_options(5)).generate(150, family, 9);
    ASSERT_FALSE(generated.empty()) << family;
    for (const auto& c : generated) {
      const std::string what = fmt::format("{}: hw {} cin {} cout {} k {} s {}", family, c.h, c.cin, c.cout, c.kernel,
                                           c.stride);
      EXPECT_EQ(c.h, c.w) << what;
      EXPECT_GE(c.h, c.kernel) << what;
      EXPECT_TRUE(c.stride == 1 || c.stride == 2) << what;
      EXPECT_TRUE(c.cin <= 3 || c.cin % 8 == 0) << what;
      if (family == "conv") {
        EXPECT_TRUE(c.kernel == 1 || c.kernel == 3 || c.kernel == 5 || c.kernel == 7) << what;
        EXPECT_TRUE(c.cout <= 3 || c.cout % 8 == 0) << what;
      } else if (family == "dwconv") {
        EXPECT_TRUE(c.kernel == 3 || c.kernel == 5 || c.kernel == 7) << what;
        EXPECT_EQ(c.cout, c.cin) << what;
        EXPECT_EQ(c.groups, c.cin) << what;
      } else {
        EXPECT_TRUE(c.kernel == 2 || c.kernel == 3) << what;
        EXPECT_EQ(c.cout, c.cin) << what;
      }
    }
  }
}

TEST(ConfigVae, ConstantTrainingSetMapsThroughTheFamilyRules) {
  // Every feature constant: min-max scaling has range 0, so whatever the decoder outputs unscales to the
  // training value and only the post-processing acts. The VAE then has exactly one distinct config to
  // offer and returns it alone, without error, however many are asked.
  auto only = [](KernelConfig c, const std::string& family) {
    const std::vector<KernelConfig> data(20, c);
    VaeSamplerOptions o = small_options(1);
    o.steps = 20;
    return tuples(ConfigVae::fit(data, o).generate(10, family, 2));
  };
  // HW 14, CIN 20, COUT 20, K 6, S 1. conv: K 6 is as near 5 as 7, and ties go up: 7; channels > 3
  // round up to a multiple of 8: 20 → 24. dwconv (LitePred's rule): 6 → 5, COUT = CIN = 24. avgpool: K
  // clamps to 3.
  EXPECT_EQ(only(cfg(14, 20, 20, 6, 1), "conv"), (std::vector<Tuple>{{14, 24, 24, 7, 1}}));
  EXPECT_EQ(only(cfg(14, 20, 20, 6, 1), "dwconv"), (std::vector<Tuple>{{14, 24, 24, 5, 1}}));
  EXPECT_EQ(only(cfg(14, 20, 20, 6, 1), "avgpool"), (std::vector<Tuple>{{14, 24, 24, 3, 1}}));
  // HW 2 below K 7: HW is raised to K. CIN 3 stays (≤ 3); COUT 5 → 8 for conv, = CIN for dwconv.
  EXPECT_EQ(only(cfg(2, 3, 5, 7, 2), "conv"), (std::vector<Tuple>{{7, 3, 8, 7, 2}}));
  EXPECT_EQ(only(cfg(2, 3, 5, 7, 2), "dwconv"), (std::vector<Tuple>{{7, 3, 3, 7, 2}}));
  // dwconv (LitePred): K < 3 → 3, 4 → 3, > 7 → 7; conv: 2 → 3 and 4 → 5 (ties up), 9 → 7; maxpool: 1 → 2.
  EXPECT_EQ(only(cfg(28, 64, 64, 2, 1), "dwconv"), (std::vector<Tuple>{{28, 64, 64, 3, 1}}));
  EXPECT_EQ(only(cfg(28, 64, 64, 4, 1), "dwconv"), (std::vector<Tuple>{{28, 64, 64, 3, 1}}));
  EXPECT_EQ(only(cfg(28, 64, 64, 9, 1), "dwconv"), (std::vector<Tuple>{{28, 64, 64, 7, 1}}));
  EXPECT_EQ(only(cfg(28, 64, 64, 2, 1), "conv"), (std::vector<Tuple>{{28, 64, 64, 3, 1}}));
  EXPECT_EQ(only(cfg(28, 64, 64, 4, 1), "conv"), (std::vector<Tuple>{{28, 64, 64, 5, 1}}));
  EXPECT_EQ(only(cfg(28, 64, 64, 9, 1), "conv"), (std::vector<Tuple>{{28, 64, 64, 7, 1}}));
  EXPECT_EQ(only(cfg(28, 64, 64, 1, 2), "maxpool"), (std::vector<Tuple>{{28, 64, 64, 2, 2}}));
}

TEST(ConfigVae, RejectsBadInputNamingIt) {
  const std::vector<KernelConfig> data = {cfg(8, 16, 16, 3, 1), cfg(8, 16, 0, 3, 1)};
  try {
    ConfigVae::fit(data, small_options(1));
    ADD_FAILURE() << "a config with cout 0 was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("training config 1"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ConfigVae::fit(std::vector<KernelConfig>{}, small_options(1)), Error);
  const std::vector<KernelConfig> good(4, cfg(8, 16, 16, 3, 1));
  VaeSamplerOptions o = small_options(1);
  o.steps = 10;
  try {
    ConfigVae::fit(good, o).generate(5, "fc", 1);
    ADD_FAILURE() << "family fc was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'fc'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("dwconv"), std::string::npos) << e.what();
  }
  EXPECT_THROW(sample_vae_kernels("relu", prior_of({"nb201"}, 1), eager_rules(), 5, 1), Error);
}

// Bins: HW bin = ceil(5·log2(HW+1)), CIN bin = ceil(log2(CIN+1)). HW 1 → 5, HW 15 → 20, CIN 31 → 5.
// Output cell i of the 11-wide, stride-5, padding-5 box covers input bins [5i−5, 5i+5]: bin 5 is covered
// by cells 0, 1, 2 and bin 20 by cells 3, 4, 5, so (HW 1, CIN 31) and (HW 15, CIN 31) each spread over
// 3×3 = 9 cells and share none. Normalised, one such config puts 1/9 on each of its 9 cells.
TEST(ConfigDistributionKl, MatchesHandDerivedValues) {
  const KernelConfig a = cfg(1, 31, 31, 3, 1), b = cfg(15, 31, 31, 3, 1), c = cfg(1, 31, 31, 1, 2);
  const std::vector<KernelConfig> p = {a, b, a, c};
  EXPECT_NEAR(config_distribution_kl(p, p), 0.0, 1e-12);
  // Order and repetition of q as a whole do not matter, only its frequencies.
  EXPECT_NEAR(config_distribution_kl(p, std::vector<KernelConfig>{c, a, b, a, c, a, b, a}), 0.0, 1e-12);

  // p = {a}, q = {a, b}: p has 1/9 on a's cells, q 1/18 on a's and 1/18 on b's: KL = 9·(1/9)·ln 2 = ln 2.
  const double eps = 1e-10;
  EXPECT_NEAR(config_distribution_kl(std::vector<KernelConfig>{a}, std::vector<KernelConfig>{a, b}), std::log(2.0),
              1e-7);
  // p = {a, c} (two (K, S) groups, half each), q = {a}: the (3, 1) group matches (0); q has no (1, 2)
  // config, so its cells are eps: 9·(1/9 + eps)·ln((1/9 + eps)/eps), weighted by p's share 1/2.
  const double missing = 9 * (1.0 / 9 + eps) * std::log((1.0 / 9 + eps) / eps);
  EXPECT_NEAR(config_distribution_kl(std::vector<KernelConfig>{a, c}, std::vector<KernelConfig>{a}), 0.5 * missing,
              1e-6);
  EXPECT_NEAR(0.5 * missing, 10.414, 1e-3);  // ≈ ½ ln(1e10 / 9)
  // Kernel sizes outside 1..7 are not part of either distribution.
  EXPECT_NEAR(config_distribution_kl(std::vector<KernelConfig>{a}, std::vector<KernelConfig>{a, cfg(7, 8, 8, 9, 1)}),
              0.0, 1e-12);
  EXPECT_THROW(config_distribution_kl(std::vector<KernelConfig>{}, p), Error);
}

// The point of the sampler: its samples follow the spaces' distribution of conv configs more closely
// than the random sampler's log-uniform box does. A narrower VAE than the default keeps the test fast
// (defaults, measured the same way: KL ≈ 0.5-0.8, see vae_sampler.cpp).
TEST(VaeSampler, CoversThePriorBetterThanRandomSampling) {
  const auto prior = prior_of({"nb201", "fbnet", "mobilenet"}, 30);
  const std::uint64_t seed = 11;
  const auto p = prior_kernel_configs("conv", prior, eager_rules(), seed);
  VaeSamplerOptions options;
  options.hidden = 64;
  const auto start = std::chrono::steady_clock::now();
  const auto vae = sample_vae_kernels("conv", prior, eager_rules(), 300, seed, options);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(vae.size(), 300u);
  const auto random = sample_random_kernels("conv", RandomSamplerOptions{}, vae.size(), seed);
  ASSERT_EQ(random.size(), vae.size());
  auto configs = [](const std::vector<KernelSample>& samples) {
    std::vector<KernelConfig> out;
    for (const auto& s : samples) out.push_back(s.kernel.config);
    return out;
  };
  const double kl_vae = config_distribution_kl(p, configs(vae));
  const double kl_random = config_distribution_kl(p, configs(random));
  std::set<Tuple> distinct_prior;
  for (const auto& t : tuples(p)) distinct_prior.insert(t);
  fmt::print("[ VAE      ] conv prior: {} kernels, {} distinct configs; {} VAE kernels in {:.1f} s; "
             "KL(prior || VAE) = {:.3f}, KL(prior || random) = {:.3f}\n",
             p.size(), distinct_prior.size(), vae.size(), seconds, kl_vae, kl_random);
  EXPECT_LT(kl_vae, kl_random);
  for (const auto& s : vae) EXPECT_EQ(s.kernel.type, "conv");
}

TEST(VaeSampler, BuildsDeterministicKernelsOfAFusedType) {
  const FusionRules rules{"p", "test", {{"dwconv", "bn", "relu"}}};
  const auto prior = prior_of({"fbnet"}, 5);
  const VaeSamplerOptions options = small_options(0);
  // A briefly trained VAE may offer fewer distinct configs than asked; whatever it returns is reproducible.
  const auto a = sample_vae_kernels("dwconv-bn-relu", prior, rules, 20, 4, options);
  const auto b = sample_vae_kernels("dwconv-bn-relu", prior, rules, 20, 4, options);
  const auto c = sample_vae_kernels("dwconv-bn-relu", prior, rules, 20, 5, options);
  ASSERT_GE(a.size(), 5u);
  ASSERT_LE(a.size(), 20u);
  ASSERT_EQ(b.size(), a.size());
  std::vector<std::string> keys_a, keys_b, keys_c;
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].kernel.type, "dwconv-bn-relu");
    EXPECT_EQ(a[i].kernel.config.cout, a[i].kernel.config.cin);
    keys_a.push_back(a[i].kernel.key);
    keys_b.push_back(b[i].kernel.key);
  }
  for (const auto& s : c) keys_c.push_back(s.kernel.key);
  EXPECT_EQ(keys_a, keys_b);
  EXPECT_NE(keys_a, keys_c);
}

}  // namespace
}  // namespace hwnas::predictors
