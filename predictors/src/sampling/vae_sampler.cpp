// LitePred's VAE sampler over conv-like kernel configs, trained and sampled with LibTorch.
#include "hwnas/predictors/sampling/vae_sampler.h"

#include <torch/torch.h>

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <map>
#include <random>
#include <set>
#include <tuple>

#include "hwnas/core/error.h"
#include "hwnas/predictors/kernels/decomposer.h"
#include "hwnas/predictors/sampling/kernel_builder.h"
#include "../torch_threads.h"

namespace hwnas::predictors {
namespace {

// The defaults of VaeSamplerOptions, measured on the 4013 conv kernels (433 distinct configs) of 30
// architectures each of nb201, fbnet and mobilenet (seed 11, eager rules): KL(prior ‖ 300 VAE samples) by
// config_distribution_kl, where 300 random-sampler kernels score 2.95 and the prior's own 433 distinct
// configs 0.12; batch 64, CPU seconds of one core of a busy 2-core host.
//   hidden 256, c 8 (LitePred), 1500 steps        5.49              9 s
//   hidden 256, c 8,            6000 steps        2.15             69 s
//   hidden 256, c 6,            6000 steps        0.25             61 s
//   hidden 256, c 6,            3000 steps        0.59, 0.80       ~33 s (17 s with a non-trimming malloc)
//   hidden 128, c 6,            3000 steps        0.76, 0.46, 0.47  8 s
//   hidden 128, c 6,            2000 steps        2.07, 1.19        5 s
// (several values: fit seeds 1, 2, 3.) With c = 8 and a short fit β stays ~1e-4: the encoder packs the
// data into small regions of the latent space, and z ~ N(0, I) decodes to configs between the modes.
constexpr int kFeatures = 5;      // log2 HW, log2 CIN, log2 COUT, K, S
constexpr int kMidLayers = 3;     // hidden→hidden layers after the first one, in encoder and decoder
constexpr int kBetaWindow = 50;   // steps between β updates (LitePred's print_cycle)
constexpr double kBetaStart = 0.02;

/// A fully connected layer run as a 1×1 convolution over (batch, features, 1, 1) tensors. The Debian
/// LibTorch sends addmm to the reference BLAS (libblas3, ~5 GFLOP/s on this host), while convolutions run
/// in oneDNN's JIT kernels (~50 GFLOP/s): the same arithmetic, nine times faster for a 64×256 by 256×256
/// product with its backward pass.
struct Linear {
  torch::Tensor w;  // out x in x 1 x 1
  torch::Tensor b;
  torch::Tensor operator()(const torch::Tensor& x) const { return torch::conv2d(x, w, b); }
};

/// Every layer's parameters in one flat tensor and their gradients in another, as mlp_trainer.cpp keeps
/// them: each weight and bias is a leaf viewing a slice of the flat tensor, with its grad viewing the same
/// slice of the flat gradient (autograd accumulates into an existing grad in place), so Adam is a few
/// in-place ops on two tensors per step instead of a dozen per parameter tensor.
struct FlatParams {
  torch::Tensor data;
  torch::Tensor grad;
  std::vector<Linear> layers;  // in the order of `shapes`
};

// nn.Linear's default init (kaiming_uniform_ with a = sqrt(5) and its bias rule): U(±1/sqrt(fan_in)) for
// weights and biases, drawn from our own generator so the fit never depends on the global torch RNG.
FlatParams make_params(const std::vector<std::pair<std::int64_t, std::int64_t>>& shapes, at::Generator& gen) {
  torch::NoGradGuard no_grad;
  std::int64_t total = 0;
  for (const auto& [in, out] : shapes) total += out * in + out;
  FlatParams p{torch::empty({total}), torch::zeros({total}), {}};
  auto leaf = [](const torch::Tensor& data, const torch::Tensor& grad) {
    torch::Tensor t = data.detach().requires_grad_(true);
    t.mutable_grad() = grad;
    return t;
  };
  std::int64_t offset = 0;
  for (const auto& [in, out] : shapes) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(in));
    p.data.narrow(0, offset, out * in + out).uniform_(-bound, bound, gen);
    p.layers.push_back({leaf(p.data.narrow(0, offset, out * in).view({out, in, 1, 1}),
                             p.grad.narrow(0, offset, out * in).view({out, in, 1, 1})),
                        leaf(p.data.narrow(0, offset + out * in, out), p.grad.narrow(0, offset + out * in, out))});
    offset += out * in + out;
  }
  return p;
}

