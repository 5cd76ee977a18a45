#include "hwnas/predictors/proxies/zero_cost_proxies.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <limits>
#include <mutex>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/torch.h>

#include "graph_variants.h"
#include "hwnas/core/cost.h"
#include "hwnas/core/error.h"
#include "hwnas/nn/graph_module.h"

namespace hwnas::predictors {
namespace {

using core::Node;
using core::NodeId;
using core::OpKind;
using torch::Tensor;

enum Proxy : std::size_t {
  kGradNorm,
  kSnip,
  kGrasp,
  kFisher,
  kJacobCov,
  kSynflow,
  kNaswot,
  kZen,
  kPlain,
  kL2Norm,
  kParams,
  kFlops,
  kProxyCount
};

using Wanted = std::array<bool, kProxyCount>;

Wanted resolve(const std::vector<std::string>& requested) {
  Wanted wanted{};
  if (requested.empty()) {
    wanted.fill(true);
    return wanted;
  }
  const auto& names = proxy_names();
  for (const auto& name : requested) {
    const auto it = std::find(names.begin(), names.end(), name);
    HWNAS_CHECK(it != names.end(), "unknown zero-cost proxy '{}'; valid: {}", name, fmt::join(names, ", "));
    wanted[static_cast<std::size_t>(it - names.begin())] = true;
  }
  return wanted;
}

// LibTorch on one thread for bit-identical reductions; the caller's setting comes back afterwards.
// The setting is per thread (OpenMP's), but at::set_num_threads also stores a process-wide value that
// new threads start from, so guards on concurrent threads raced: one could save another's 1 and
// restore it for good. Hence one shared count: the first guard in saves the setting, every guard sets
// 1 on its own thread and puts that saved setting back on it when it leaves, so the process-wide value
// ends as the first guard found it.
class SingleThread {
 public:
  SingleThread() {
    std::lock_guard lock(mutex_);
    // Always asked: a thread's first get_num_threads() initialises its setting from the process-wide
    // value, which would otherwise happen later, inside an op, and undo the 1 set here.
    const int current = at::get_num_threads();
    if (active_++ == 0) saved_ = current;
    at::set_num_threads(1);
  }
  ~SingleThread() {
    std::lock_guard lock(mutex_);
    --active_;
    at::set_num_threads(saved_);
  }
  SingleThread(const SingleThread&) = delete;
  SingleThread& operator=(const SingleThread&) = delete;

