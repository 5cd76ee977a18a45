#pragma once
/// Zero-cost proxies: training-free scores of a network at initialisation (grad_norm, snip, grasp,
/// fisher, jacob_cov, synflow, naswot, zen, plain, l2_norm, params, flops), computed with LibTorch on
/// the network a core::Graph describes, as defined in shared/spec/zero_cost_proxies.md (section 5).
///
/// Common setting (zero-cost-nas `find_measures`): one batch of `batch_size` random N(0,1) inputs with
/// random labels, PyTorch default init, batch norm in train mode (batch statistics), cross-entropy loss
/// on the graph's single output (the logits). Everything is seeded: the same graph, options and seed
/// give bit-identical scores (LibTorch runs on one thread inside compute_proxies).
///
/// Passes are shared: one forward (hooks on ReLU inputs for naswot and on conv/linear outputs for
/// fisher) serves grad_norm, snip, plain, fisher, grasp, jacob_cov and naswot; synflow (float64 copy
/// without batch norm, batch 1) and zen (Gaussian re-init, two no-grad forwards) have their own.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hwnas/core/graph.h"

namespace hwnas::predictors {

/// The proxy names, in the fixed order used by ProxyScores and the CSV tables:
/// grad_norm, snip, grasp, fisher, jacob_cov, synflow, naswot, zen, plain, l2_norm, params, flops.
const std::vector<std::string>& proxy_names();

/// Explicit learned tensors of one conv/linear node, row-major in PyTorch layout
/// (conv: [out, in/groups, k, k]; linear: [out, in]). An empty vector keeps the initialised tensor.
struct ProxyWeights {
  std::vector<float> weight;
  std::vector<float> bias;
};

struct ProxyOptions {
  /// Batch of the data pass (the graph's input shape with dim 0 replaced by it).
  std::int64_t batch_size = 64;
  /// Seeds the weights (PyTorch default init), the inputs, the labels and zen's noise.
  std::uint64_t seed = 0;
  /// Number of classes of the random labels; 0 = the width of the graph's output (its last dim).
  std::int64_t num_classes = 0;
  /// The proxies to compute (names from proxy_names()); empty = all of them.
  std::vector<std::string> proxies;

  /// Optional real data instead of random: `inputs` holds batch_size samples of the input shape,
  /// row-major (NCHW); `labels` holds batch_size class indices. Empty = random from `seed`.
  /// (zen always uses its own Gaussian inputs, as defined.)
  std::vector<float> inputs;
  std::vector<std::int64_t> labels;
  /// Optional explicit weights by node name, applied after the default init (zen still re-inits).
  std::map<std::string, ProxyWeights> weights;
};

/// The computed proxies as (name, value) pairs in proxy_names() order.
struct ProxyScores {
  std::vector<std::pair<std::string, double>> values;

  /// The value of `name`; throws hwnas::Error listing the computed names if it is missing.
  double at(std::string_view name) const;
  bool contains(std::string_view name) const;
  /// The names present, in order.
  std::vector<std::string> names() const;
};

/// Computes the requested proxies of the network `graph` describes (any batch size: it is rebuilt at
/// `options.batch_size`, and at batch 1 for synflow). The graph must have one input per sample tensor
/// and a single output of shape [batch, classes]. Throws hwnas::Error on an unknown proxy name, bad
/// explicit data/weights, or an op the LibTorch bridge cannot run.
///
/// Definitions (W = conv/linear weights only, L = mean cross-entropy, sums over layers and elements):
/// grad_norm = Σ_l ‖∂L/∂W_l‖₂; snip = Σ|W⊙∂L/∂W|; plain = Σ W⊙∂L/∂W; grasp = Σ −W⊙(H·g) with
/// g = ∂L/∂W held constant; fisher = Σ_l Σ_k F_k·numel(W_l[k]) with F_k = ½·mean_n(Σ_hw a·∂L/∂a)² over the
/// conv/linear outputs a; jacob_cov = −Σ_i [ln(v_i+1e−5) + 1/(v_i+1e−5)] over the eigenvalues of the
/// correlation matrix of the per-sample input gradients of Σ outputs; synflow = Σ|W⊙∂R/∂W| with R the
/// sum of the outputs of the float64, |weights|, batch-norm-free network on an all-ones batch-1 input
/// (raw score: take its log before comparing architectures); naswot = ln|det K| with
/// K = Σ_ReLU c·cᵀ + (1−c)·(1−c)ᵀ, c the 0/1 pattern of every ReLU input; zen = ln Δ + Σ_BN ln sqrt(mean
/// running_var) after N(0,1) re-init and forwards of x and x + 0.01·ε, Δ the batch-mean L1 distance of the
/// features entering the last global pooling; l2_norm = Σ_l ‖W_l‖₂; params = learned parameters / 1e6;
/// flops = FLOPs of one sample / 1e6 (core's convention: a multiply-add counts 2).
/// Degenerate networks (an output independent of the input) can give non-finite jacob_cov, naswot,
/// zen or a zero synflow; those values are returned as computed.
ProxyScores compute_proxies(const core::Graph& graph, const ProxyOptions& options = {});

/// `graph` with every input's and reshape's batch dimension set to `batch` (the rest rebuilt as is).
core::Graph with_batch(const core::Graph& graph, std::int64_t batch);

}  // namespace hwnas::predictors
