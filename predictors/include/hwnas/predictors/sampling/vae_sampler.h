#pragma once
/// LitePred's VAE sampler: a small variational autoencoder learns the distribution of the kernel
/// configurations that occur in NAS spaces and samples new ones from it, so the kernels measured on a
/// new platform follow where search will ask while also filling the gaps between the configs it saw.
///
/// Features of a config: [log2 HW, log2 CIN, log2 COUT, K, S], min-max scaled over the training set.
/// Encoder 5→H→3×(H→H)→(μ, log σ) of the latent size; decoder latent→H→3×(H→H)→5 with a sigmoid;
/// ReLU after every hidden layer. Loss Σ(x−x̂)² + β·KL(N(μ,σ²) ‖ N(0,I)) with LitePred's β schedule.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hwnas/predictors/kernels/fusion_rules.h"
#include "hwnas/predictors/kernels/kernel.h"
#include "hwnas/predictors/sampling/kernel_sample.h"
#include "hwnas/predictors/sampling/samplers.h"

namespace hwnas::predictors {

/// Defaults: LitePred's latent size and layer structure, a narrower hidden width and a β balance chosen
/// so that a fit takes seconds on one core (see vae_sampler.cpp for the measurements behind them).
struct VaeSamplerOptions {
  int latent = 128;  ///< latent dimensions (LitePred: 128)
  int hidden = 128;  ///< width of every hidden layer (LitePred: 256, about twice the time for no better samples)
  /// Optimizer steps. Batches are drawn with replacement, each config with probability ∝ its frequency
  /// (as LitePred does), so the length of training is a step count, not passes over the data.
  int steps = 3000;
  int batch_size = 64;
  double learning_rate = 1e-3;  ///< Adam
  /// c in LitePred's β schedule β = 0.1 / (1 + exp(2 (ln r + c))), r the mean reconstruction error per
  /// config over the last 50 steps: β rises from ~0 towards 0.1 as r falls through e^-c, so the schedule
  /// holds r near e^-c once the KL term bites. LitePred uses 8 with 12 500 steps of batch 16; with a
  /// budget of seconds r never gets near e^-8, β stays ~1e-4 and samples from N(0, I) fall between the
  /// modes of the data, so the default is 6.
  double loss_balance = 6;
  std::uint64_t seed = 0;  ///< initial weights, batch draws and reparameterisation noise
};

/// A trained VAE over conv-like kernel configs (h, cin, cout, kernel, stride). Cheap to copy (the
/// trained weights are shared and immutable).
class ConfigVae {
 public:
  /// Trains on `configs`; a config repeated n times in the span counts n times (its frequency).
  /// Uses h as the resolution (kernels are square). Runs LibTorch single-threaded for the fit
  /// (restoring the previous thread count), so the result depends only on the data, options and seed.
  /// Throws hwnas::Error when `configs` is empty, a config has a non-positive h, cin, cout, kernel or
  /// stride, or an option is out of range.
  static ConfigVae fit(std::span<const KernelConfig> configs, const VaeSamplerOptions& options);

  /// Draws z ~ N(0, I), decodes, clips to [0, 1], unscales, takes exp2 of the first three features and
  /// rounds, then applies the family's rules:
  /// * conv: K to the nearest of {1, 3, 5, 7} (from the unrounded value; exact ties, as in a constant
  ///   training set, go up), S to {1, 2}, CIN and COUT above 3 rounded up to a multiple of 8, groups 1;
  /// * dwconv (LitePred): K<3→3, 4→3, 6→5, >7→7; S to {1, 2}; CIN above 3 rounded up to a multiple
  ///   of 8; COUT = groups = CIN;
  /// * maxpool, avgpool: K to {2, 3}, S to {1, 2}, CIN above 3 rounded up to a multiple of 8, COUT = CIN.
  /// Always HW ≥ max(1, K), h = w. Returns up to `count` distinct configs in order of first draw,
  /// deterministic under `seed`. Draws are bounded (about 50 per requested config): when the VAE
  /// cannot produce `count` distinct configs (a narrow training set) it returns fewer, without error.
  /// Throws hwnas::Error naming the family when it is not one of conv, dwconv, maxpool, avgpool.
  std::vector<KernelConfig> generate(std::size_t count, std::string_view family, std::uint64_t seed) const;

  /// Mean per-config reconstruction error Σ(x−x̂)² over the last β window of training (scaled units).
  double final_reconstruction_loss() const;
  /// Wall time of fit(), seconds.
  double fit_seconds() const;

  struct Impl;

 private:
  explicit ConfigVae(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

/// LitePred's check of a sampler: for each (K ∈ 1..7, S ∈ {1, 2}) a 49×49 histogram of p's configs over
/// (ceil(5·log2(HW+1)), ceil(log2(CIN+1))) (indices clamped to 48), smoothed by an 11×11 box filter
/// (stride 5, padding 5, weight 25/121) to 10×10 and normalised to sum 1, +1e-10 per cell; the same
/// for q; KL(p_KS ‖ q_KS) weighted by the share of p's configs with that (K, S), summed. Each config in
/// a span counts once (repeats weigh more). A (K, S) that q lacks while p has it costs about
/// ln(1e10) ≈ 23 nats times p's share. Lower = q covers p better; identical spans give 0. Configs with
/// other K or S are ignored. Throws hwnas::Error when p is empty.
double config_distribution_kl(std::span<const KernelConfig> p, std::span<const KernelConfig> q);

/// The configs of every kernel of exactly `type` in the decompositions (under `rules`) of
/// `prior.archs_per_space` random architectures of each of `prior.spaces`, once per occurrence (a
/// config used by many networks, or many times in one, repeats): the frequency the VAE learns.
/// The architectures are those sample_prior_kernels() decomposes under the same seed; `prior.kernel_types`
/// is ignored.
std::vector<KernelConfig> prior_kernel_configs(const std::string& type, const PriorSamplerOptions& prior,
                                               const FusionRules& rules, std::uint64_t seed);

/// Convenience for campaigns: fits a ConfigVae on prior_kernel_configs(type, ...) and returns up to
/// `count` distinct kernels of `type` built from its samples (build_kernel), deterministic under `seed`,
/// which drives the prior sampling, the fit and the generation (`options.seed` is not used). `type` may
/// be fused ("dwconv-bn-relu"): its leading token is the family. Returns fewer than `count` when the VAE
/// cannot produce more distinct configs. Throws hwnas::Error when the family is not conv, dwconv,
/// maxpool or avgpool, or the prior spaces hold no kernel of `type`.
std::vector<KernelSample> sample_vae_kernels(const std::string& type, const PriorSamplerOptions& prior,
                                             const FusionRules& rules, std::size_t count, std::uint64_t seed,
                                             const VaeSamplerOptions& options = {});

}  // namespace hwnas::predictors