/// first → ReLU → (mid → ReLU)×3. LitePred's decoder applies its ReLUs before each mid layer instead,
/// which leaves the last mid layer and the output layer as two stacked linear maps; we put one after
/// every hidden layer as the encoder does.
torch::Tensor hidden_stack(const std::vector<Linear>& layers, torch::Tensor h) {
  for (const auto& l : layers) h = torch::relu(l(h));
  return h;
}

struct Decoder {
  std::vector<Linear> hidden;
  Linear out;
  torch::Tensor operator()(const torch::Tensor& z) const { return torch::sigmoid(out(hidden_stack(hidden, z))); }
};

using FeatureRow = std::array<double, kFeatures>;

FeatureRow raw_features(const KernelConfig& c) {
  return {std::log2(static_cast<double>(c.h)), std::log2(static_cast<double>(c.cin)),
          std::log2(static_cast<double>(c.cout)), static_cast<double>(c.kernel), static_cast<double>(c.stride)};
}

std::int64_t round_up_8_above_3(std::int64_t c) { return c > 3 ? (c + 7) / 8 * 8 : c; }

enum class Family { kConv, kDwconv, kPool };

Family family_of(std::string_view family) {
  if (family == "conv") return Family::kConv;
  if (family == "dwconv") return Family::kDwconv;
  if (family == "maxpool" || family == "avgpool") return Family::kPool;
  fail("VAE sampler: unknown kernel family '{}' (valid: conv, dwconv, maxpool, avgpool)", family);
}

/// Rounded features → a config obeying the family's rules (see ConfigVae::generate).
/// `k_value` is the unscaled, unrounded kernel size.
KernelConfig post_process(std::int64_t hw, std::int64_t cin, std::int64_t cout, double k_value, std::int64_t s,
                          Family family) {
  KernelConfig c;
  const std::int64_t k = std::llround(k_value);
  c.stride = std::clamp<std::int64_t>(s, 1, 2);
  cin = std::max<std::int64_t>(cin, 1);
  cout = std::max<std::int64_t>(cout, 1);
  switch (family) {
    case Family::kConv:
      // Nearest of {1, 3, 5, 7} to the unrounded value: rounding first would make every K in [1.5, 2.5)
      // a 2, equally far from 1 and 3, and whichever way such ties went would bias the sizes.
      c.kernel = std::clamp<std::int64_t>(2 * std::llround((k_value - 1) / 2) + 1, 1, 7);
      c.cin = round_up_8_above_3(cin);
      c.cout = round_up_8_above_3(cout);
      c.groups = 1;
      break;
    case Family::kDwconv:
      c.kernel = k < 3 ? 3 : k == 4 ? 3 : k == 6 ? 5 : k > 7 ? 7 : k;
      c.cin = c.cout = c.groups = round_up_8_above_3(cin);
      break;
    case Family::kPool:
      c.kernel = std::clamp<std::int64_t>(k, 2, 3);
      c.cin = c.cout = round_up_8_above_3(cin);
      break;
  }
  c.h = c.w = std::max({hw, c.kernel, std::int64_t{1}});
  return c;
}

std::int64_t round_exp2(double v) { return std::llround(std::exp2(v)); }

}  // namespace

struct ConfigVae::Impl {
  Decoder decoder;
  int latent = 0;
  FeatureRow min{};
  FeatureRow range{};  // max − min; 0 for a feature constant over the training set
  double final_recon = 0;
  double seconds = 0;
};

