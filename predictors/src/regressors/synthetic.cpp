#include "hwnas/predictors/regressors/synthetic.h"

#include <algorithm>
#include <cmath>
#include <random>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "hwnas/core/error.h"
#include "hwnas/predictors/kernels/decomposer.h"

namespace hwnas::predictors {
namespace {

using core::OpKind;

/// Channel count drawn log-uniformly in [lo, hi], rounded to a multiple of 8 (at least 8).
std::int64_t channels(std::mt19937_64& rng, double lo, double hi) {
  std::uniform_real_distribution<double> u(std::log(lo), std::log(hi));
  return std::max<std::int64_t>(8, 8 * std::llround(std::exp(u(rng)) / 8.0));
}

template <typename T>
T pick(std::mt19937_64& rng, std::initializer_list<T> values) {
  std::uniform_int_distribution<std::size_t> u(0, values.size() - 1);
  return *(values.begin() + static_cast<std::ptrdiff_t>(u(rng)));
}

/// One random graph whose only kernel is of `type`.
core::Graph random_graph(const std::string& type, std::mt19937_64& rng) {
  core::Graph g(type);
  const std::int64_t hw = pick<std::int64_t>(rng, {7, 14, 28, 56, 112, 224});
  // Channel counts shrink as the map grows, as in real networks (and keep latencies in a sane range).
  const double cmax = std::clamp(16.0 * 224.0 / static_cast<double>(hw), 32.0, 512.0);
  const std::int64_t cin = channels(rng, 8, cmax);
  auto image = [&](std::int64_t c) { return g.input({1, c, hw, hw}); };
  if (type == "conv" || type == "conv-bn-relu") {
    const std::int64_t k = pick<std::int64_t>(rng, {1, 3, 5, 7});
    const std::int64_t s = pick<std::int64_t>(rng, {1, 2});
    auto y = g.conv2d(image(cin), {.out_channels = channels(rng, 8, cmax), .kernel = k, .stride = s, .padding = k / 2});
    if (type == "conv-bn-relu") y = g.unary(OpKind::kRelu, g.batch_norm(y));
    g.mark_output(y);
  } else if (type == "dwconv-bn-relu") {
    const std::int64_t k = pick<std::int64_t>(rng, {3, 5, 7});
    const std::int64_t s = pick<std::int64_t>(rng, {1, 2});
    auto y = g.conv2d(image(cin), {.out_channels = cin, .kernel = k, .stride = s, .padding = k / 2, .groups = cin});
    g.mark_output(g.unary(OpKind::kRelu, g.batch_norm(y)));
  } else if (type == "fc") {
    g.mark_output(g.linear(g.input({1, channels(rng, 16, 4096)}), {.out_features = channels(rng, 16, 4096)}));
  } else if (type == "add") {
    g.mark_output(g.add(image(cin), image(cin)));
  } else if (type == "relu") {
    g.mark_output(g.unary(OpKind::kRelu, image(cin)));
  } else if (type == "maxpool") {
    const std::int64_t k = pick<std::int64_t>(rng, {2, 3});
    g.mark_output(g.max_pool(image(cin), {.kernel = k, .stride = 2}));
  } else {
    fail("no synthetic generator for kernel type '{}' (valid: {})", type, fmt::join(synthetic_kernel_types(), ", "));
  }
  return g;
}

}  // namespace

const std::vector<std::string>& synthetic_kernel_types() {
  static const std::vector<std::string> types = {"add",    "conv", "conv-bn-relu", "dwconv-bn-relu",
                                                 "fc",     "maxpool", "relu"};
  return types;
}

std::vector<Kernel> synthetic_kernels(const std::string& type, std::size_t count, std::uint64_t seed) {
  const FusionRules rules{"synthetic", "synthetic", {{"conv", "bn", "relu"}, {"dwconv", "bn", "relu"}}};
  std::mt19937_64 rng(seed);
  std::vector<Kernel> kernels;
  kernels.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    auto found = decompose(random_graph(type, rng), rules);
    HWNAS_ASSERT(found.size() == 1 && found.front().type == type, "synthetic {} graph gave {} kernels", type,
                 found.size());
    kernels.push_back(std::move(found.front()));
  }
  return kernels;
}

double synthetic_latency_ms(const FeatureVector& x, SyntheticLaw law) {
  const double cin = x[2], mflops = x[9], mb = x[11] + x[12];
  const double efficiency = law == SyntheticLaw::kChannelStep && cin < 48 ? 0.4 : 1.0;
  return 0.005 + mflops / (8000.0 * efficiency) + mb / 10.0;
}

KernelDataset synthetic_dataset(const std::vector<Kernel>& kernels, SyntheticLaw law, double noise_sigma,
                                std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0.0, noise_sigma);
  KernelDataset data;
  for (const auto& kernel : kernels) {
    const FeatureVector x = KernelFeatures::of(kernel.config, ConvDispatch::kAlwaysBlocked);
    data.add(x, synthetic_latency_ms(x, law) * std::exp(noise_sigma > 0 ? noise(rng) : 0.0));
  }
  return data;
}

}  // namespace hwnas::predictors
