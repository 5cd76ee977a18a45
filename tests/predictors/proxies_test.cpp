// Zero-cost proxies on tiny networks whose values follow by hand, plus determinism and finiteness on
// real search-space architectures.

#include <cmath>
#include <limits>
#include <numbers>

#include <gtest/gtest.h>

#include "hwnas/core/error.h"
#include "hwnas/predictors/proxies/zero_cost_proxies.h"
#include "hwnas/spaces/fbnet.h"
#include "hwnas/spaces/nb201.h"

namespace hwnas::predictors {
namespace {

using core::OpKind;

double sigmoid(double t) { return 1.0 / (1.0 + std::exp(-t)); }

// One linear layer 2 -> 2 (with bias) on a batch of two samples.
//   W = [[1, 2], [0, -1]], b = 0, x1 = (1, 0), x2 = (0, 1), both labels 0.
//   Logits z1 = W x1 = (1, 0), z2 = W x2 = (2, -1); softmax p1 = (σ(1), σ(-1)), p2 = (σ(3), σ(-3)).
//   L = mean cross-entropy, so ∂L/∂z_n = (p_n - e_0) / 2:  dz1 = (-a, a), dz2 = (-c, c) with
//   a = σ(-1)/2, c = σ(-3)/2.  ∂L/∂W = Σ_n dz_n x_nᵀ = [[-a, -c], [a, c]] (x_n are unit vectors).
struct LinearCase {
  core::Graph graph{"linear"};
  ProxyOptions options;
  double a = sigmoid(-1.0) / 2, c = sigmoid(-3.0) / 2;
  LinearCase() {
    graph.mark_output(graph.linear(graph.input({1, 2}), {.out_features = 2, .bias = true}, "fc"));
    options.batch_size = 2;
    options.inputs = {1, 0, 0, 1};
    options.labels = {0, 0};
    options.weights["fc"] = {.weight = {1, 2, 0, -1}, .bias = {0, 0}};
  }
  double proxy(const std::string& name) {
    options.proxies = {name};
    return compute_proxies(graph, options).at(name);
  }
};

TEST(Proxies, GradNormIsTheFrobeniusNormOfTheWeightGradient) {
  LinearCase t;
  // ‖[[-a, -c], [a, c]]‖ = sqrt(2a² + 2c²); the bias gradient is not counted.
  EXPECT_NEAR(t.proxy("grad_norm"), std::sqrt(2 * t.a * t.a + 2 * t.c * t.c), 1e-6);
}

TEST(Proxies, SnipAndPlainSumWeightTimesGradient) {
  LinearCase t;
  // W ⊙ ∂L/∂W = [[1·(-a), 2·(-c)], [0·a, (-1)·c]]: snip = Σ|·| = a + 3c, plain = Σ· = -a - 3c.
  EXPECT_NEAR(t.proxy("snip"), t.a + 3 * t.c, 1e-6);
  EXPECT_NEAR(t.proxy("plain"), -t.a - 3 * t.c, 1e-6);
}

TEST(Proxies, GraspIsMinusWeightTimesHessianGradientProduct) {
  LinearCase t;
  // For z = W x the Hessian of L in direction g = ∂L/∂W is Hg = (1/N) Σ_n S_n (g x_n) x_nᵀ with
  // S_n = diag(p_n) - p_n p_nᵀ = q_n [[1, -1], [-1, 1]] for two classes, q_n = p_n0 p_n1:
  // q1 = σ(1)σ(-1), q3 = σ(3)σ(-3). g x1 = (-a, a) -> Hg[:,0] = q1 (-a, a); g x2 = (-c, c) -> Hg[:,1] = q3 (-c, c).
  // grasp = -Σ W ⊙ Hg = -(1·(-a q1) + 2·(-c q3) + 0 + (-1)·c q3) = a q1 + 3 c q3.
  const double q1 = sigmoid(1) * sigmoid(-1), q3 = sigmoid(3) * sigmoid(-3);
  EXPECT_NEAR(t.proxy("grasp"), t.a * q1 + 3 * t.c * q3, 1e-6);
}

TEST(Proxies, FisherFromActivationTimesActivationGradient) {
  LinearCase t;
  // The layer output is a = z: s_nk = z_nk · dz_nk: s1 = (1·(-a), 0·a) = (-a, 0), s2 = (2·(-c), (-1)·c).
  // F_k = ½ mean_n s_nk²: F0 = (a² + 4c²)/4, F1 = c²/4; each counts numel(W[k]) = 2 times:
  // fisher = 2 (F0 + F1) = (a² + 5c²) / 2.
  EXPECT_NEAR(t.proxy("fisher"), (t.a * t.a + 5 * t.c * t.c) / 2, 1e-7);
}

TEST(Proxies, L2NormParamsAndFlopsOfTheLinearLayer) {
  LinearCase t;
  // ‖W‖ = sqrt(1 + 4 + 0 + 1); 4 weights + 2 biases = 6 parameters; one sample: 4 multiply-adds = 8
  // FLOPs plus 2 bias adds = 10 (not 20: FLOPs are per sample, whatever the batch).
  EXPECT_NEAR(t.proxy("l2_norm"), std::sqrt(6.0), 1e-6);
  EXPECT_DOUBLE_EQ(t.proxy("params"), 6e-6);
  EXPECT_DOUBLE_EQ(t.proxy("flops"), 10e-6);
}

// Two bias-free linear layers 2 -> 2 -> 1 with a batch norm between them (removed by synflow).
core::Graph two_layer_graph() {
  core::Graph g("two_layer");
  auto x = g.linear(g.input({8, 2}), {.out_features = 2, .bias = false}, "fc1");
  x = g.batch_norm(x, {}, "bn");
  g.mark_output(g.linear(x, {.out_features = 1, .bias = false}, "fc2"));
  return g;
}

TEST(Proxies, SynflowOfTwoLinearLayersIsTwiceThePathSum) {
  // All-ones input, |W|: R = 1ᵀ|W2||W1|1. ∂R/∂W2 = (|W1|1)ᵀ and ∂R/∂W1 = |W2|ᵀ1ᵀ, so each layer's
  // Σ|W ⊙ ∂R/∂W| equals R and synflow = 2R. W1 = [[1, -2], [3, 0.5]] -> |W1|1 = (3, 3.5);
  // W2 = [[-1, 2]] -> R = 1·3 + 2·3.5 = 10, synflow = 20. With the batch norm kept, a training-mode
  // batch norm on one sample would zero everything (or fail), so 20 also shows it was removed.
  ProxyOptions options;
  options.proxies = {"synflow"};
  options.weights["fc1"] = {.weight = {1, -2, 3, 0.5f}};
  options.weights["fc2"] = {.weight = {-1, 2}};
  EXPECT_NEAR(compute_proxies(two_layer_graph(), options).at("synflow"), 20.0, 1e-9);

  // The same weights scaled by 1e-25: R = 1e-50 · 10 underflows float32 (smallest ~1.4e-45) but
  // not float64: synflow = 2e-49.
  for (auto* w : {&options.weights["fc1"].weight, &options.weights["fc2"].weight})
    for (float& v : *w) v *= 1e-25f;
  EXPECT_NEAR(compute_proxies(two_layer_graph(), options).at("synflow") / 2e-49, 1.0, 1e-6);
}

TEST(Proxies, JacobCovFromTheCorrelationOfInputGradients) {
  // Linear 3 -> 2 without bias, W = [[1, 2, 3], [3, 1, 2]], then ReLU; output Σ relu(W x).
  // x1 = (-1, 0, 1): W x1 = (2, -1), only unit 0 active -> J1 = W[0] = (1, 2, 3).
  // x2 = (1, 0, -1): W x2 = (-2, 1), only unit 1 active -> J2 = W[1] = (3, 1, 2).
  // Centred rows (-1, 0, 1) and (1, -1, 0): corr = -1 / (√2 √2) = -0.5; C = [[1, -.5], [-.5, 1]] has
  // eigenvalues 0.5 and 1.5; score = -Σ_i [ln(v_i + 1e-5) + 1/(v_i + 1e-5)].
  core::Graph g("jacob");
  g.mark_output(g.unary(OpKind::kRelu, g.linear(g.input({2, 3}), {.out_features = 2, .bias = false}, "fc")));
  ProxyOptions options;
  options.batch_size = 2;
  options.proxies = {"jacob_cov"};
  options.inputs = {-1, 0, 1, 1, 0, -1};
  options.weights["fc"] = {.weight = {1, 2, 3, 3, 1, 2}};
  double expected = 0;
  for (double v : {0.5, 1.5}) expected -= std::log(v + 1e-5) + 1 / (v + 1e-5);
  EXPECT_NEAR(compute_proxies(g, options).at("jacob_cov"), expected, 1e-5);
}

TEST(Proxies, NaswotIsTheLogDeterminantOfTheActivationPatternKernel) {
  // fc1 (W1 as in the jacob_cov case) -> ReLU1 -> fc2 (W2 = [[1, 0], [0, -1]]) -> ReLU2, samples
  // x1 = (-1, 0, 1), x2 = (1, 0, -1), x3 = (1, 0, 1).
  // ReLU1 inputs W1 x: (2, -1), (-2, 1), (4, 5) -> patterns (1,0), (0,1), (1,1).
  // ReLU2 inputs W2 relu(W1 x): (2, -0), (0, -1), (4, -5) -> patterns (1,0), (0,0), (1,0) (0 is not > 0).
  // K_ij = number of units where samples i and j agree, summed over both ReLUs:
  //   ReLU1: [[2,0,1],[0,2,1],[1,1,2]];  ReLU2: [[2,1,2],[1,2,1],[2,1,2]];  K = [[4,1,3],[1,4,2],[3,2,4]].
  // det K = 4(16-4) - 1(4-6) + 3(2-12) = 20 -> naswot = ln 20.
  core::Graph g("naswot");
  auto x = g.unary(OpKind::kRelu, g.linear(g.input({3, 3}), {.out_features = 2, .bias = false}, "fc1"));
  g.mark_output(g.unary(OpKind::kRelu, g.linear(x, {.out_features = 2, .bias = false}, "fc2")));
  ProxyOptions options;
  options.batch_size = 3;
  options.proxies = {"naswot"};
  options.inputs = {-1, 0, 1, 1, 0, -1, 1, 0, 1};
  options.weights["fc1"] = {.weight = {1, 2, 3, 3, 1, 2}};
  options.weights["fc2"] = {.weight = {1, 0, 0, -1}};
  EXPECT_NEAR(compute_proxies(g, options).at("naswot"), std::log(20.0), 1e-9);
}

TEST(Proxies, ZenFromFeatureDistanceAndBatchNormScales) {
  // x -> 2x -> BN1 -> 4·BN1 -> BN2 -> global pool -> linear, batch 64 of 4x8x8 N(0,1) inputs x and
  // x' = x + 0.01 ε. Feature map = BN2's output (what enters the global pooling).
  // * BN2 renormalises 4·BN1(2x), so f(x) = BN1(2x) = (x - μ)/σ ≈ x up to the channel's sample
  //   moments, and f(x') - f(x) ≈ 0.01 ε: Δ = mean_n Σ_chw |0.01 ε| ≈ 0.01 · E|ε| · 256 with
  //   E|ε| = sqrt(2/π).
  // * running_var after the two forwards = 0.81 + 0.09 var₁ + 0.1 var₂: BN1 sees var(2x) ≈ 4 -> 1.57;
  //   BN2 sees 16 × the unbiased variance of a normalised batch of M = 64·8·8 values, 16·M/(M-1):
  //   0.81 + 0.19 · 16 · 4096/4095.
  // zen = ln Δ + ½ ln rv₁ + ½ ln rv₂. Sampling error (64·256 noise values, per-channel variance of
  // 4096 values) is below 0.01 in this log score: tolerance 0.03.
  core::Graph g("zen");
  auto x = g.input({64, 4, 8, 8});
  auto b1 = g.batch_norm(g.add(x, x), {}, "bn1");
  auto d = g.add(b1, b1);
  auto b2 = g.batch_norm(g.add(d, d), {}, "bn2");
  g.mark_output(g.linear(g.flatten(g.global_avg_pool(b2)), {.out_features = 3}, "fc"));
  ProxyOptions options;
  options.proxies = {"zen"};
  options.seed = 5;
  const double delta = 0.01 * std::sqrt(2 / std::numbers::pi) * 256;
  const double rv1 = 0.81 + 0.19 * 4, rv2 = 0.81 + 0.19 * 16 * 4096.0 / 4095.0;
  EXPECT_NEAR(compute_proxies(g, options).at("zen"), std::log(delta) + 0.5 * std::log(rv1) + 0.5 * std::log(rv2),
              0.03);
}

TEST(Proxies, OnlyTheRequestedProxiesInTheFixedOrder) {
  LinearCase t;
  t.options.proxies = {"flops", "snip"};
  const auto scores = compute_proxies(t.graph, t.options);
  EXPECT_EQ(scores.names(), (std::vector<std::string>{"snip", "flops"}));
  EXPECT_THROW(scores.at("zen"), Error);
  t.options.proxies = {"snipp"};
  EXPECT_THROW(compute_proxies(t.graph, t.options), Error);
}

TEST(Proxies, BadExplicitDataIsRejected) {
  LinearCase t;
  t.options.proxies = {"snip"};
  auto bad = t.options;
  bad.labels = {0, 2};  // two classes: 2 is out of range
  EXPECT_THROW(compute_proxies(t.graph, bad), Error);
  bad = t.options;
  bad.inputs.pop_back();
  EXPECT_THROW(compute_proxies(t.graph, bad), Error);
  bad = t.options;
  bad.weights["fc"].weight = {1, 2, 3};
  EXPECT_THROW(compute_proxies(t.graph, bad), Error);
  bad = t.options;
  bad.weights["nope"] = {.weight = {1}};
  EXPECT_THROW(compute_proxies(t.graph, bad), Error);
}

TEST(Proxies, WithBatchRebatchesInputsAndReshapes) {
  core::Graph g("reshape");
  auto x = g.input({1, 2, 3, 4});
  g.mark_output(g.reshape(x, {1, 6, 4}));
  const auto b = with_batch(g, 5);
  EXPECT_EQ(b.shape(0), (core::Shape{5, 2, 3, 4}));
  EXPECT_EQ(b.shape(1), (core::Shape{5, 6, 4}));
  EXPECT_EQ(b.outputs(), g.outputs());
}

bool same(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

TEST(Proxies, DeterministicUnderASeedOnNb201) {
  const spaces::Nb201Space space;
  spaces::Rng rng(11);
  const auto graph = space.to_graph(space.sample(rng));
  ProxyOptions options;
  options.batch_size = 8;
  options.seed = 3;
  const auto first = compute_proxies(graph, options);
  const auto again = compute_proxies(graph, options);
  ASSERT_EQ(first.values.size(), proxy_names().size());
  for (std::size_t i = 0; i < first.values.size(); ++i)
    EXPECT_TRUE(same(first.values[i].second, again.values[i].second)) << first.values[i].first;
  options.seed = 4;
  const auto other = compute_proxies(graph, options);
  EXPECT_NE(first.at("grad_norm"), other.at("grad_norm"));
  EXPECT_NE(first.at("zen"), other.at("zen"));
  EXPECT_EQ(first.at("params"), other.at("params"));
}

void expect_all_finite(const spaces::SearchSpace& space, const spaces::Arch& arch) {
  SCOPED_TRACE(space.to_string(arch));
  ProxyOptions options;
  options.batch_size = 8;
  const auto scores = compute_proxies(space.to_graph(arch), options);
  for (const auto& [name, value] : scores.values) EXPECT_TRUE(std::isfinite(value)) << name << " = " << value;
  EXPECT_GT(scores.at("synflow"), 0.0);
  EXPECT_GT(scores.at("params"), 0.0);
  EXPECT_GT(scores.at("flops"), 0.0);
}

TEST(Proxies, AllFiniteOnARandomNb201Arch) {
  const spaces::Nb201Space space;
  spaces::Rng rng(1);
  // A random arch without `none` edges (those can cut the input off: see the next test).
  spaces::Arch arch = space.sample(rng);
  while (space.to_string(arch).find("none") != std::string::npos) arch = space.sample(rng);
  expect_all_finite(space, arch);
  // The all-3x3-conv cell (the largest network).
  expect_all_finite(space, space.from_string("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"));
}

TEST(Proxies, AnNb201ArchCutOffFromItsInputIsDegenerate) {
  // All edges `none`: every cell outputs x·0, so the logits do not depend on the input. Then the input
  // gradients are all zero (jacob_cov's correlation is 0/0: nan), every ReLU after the first cell sees
  // the same values for all samples (K has rank 1: naswot = ln 0 = -inf), f(x) = f(x') (zen = ln 0 =
  // -inf), and the classifier of the batch-norm-free copy only sees zeros (synflow = 0).
  const spaces::Nb201Space space;
  ProxyOptions options;
  options.batch_size = 4;
  options.proxies = {"jacob_cov", "naswot", "zen", "synflow"};
  const auto scores = compute_proxies(
      space.to_graph(space.from_string("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|")), options);
  EXPECT_TRUE(std::isnan(scores.at("jacob_cov")));
  EXPECT_EQ(scores.at("naswot"), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(scores.at("zen"), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(scores.at("synflow"), 0.0);
}

TEST(Proxies, AllFiniteOnARandomFbnetArch) {
  const spaces::FbnetSpace space;
  spaces::Rng rng(2);
  expect_all_finite(space, space.sample(rng));
}

}  // namespace
}  // namespace hwnas::predictors