ConfigVae ConfigVae::fit(std::span<const KernelConfig> configs, const VaeSamplerOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  HWNAS_CHECK(!configs.empty(), "VAE sampler: no training configs");
  HWNAS_CHECK(options.latent >= 1 && options.hidden >= 1 && options.steps >= 1 && options.batch_size >= 1 &&
                  options.learning_rate > 0,
              "VAE sampler: bad options (latent {}, hidden {}, steps {}, batch_size {}, learning_rate {}; all must be "
              "positive)",
              options.latent, options.hidden, options.steps, options.batch_size, options.learning_rate);

  // Distinct configs and their frequencies; std::map keeps the order independent of the input order.
  std::map<std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::int64_t>, double> counts;
  for (std::size_t i = 0; i < configs.size(); ++i) {
    const auto& c = configs[i];
    if (c.h < 1 || c.cin < 1 || c.cout < 1 || c.kernel < 1 || c.stride < 1)
      fail("VAE sampler: training config {} has h {}, cin {}, cout {}, kernel {}, stride {} (all must be >= 1)", i, c.h,
           c.cin, c.cout, c.kernel, c.stride);
    counts[{c.h, c.cin, c.cout, c.kernel, c.stride}] += 1;
  }
  auto impl = std::make_shared<Impl>();
  impl->latent = options.latent;
  std::vector<FeatureRow> rows;
  std::vector<double> weights;
  for (const auto& [key, n] : counts) {
    const auto [h, cin, cout, k, s] = key;
    rows.push_back(raw_features(KernelConfig{.h = h, .w = h, .cin = cin, .cout = cout, .kernel = k, .stride = s}));
    weights.push_back(n);
  }
  FeatureRow max{};
  impl->min = max = rows.front();
  for (const auto& r : rows)
    for (int j = 0; j < kFeatures; ++j) {
      impl->min[j] = std::min(impl->min[j], r[j]);
      max[j] = std::max(max[j], r[j]);
    }
  for (int j = 0; j < kFeatures; ++j) impl->range[j] = max[j] - impl->min[j];
  std::vector<float> scaled;
  for (const auto& r : rows)
    for (int j = 0; j < kFeatures; ++j)
      scaled.push_back(impl->range[j] > 0 ? static_cast<float>((r[j] - impl->min[j]) / impl->range[j]) : 0.0f);
  const auto n_rows = static_cast<std::int64_t>(rows.size());

  TorchThreads threads(1);
  const torch::Tensor data = torch::from_blob(scaled.data(), {n_rows, kFeatures, 1, 1}, torch::kFloat32).clone();
  at::Generator gen = at::detail::createCPUGenerator(options.seed);
  const std::int64_t hidden = options.hidden, latent = options.latent;
  // Encoder 5→H→3×(H→H)→(μ, log σ); decoder L→H→3×(H→H)→5.
  std::vector<std::pair<std::int64_t, std::int64_t>> shapes = {{kFeatures, hidden}};
  for (int i = 0; i < kMidLayers; ++i) shapes.emplace_back(hidden, hidden);
  shapes.insert(shapes.end(), {{hidden, latent}, {hidden, latent}, {latent, hidden}});
  for (int i = 0; i < kMidLayers; ++i) shapes.emplace_back(hidden, hidden);
  shapes.emplace_back(hidden, kFeatures);
  FlatParams params = make_params(shapes, gen);
  const std::vector<Linear> encoder(params.layers.begin(), params.layers.begin() + 1 + kMidLayers);
  const Linear& to_mu = params.layers[1 + kMidLayers];
  const Linear& to_log_sigma = params.layers[2 + kMidLayers];
  Decoder decoder{{params.layers.begin() + 3 + kMidLayers, params.layers.end() - 1}, params.layers.back()};
  // Adam as torch.optim.Adam (eps outside the square root, bias corrections).
  constexpr double kBeta1 = 0.9, kBeta2 = 0.999, kAdamEps = 1e-8;
  torch::Tensor adam_m = torch::zeros_like(params.data), adam_v = torch::zeros_like(params.data);
  torch::Tensor adam_denom = torch::zeros_like(params.data);

  // Frequency weighting as LitePred does it: every batch is drawn with replacement, config i with
  // probability ∝ its count, so the loss is an unbiased estimate of the frequency-weighted one.
  std::mt19937_64 rng(options.seed);
  std::discrete_distribution<std::int64_t> draw(weights.begin(), weights.end());
  const std::int64_t batch = options.batch_size;
  std::vector<std::int64_t> picks(static_cast<std::size_t>(batch));
  double beta = kBetaStart;
  double window_recon = 0;
  for (int step = 1; step <= options.steps; ++step) {
    for (auto& p : picks) p = draw(rng);
    const torch::Tensor x = data.index_select(0, torch::from_blob(picks.data(), {batch}, torch::kInt64));
    const torch::Tensor h = hidden_stack(encoder, x);
    const torch::Tensor mu = to_mu(h);
    const torch::Tensor log_sigma = to_log_sigma(h);
    const torch::Tensor sigma = log_sigma.exp();
    const torch::Tensor z = mu + sigma * torch::randn({batch, latent, 1, 1}, gen);
    const torch::Tensor recon = (x - decoder(z)).square().sum();
    // KL(N(μ, σ²) ‖ N(0, 1)) = ½(σ² + μ²) − log σ − ½ per latent dimension. LitePred's code writes
    // σ² + μ² − log σ − ½, whose minimum sits at σ = 1/√2 instead of the prior's σ = 1.
    const torch::Tensor kl = (0.5 * (sigma.square() + mu.square()) - log_sigma - 0.5).sum();
    const torch::Tensor loss = recon + beta * kl;
    params.grad.zero_();
    loss.backward();
    {
      torch::NoGradGuard no_grad;
      adam_m.mul_(kBeta1).add_(params.grad, 1 - kBeta1);
      adam_v.mul_(kBeta2).addcmul_(params.grad, params.grad, 1 - kBeta2);
      torch::sqrt_out(adam_denom, adam_v).div_(std::sqrt(1 - std::pow(kBeta2, step))).add_(kAdamEps);
      params.data.addcdiv_(adam_m, adam_denom, -options.learning_rate / (1 - std::pow(kBeta1, step)));
    }
    window_recon += recon.item<double>();
    if (step % kBetaWindow == 0) {
      // β stays tiny while the reconstruction is poor and rises towards 0.1 as it falls below e^-c per config.
      impl->final_recon = window_recon / (kBetaWindow * static_cast<double>(batch));
      beta = 0.1 / (1 + std::exp(2 * (std::log(impl->final_recon) + options.loss_balance)));
      window_recon = 0;
    }
  }
  if (options.steps < kBetaWindow) impl->final_recon = window_recon / (options.steps * static_cast<double>(batch));
  HWNAS_CHECK(std::isfinite(impl->final_recon), "VAE sampler: training diverged (reconstruction loss {}); lower the "
              "learning rate", impl->final_recon);

  {
    torch::NoGradGuard no_grad;
    for (const auto& l : decoder.hidden) impl->decoder.hidden.push_back({l.w.detach().clone(), l.b.detach().clone()});
    impl->decoder.out = {decoder.out.w.detach().clone(), decoder.out.b.detach().clone()};
  }
  impl->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return ConfigVae(std::move(impl));
}