 private:
  static inline std::mutex mutex_;
  static inline int active_ = 0;
  static inline int saved_ = 1;
};

// Independent random streams from one user seed (splitmix64 of seed and stream index).
std::uint64_t stream_seed(std::uint64_t seed, std::uint64_t stream) {
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ull * (stream + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
enum Stream : std::uint64_t { kDataStream = 1, kLabelStream = 2, kZenStream = 3 };

bool is_layer(OpKind kind) { return kind == OpKind::kConv2d || kind == OpKind::kLinear; }
bool is_relu(OpKind kind) { return kind == OpKind::kRelu || kind == OpKind::kRelu6; }

// NASWOT's kernel entry K_ij is, summed over the ReLUs, the number of units on which inputs i and j are
// on the same side of zero: D − hamming(c_i, c_j) for the 0/1 codes c of D units. With the codes packed
// 64 to a word that is an xor and a popcount per word, exact in integers, where the equivalent float
// product c·cᵀ went through this LibTorch's reference BLAS and took most of a data pass.
void add_code_agreement(const Tensor& relu_input, std::vector<std::int64_t>& agreement) {
  const std::int64_t batch = relu_input.size(0);
  const Tensor positive = (relu_input.detach().reshape({batch, -1}) > 0).contiguous();
  const std::int64_t units = positive.size(1);
  const std::int64_t words = (units + 63) / 64;
  std::vector<std::uint64_t> codes(static_cast<std::size_t>(batch * words), 0);
  const bool* bits = positive.data_ptr<bool>();
  for (std::int64_t i = 0; i < batch; ++i)
    for (std::int64_t u = 0; u < units; ++u)
      codes[static_cast<std::size_t>(i * words + u / 64)] |= std::uint64_t{bits[i * units + u]} << (u % 64);
  for (std::int64_t i = 0; i < batch; ++i) {
    agreement[static_cast<std::size_t>(i * batch + i)] += units;
    for (std::int64_t j = i + 1; j < batch; ++j) {
      std::int64_t differing = 0;
      for (std::int64_t w = 0; w < words; ++w)
        differing += std::popcount(codes[static_cast<std::size_t>(i * words + w)] ^ codes[static_cast<std::size_t>(j * words + w)]);
      agreement[static_cast<std::size_t>(i * batch + j)] += units - differing;
      agreement[static_cast<std::size_t>(j * batch + i)] += units - differing;
    }
  }
}

std::vector<std::int64_t> sizes_of(const core::Shape& shape) { return {shape.begin(), shape.end()}; }

// Gradient of a weight, or zeros where the weight does not reach the differentiated value.
Tensor grad_or_zeros(const Tensor& grad, const Tensor& like) {
  return grad.defined() ? grad.detach() : torch::zeros_like(like);
}

void apply_weights(nn::GraphModuleImpl& module, const std::map<std::string, ProxyWeights>& weights) {
  if (weights.empty()) return;
  const core::Graph& g = module.graph();
  torch::NoGradGuard no_grad;
  for (const auto& [name, given] : weights) {
    const Node* node = nullptr;
    for (const Node& n : g.nodes())
      if (n.name == name) node = &n;
    HWNAS_CHECK(node != nullptr, "proxy weights: graph '{}' has no node named '{}'", g.name(), name);
    HWNAS_CHECK(is_layer(node->kind), "proxy weights: {} is not a conv2d or linear node",
                nn::describe_node(g, *node));
    const nn::NodeTensors& t = module.tensors(node->id);
    const auto set = [&](const Tensor& target, const std::vector<float>& values, const char* what) {
      if (values.empty()) return;
      HWNAS_CHECK(target.defined(), "proxy weights: {} has no {}", nn::describe_node(g, *node), what);
      HWNAS_CHECK(static_cast<std::int64_t>(values.size()) == target.numel(),
                  "proxy weights: {} {} needs {} values, got {}", nn::describe_node(g, *node), what, target.numel(),
                  values.size());
      target.copy_(torch::tensor(values, torch::kFloat32).view(target.sizes()));
    };
    set(t.weight, given.weight, "weight");
    set(t.bias, given.bias, "bias");
  }
}

struct Layer {
  NodeId id;
  Tensor weight;
};

std::vector<Layer> layers_of(const nn::GraphModuleImpl& module) {
  std::vector<Layer> layers;
  for (const Node& node : module.graph().nodes())
    if (is_layer(node.kind)) layers.push_back({node.id, module.tensors(node.id).weight});
  return layers;
}

std::vector<Tensor> weights_of(const std::vector<Layer>& layers) {
  std::vector<Tensor> w;
  for (const auto& l : layers) w.push_back(l.weight);
  return w;
}

// jacob_cov's score of the per-sample input gradients J (N x D).
double jacob_cov_score(const Tensor& jacobians) {
  const Tensor corr = torch::corrcoef(jacobians.to(torch::kFloat64));
  if (!torch::isfinite(corr).all().item<bool>()) return std::numeric_limits<double>::quiet_NaN();
  const Tensor v = torch::linalg_eigvalsh(corr) + 1e-5;
  return -(torch::log(v) + 1.0 / v).sum().item<double>();
}

// The one data pass: a forward with hooks, then the backward passes the requested proxies need.
void data_pass(nn::GraphModuleImpl& module, const ProxyOptions& options, std::int64_t num_classes,
               const Wanted& wanted, std::array<double, kProxyCount>& out) {
  const core::Graph& g = module.graph();
  const NodeId input_id = g.inputs().front();
  const NodeId output_id = module.output_ids().front();
  const std::int64_t batch = g.shape(input_id)[0];

  Tensor x;
  if (options.inputs.empty()) {
    at::Generator gen = at::detail::createCPUGenerator(stream_seed(options.seed, kDataStream));
    x = torch::empty(sizes_of(g.shape(input_id))).normal_(0.0, 1.0, gen);
  } else {
    const auto expected = core::numel(g.shape(input_id));
    HWNAS_CHECK(static_cast<std::int64_t>(options.inputs.size()) == expected,
                "proxy inputs: graph '{}' takes {} values (shape {}), got {}", g.name(), expected,
                core::to_string(g.shape(input_id)), options.inputs.size());
    x = torch::tensor(options.inputs, torch::kFloat32).view(sizes_of(g.shape(input_id)));
  }

  const bool loss_based = wanted[kGradNorm] || wanted[kSnip] || wanted[kPlain] || wanted[kGrasp] || wanted[kFisher];
  Tensor labels;
  if (loss_based) {
    HWNAS_CHECK(g.shape(output_id).size() == 2, "graph '{}': the loss needs logits of shape [batch, classes], got {}",
                g.name(), core::to_string(g.shape(output_id)));
    if (options.labels.empty()) {
      at::Generator gen = at::detail::createCPUGenerator(stream_seed(options.seed, kLabelStream));
      labels = torch::randint(0, num_classes, {batch}, gen, torch::kLong);
    } else {
      HWNAS_CHECK(static_cast<std::int64_t>(options.labels.size()) == batch, "proxy labels: expected {} (the batch), got {}",
                  batch, options.labels.size());
      for (std::size_t i = 0; i < options.labels.size(); ++i)
        HWNAS_CHECK(options.labels[i] >= 0 && options.labels[i] < num_classes,
                    "proxy labels: label {} at position {} is outside [0, {})", options.labels[i], i, num_classes);
      labels = torch::tensor(options.labels, torch::kLong);
    }
  }
  if (wanted[kJacobCov]) x.requires_grad_(true);

  // naswot: K = sum over ReLUs of the number of units on which two inputs' 0/1 activation codes agree.
  std::vector<std::int64_t> agreement(static_cast<std::size_t>(batch * batch), 0);
  std::vector<Tensor> activations(g.size());  // fisher: conv/linear outputs
  const nn::NodeHook hook = [&](const Node& node, const std::vector<Tensor>& in, Tensor output) {
    if (wanted[kNaswot] && is_relu(node.kind)) add_code_agreement(in[0], agreement);
    if (wanted[kFisher] && is_layer(node.kind)) activations[static_cast<std::size_t>(node.id)] = output;
    return output;
  };
  const auto values = module.forward_all({x}, hook);
  const Tensor y = values[static_cast<std::size_t>(output_id)];

  if (wanted[kNaswot]) {
    const Tensor kernel = torch::tensor(std::vector<double>(agreement.begin(), agreement.end()), torch::kFloat64)
                              .reshape({batch, batch});
    out[kNaswot] = std::get<1>(torch::linalg_slogdet(kernel)).item<double>();
  }

  const bool backward_after = loss_based;
  if (wanted[kJacobCov]) {
    const auto grads = torch::autograd::grad({y.sum()}, {x}, {}, /*retain_graph=*/backward_after,
                                             /*create_graph=*/false, /*allow_unused=*/true);
    const Tensor jacobians = grad_or_zeros(grads[0], x).reshape({batch, -1});
    out[kJacobCov] = jacob_cov_score(jacobians);
  }
  if (!loss_based) return;

  const auto layers = layers_of(module);
  std::vector<Tensor> wrt = weights_of(layers);
  if (wanted[kFisher])
    for (const auto& l : layers) wrt.push_back(activations[static_cast<std::size_t>(l.id)]);
  const Tensor loss = torch::nn::functional::cross_entropy(y, labels);
  // grasp differentiates the weight gradients once more: keep their graph.
  const auto grads = torch::autograd::grad({loss}, wrt, {}, /*retain_graph=*/wanted[kGrasp],
                                           /*create_graph=*/wanted[kGrasp], /*allow_unused=*/true);

  double grad_norm = 0, snip = 0, plain = 0;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const Tensor w = layers[i].weight.detach().to(torch::kFloat64);
    const Tensor gw = grad_or_zeros(grads[i], w).to(torch::kFloat64);
    grad_norm += gw.norm().item<double>();
    snip += (w * gw).abs().sum().item<double>();
    plain += (w * gw).sum().item<double>();
  }
  out[kGradNorm] = grad_norm;
  out[kSnip] = snip;
  out[kPlain] = plain;

  if (wanted[kFisher]) {
    // F_k = ½·mean_n s_nk², s_nk = Σ over the non-batch, non-channel dims of a·∂L/∂a; the channel is
    // dim 1 of a conv output and the last dim of a linear output. Each F_k counts once per weight of
    // output channel k.
    double fisher = 0;
    for (std::size_t i = 0; i < layers.size(); ++i) {
      const Tensor a = activations[static_cast<std::size_t>(layers[i].id)].detach().to(torch::kFloat64);
      const Tensor ga = grad_or_zeros(grads[layers.size() + i], a).to(torch::kFloat64);
      Tensor s = a * ga;
      if (g.node(layers[i].id).kind == OpKind::kLinear && s.dim() > 2) s = s.movedim(-1, 1);
      if (s.dim() > 2) s = s.flatten(2).sum(2);
      const Tensor f = 0.5 * s.pow(2).mean(0);
      const double per_channel = static_cast<double>(layers[i].weight.numel() / layers[i].weight.size(0));
      fisher += f.sum().item<double>() * per_channel;
    }
    out[kFisher] = fisher;
  }

  if (wanted[kGrasp]) {
    // z = Σ_l ⟨stopgrad(g_l), ∂L/∂W_l⟩; ∂z/∂W = H·g; score = Σ −W ⊙ H·g. This double backward is the
    // dearest pass. H·g as a reverse pass over a forward-mode pass along g was tried (2026-11-24): with
    // batch norm and the loss from elementary ops it matched this value, but an NB201 data pass took as
    // long and an FBNet one 4.5 s instead of 5.6 s, while LibTorch 1.13's tangent of torch::batch_norm
    // silently gives wrong second derivatives that way: a risk for every op of a user's space.
    Tensor z = torch::zeros({}, torch::kFloat32);
    for (std::size_t i = 0; i < layers.size(); ++i)
      if (grads[i].defined()) z = z + (grads[i].detach() * grads[i]).sum();
    double grasp = 0;
    if (z.requires_grad()) {
      const auto hg = torch::autograd::grad({z}, weights_of(layers), {}, /*retain_graph=*/false,
                                            /*create_graph=*/false, /*allow_unused=*/true);
      for (std::size_t i = 0; i < layers.size(); ++i) {
        const Tensor w = layers[i].weight.detach().to(torch::kFloat64);
        grasp += (-w * grad_or_zeros(hg[i], w).to(torch::kFloat64)).sum().item<double>();
      }
    }
    out[kGrasp] = grasp;
  }
}

// synflow on a float64, batch-norm-free copy with |parameters|, all-ones input of batch 1.
double synflow(const core::Graph& graph, const nn::GraphModuleImpl& source) {
  const core::Graph g = rebuild_graph(graph, 1, /*drop_batch_norm=*/true);
  nn::GraphModule net(g, 0);
  {
    torch::NoGradGuard no_grad;
    for (const Node& node : g.nodes()) {
      const nn::NodeTensors& to = net->tensors(node.id);
      const nn::NodeTensors& from = source.tensors(node.id);
      if (to.weight.defined() && from.weight.defined()) to.weight.copy_(from.weight);
      if (to.bias.defined() && from.bias.defined()) to.bias.copy_(from.bias);
    }
    for (auto& p : net->parameters()) p.abs_();
    for (auto& b : net->buffers()) b.abs_();
  }
  net->to(torch::kFloat64);
  const auto layers = layers_of(*net);
  const Tensor x = torch::ones(sizes_of(g.shape(g.inputs().front())), torch::kFloat64);
  const Tensor r = net->forward({x}).front().sum();
  const auto grads = torch::autograd::grad({r}, weights_of(layers), {}, false, false, /*allow_unused=*/true);
  double score = 0;
  for (std::size_t i = 0; i < layers.size(); ++i)
    score += (layers[i].weight.detach() * grad_or_zeros(grads[i], layers[i].weight)).abs().sum().item<double>();
  return score;
}

// zen: re-initialise (conv/linear W ~ N(0,1), bias 0, BN γ=1 β=0, fresh running stats), then two
// no-grad train-mode forwards on x and x + 0.01·ε. Changes `module`.
double zen(nn::GraphModuleImpl& module, std::uint64_t seed) {
  const core::Graph& g = module.graph();
  torch::NoGradGuard no_grad;
  at::Generator gen = at::detail::createCPUGenerator(stream_seed(seed, kZenStream));
  for (const Node& node : g.nodes()) {
    const nn::NodeTensors& t = module.tensors(node.id);
    if (is_layer(node.kind)) {
      t.weight.normal_(0.0, 1.0, gen);
      if (t.bias.defined()) t.bias.zero_();
    } else if (node.kind == OpKind::kBatchNorm) {
      if (t.weight.defined()) t.weight.fill_(1.0);
      if (t.bias.defined()) t.bias.zero_();
      t.running_mean.zero_();
      t.running_var.fill_(1.0);
    }
  }
  const auto input_sizes = sizes_of(g.shape(g.inputs().front()));
  const Tensor x = torch::empty(input_sizes).normal_(0.0, 1.0, gen);
  const Tensor noise = torch::empty(input_sizes).normal_(0.0, 1.0, gen);
  const Tensor mixed = x + 0.01 * noise;

  // The feature map is what enters the network's last global pooling (its head), else the output.
  NodeId feature = module.output_ids().front();
  for (const Node& node : g.nodes())
    if (node.kind == OpKind::kGlobalAvgPool) feature = node.inputs.front();
  const Tensor f1 = module.forward_all({x})[static_cast<std::size_t>(feature)].to(torch::kFloat64);
  const Tensor f2 = module.forward_all({mixed})[static_cast<std::size_t>(feature)].to(torch::kFloat64);
  const Tensor diff = (f1 - f2).abs().reshape({f1.size(0), -1}).sum(1).mean();
  double score = std::log(diff.item<double>());
  for (const Node& node : g.nodes())
    if (node.kind == OpKind::kBatchNorm)
      score += std::log(std::sqrt(module.tensors(node.id).running_var.to(torch::kFloat64).mean().item<double>()));
  return score;
}

}  // namespace

const std::vector<std::string>& proxy_names() {
  static const std::vector<std::string> names = {"grad_norm", "snip",   "grasp", "fisher", "jacob_cov", "synflow",
                                                 "naswot",    "zen",    "plain", "l2_norm", "params",   "flops"};
  return names;
}

double ProxyScores::at(std::string_view name) const {
  for (const auto& [n, v] : values)
    if (n == name) return v;
  fail("no zero-cost proxy '{}' among the computed ones: {}", name, fmt::join(names(), ", "));
}

bool ProxyScores::contains(std::string_view name) const {
  for (const auto& [n, v] : values)
    if (n == name) return true;
  return false;
}

std::vector<std::string> ProxyScores::names() const {
  std::vector<std::string> out;
  for (const auto& [n, v] : values) out.push_back(n);
  return out;
}

ProxyScores compute_proxies(const core::Graph& graph, const ProxyOptions& options) {
  const Wanted wanted = resolve(options.proxies);
  HWNAS_CHECK(graph.inputs().size() == 1, "graph '{}': zero-cost proxies need exactly one input, it has {}",
              graph.name(), graph.inputs().size());
  HWNAS_CHECK(options.batch_size >= 2 || !(wanted[kJacobCov] || wanted[kNaswot]),
              "zero-cost proxies: batch size {} is too small for jacob_cov and naswot (at least 2)", options.batch_size);

  SingleThread single_thread;
  std::array<double, kProxyCount> out;
  out.fill(std::numeric_limits<double>::quiet_NaN());

  if (wanted[kParams] || wanted[kFlops]) {
    const core::OpCost cost = core::graph_cost(with_batch(graph, 1));
    out[kParams] = static_cast<double>(cost.params) / 1e6;
    out[kFlops] = cost.flops / 1e6;
  }

  const bool needs_module = wanted[kGradNorm] || wanted[kSnip] || wanted[kGrasp] || wanted[kFisher] ||
                            wanted[kJacobCov] || wanted[kSynflow] || wanted[kNaswot] || wanted[kZen] ||
                            wanted[kPlain] || wanted[kL2Norm];
  if (needs_module) {
    nn::GraphModule module(with_batch(graph, options.batch_size), options.seed);
    HWNAS_CHECK(module->output_ids().size() == 1, "graph '{}': zero-cost proxies need a single output, it has {}",
                graph.name(), module->output_ids().size());
    apply_weights(*module, options.weights);
    const core::Shape& logits = module->graph().shape(module->output_ids().front());
    const std::int64_t num_classes = options.num_classes > 0 ? options.num_classes : logits.back();

    if (wanted[kL2Norm]) {
      double l2 = 0;
      for (const auto& l : layers_of(*module)) l2 += l.weight.detach().to(torch::kFloat64).norm().item<double>();
      out[kL2Norm] = l2;
    }
    if (wanted[kGradNorm] || wanted[kSnip] || wanted[kGrasp] || wanted[kFisher] || wanted[kJacobCov] ||
        wanted[kNaswot] || wanted[kPlain])
      data_pass(*module, options, num_classes, wanted, out);
    if (wanted[kSynflow]) out[kSynflow] = synflow(graph, *module);
    if (wanted[kZen]) out[kZen] = zen(*module, options.seed);  // last: it re-initialises the module
  }

  ProxyScores scores;
  for (std::size_t i = 0; i < kProxyCount; ++i)
    if (wanted[i]) scores.values.emplace_back(proxy_names()[i], out[i]);
  return scores;
}

}  // namespace hwnas::predictors