double ConfigVae::final_reconstruction_loss() const { return impl_->final_recon; }
double ConfigVae::fit_seconds() const { return impl_->seconds; }

std::vector<KernelConfig> ConfigVae::generate(std::size_t count, std::string_view family, std::uint64_t seed) const {
  const Family f = family_of(family);
  const Impl& m = *impl_;
  // One thread: a GEMM's summation order can depend on the thread count, and a last-bit change can
  // flip a rounding.
  TorchThreads threads(1);
  torch::InferenceMode inference;
  at::Generator gen = at::detail::createCPUGenerator(seed);
  std::vector<KernelConfig> out;
  std::set<std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::int64_t>> seen;
  const std::size_t max_draws = 50 * count + 1000;
  for (std::size_t drawn = 0; out.size() < count && drawn < max_draws;) {
    const std::size_t batch = std::max<std::size_t>(256, 2 * (count - out.size()));
    const auto n = static_cast<std::int64_t>(std::min(max_draws - drawn, batch));
    drawn += static_cast<std::size_t>(n);
    const torch::Tensor x = m.decoder(torch::randn({n, m.latent, 1, 1}, gen))
                                .clamp(0, 1)
                                .reshape({n, kFeatures})
                                .to(torch::kFloat64)
                                .contiguous();
    const double* rows = x.data_ptr<double>();
    for (std::int64_t i = 0; i < n && out.size() < count; ++i) {
      double v[kFeatures];
      for (int j = 0; j < kFeatures; ++j) v[j] = m.min[j] + rows[i * kFeatures + j] * m.range[j];
      const KernelConfig c = post_process(round_exp2(v[0]), round_exp2(v[1]), round_exp2(v[2]), v[3],
                                          std::llround(v[4]), f);
      if (seen.insert({c.h, c.cin, c.cout, c.kernel, c.stride}).second) out.push_back(c);
    }
  }
  return out;
}

double config_distribution_kl(std::span<const KernelConfig> p, std::span<const KernelConfig> q) {
  HWNAS_CHECK(!p.empty(), "config_distribution_kl: the reference distribution p is empty");
  constexpr int kBins = 49, kOut = 10, kWindow = 11, kStride = 5, kPad = 5;
  constexpr double kEps = 1e-10;
  using Grid = std::array<double, kOut * kOut>;
  auto bin = [](double v) { return std::clamp(static_cast<int>(std::ceil(v)), 0, kBins - 1); };
  // Smoothed histogram of the configs with kernel k and stride s, normalised when `members` > 0, + eps.
  auto smoothed = [&](std::span<const KernelConfig> configs, std::int64_t k, std::int64_t s, Grid& grid,
                      std::size_t& members) {
    grid.fill(0);
    members = 0;
    for (const auto& c : configs) {
      if (c.kernel != k || c.stride != s) continue;
      ++members;
      const int a = bin(5 * std::log2(static_cast<double>(c.h) + 1));
      const int b = bin(std::log2(static_cast<double>(c.cin) + 1));
      // Output cell (i, j) of the box filter covers input rows [i·5 − 5, i·5 + 5] and the same columns.
      for (int i = 0; i < kOut; ++i)
        for (int j = 0; j < kOut; ++j)
          if (a >= i * kStride - kPad && a <= i * kStride - kPad + kWindow - 1 && b >= j * kStride - kPad &&
              b <= j * kStride - kPad + kWindow - 1)
            grid[i * kOut + j] += 25.0 / 121.0;
    }
    double total = 0;
    for (double g : grid) total += g;
    if (total > 0)
      for (double& g : grid) g /= total;
    for (double& g : grid) g += kEps;
  };
  double divergence = 0;
  Grid pg{}, qg{};
  std::size_t p_members = 0, q_members = 0;
  for (std::int64_t k = 1; k <= 7; ++k)
    for (std::int64_t s = 1; s <= 2; ++s) {
      smoothed(p, k, s, pg, p_members);
      if (p_members == 0) continue;
      smoothed(q, k, s, qg, q_members);
      double kl = 0;
      for (int i = 0; i < kOut * kOut; ++i) kl += pg[i] * std::log(pg[i] / qg[i]);
      divergence += static_cast<double>(p_members) / static_cast<double>(p.size()) * kl;
    }
  return divergence;
}

std::vector<KernelConfig> prior_kernel_configs(const std::string& type, const PriorSamplerOptions& prior,
                                               const FusionRules& rules, std::uint64_t seed) {
  // The same draws as sample_prior_kernels(), so both see the same architectures under one seed.
  SamplerRng rng(seed);
  std::vector<KernelConfig> out;
  for (std::size_t s = 0; s < prior.spaces.size(); ++s) {
    const auto space = spaces::make_space(prior.spaces[s], s < prior.space_options.size() ? prior.space_options[s]
                                                                                         : spaces::SpaceOptions{});
    for (int a = 0; a < prior.archs_per_space; ++a)
      for (const auto& kernel : decompose(space->to_graph(space->sample(rng)), rules))
        if (kernel.type == type) out.push_back(kernel.config);
  }
  return out;
}

std::vector<KernelSample> sample_vae_kernels(const std::string& type, const PriorSamplerOptions& prior,
                                             const FusionRules& rules, std::size_t count, std::uint64_t seed,
                                             const VaeSamplerOptions& options) {
  const std::string family = type.substr(0, type.find('-'));
  family_of(family);  // reject a bad family before any work
  const auto configs = prior_kernel_configs(type, prior, rules, seed);
  if (configs.empty()) {
    std::string names;
    for (const auto& s : prior.spaces) names += (names.empty() ? "" : ", ") + s;
    fail("VAE sampler: the prior spaces [{}] hold no '{}' kernel under the fusion rules of '{}' to learn from", names,
         type, rules.platform);
  }
  // Independent streams for the fit and the generation, both fixed by `seed`.
  auto next = [](std::uint64_t s) { return s * 6364136223846793005ull + 1442695040888963407ull; };
  VaeSamplerOptions fit_options = options;
  fit_options.seed = next(seed);
  const ConfigVae vae = ConfigVae::fit(configs, fit_options);
  std::vector<KernelSample> out;
  std::set<std::string> keys;
  for (const auto& c : vae.generate(count, family, next(fit_options.seed))) {
    KernelSample sample = build_kernel(type, c);
    if (keys.insert(sample.kernel.key).second) out.push_back(std::move(sample));
  }
  return out;
}

}  // namespace hwnas::predictors
