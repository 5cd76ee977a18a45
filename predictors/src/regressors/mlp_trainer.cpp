// MlpRegressor training with LibTorch, and the LibTorch reference forward.
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <numbers>
#include <numeric>
#include <random>

#include <fmt/format.h>

#include "hwnas/core/error.h"
#include "hwnas/core/statistics.h"
#include "hwnas/predictors/regressors/accuracy.h"
#include "hwnas/predictors/regressors/kernel_domain.h"
#include "mlp_net.h"
#include "../torch_threads.h"

namespace hwnas::predictors {
namespace {

/// (n x features) float tensor of the scaled inputs. Eigen's column-major (features x n) buffer is
/// exactly a row-major (n x features) one.
torch::Tensor input_tensor(const MlpRegressor::Net& net, std::span<const FeatureVector> x) {
  Eigen::MatrixXf scaled = net.scale_inputs(x);
  return torch::from_blob(scaled.data(), {static_cast<std::int64_t>(x.size()), scaled.rows()}, torch::kFloat32)
      .clone();
}

torch::Tensor forward(const std::vector<torch::Tensor>& weights_t, const std::vector<torch::Tensor>& biases,
                      const std::vector<float>& slopes, torch::Tensor h) {
  for (std::size_t l = 0; l < weights_t.size(); ++l) {
    h = torch::addmm(biases[l], h, weights_t[l]);
    if (l + 1 < weights_t.size()) h = slopes[l] == 0.0f ? torch::relu(h) : torch::leaky_relu(h, slopes[l]);
  }
  return h.squeeze(1);
}

struct TorchWeights {
  std::vector<torch::Tensor> weights_t;  // in x out
  std::vector<torch::Tensor> biases;
};

double mape_of(const MlpRegressor::Net& net, const torch::Tensor& outputs, const std::vector<double>& truth) {
  const auto out = outputs.contiguous();
  const float* z = out.data_ptr<float>();
  double sum = 0;
  for (std::size_t i = 0; i < truth.size(); ++i) sum += std::abs(net.to_ms(z[i]) - truth[i]) / truth[i];
  return truth.empty() ? 0.0 : sum / static_cast<double>(truth.size());
}

/// Input and target scaling fitted on the training set (see MlpInputScaling and MlpTarget).
std::shared_ptr<MlpRegressor::Net> scaling_for(const MlpOptions& options, const KernelDataset& train) {
  auto net = std::make_shared<MlpRegressor::Net>();
  net->input = options.input;
  net->target = options.target;
  const auto n = train.size();
  for (std::size_t j = 0; j < KernelFeatures::kSize; ++j) {
    if (options.input == MlpInputScaling::kRaw) {
      net->input_mean[j] = 0;
      net->input_inv_std[j] = 1;
      continue;
    }
    double sum = 0, sum2 = 0;
    for (const auto& x : train.x) {
      const double v = std::log1p(std::max(x[j], 0.0));
      sum += v;
      sum2 += v * v;
    }
    const double mean = sum / static_cast<double>(n);
    const double var = std::max(sum2 / static_cast<double>(n) - mean * mean, 0.0);
    net->input_mean[j] = mean;
    // A constant feature (e.g. kernel size of an add) is centred to 0 and left unscaled.
    net->input_inv_std[j] = var > 1e-12 ? 1.0 / std::sqrt(var) : 1.0;
  }
  if (options.target == MlpTarget::kLogMse) {
    double sum = 0, sum2 = 0;
    for (double y : train.latency_ms) {
      sum += std::log(y);
      sum2 += std::log(y) * std::log(y);
    }
    net->target_mean = sum / static_cast<double>(n);
    const double var = std::max(sum2 / static_cast<double>(n) - net->target_mean * net->target_mean, 0.0);
    net->target_scale = var > 1e-12 ? std::sqrt(var) : 1.0;
  } else {
    // MAPE is scale-free; dividing by the median only keeps the output layer near unit scale.
    net->target_mean = 0;
    net->target_scale = core::median(train.latency_ms);
  }
  return net;
}

/// The network output that means `ms` under the net's target scaling.
float scaled_target(const MlpRegressor::Net& net, double ms) {
  return static_cast<float>(net.target == MlpTarget::kLogMse ? (std::log(ms) - net.target_mean) / net.target_scale
                                                             : ms / net.target_scale);
}

}  // namespace

FitSummary MlpRegressor::fit(const KernelDataset& train, const KernelDataset& validation, const FitOptions& fit_options) {
  HWNAS_CHECK(train.size() >= 2, "MLP regressor: needs at least 2 training samples, got {}", train.size());
  train.validate("MLP training set");
  return train_from(scaling_for(options_, train), {}, train, validation, fit_options);
}

FitSummary MlpRegressor::fine_tune(const KernelDataset& train, const KernelDataset& validation,
                                   const FitOptions& fit_options, const MlpOptions& schedule) {
  HWNAS_CHECK(net_ != nullptr, "MLP fine-tuning needs a trained regressor to start from");
  HWNAS_CHECK(train.size() >= 1, "MLP fine-tuning: needs at least 1 training sample");
  train.validate("MLP fine-tuning set");
  HWNAS_CHECK(schedule.hidden.size() == options_.hidden.size() &&
                  std::equal(schedule.hidden.begin(), schedule.hidden.end(), options_.hidden.begin(),
                             [](const MlpLayer& a, const MlpLayer& b) {
                               return a.width == b.width && a.negative_slope == b.negative_slope;
                             }),
              "MLP fine-tuning: the schedule's {} hidden layers differ from the trained network's {}",
              schedule.hidden.size(), options_.hidden.size());
  // The flat parameter layout of train_from(): per layer W^T (in x out, row-major) then b. Eigen keeps W
  // (out x in) column-major, which is the same bytes as W^T row-major.
  std::vector<float> initial;
  for (std::size_t l = 0; l < net_->weights.size(); ++l) {
    const auto& w = net_->weights[l];
    initial.insert(initial.end(), w.data(), w.data() + w.size());
    initial.insert(initial.end(), net_->biases[l].data(), net_->biases[l].data() + net_->biases[l].size());
  }
  auto net = std::make_shared<Net>();
  net->input = net_->input;
  net->target = net_->target;
  net->input_mean = net_->input_mean;
  net->input_inv_std = net_->input_inv_std;
  net->target_mean = net_->target_mean;
  net->target_scale = net_->target_scale;
  // First the one thing every platform change brings, a different overall speed: the output is rescaled
  // by the median ratio measured / predicted on the new samples, which alone cannot make the source's
  // shape worse. Training then only has to learn where the new platform differs in shape.
  {
    const std::vector<double> predicted = predict_batch(train.x);
    std::vector<double> log_ratio(train.size());
    for (std::size_t i = 0; i < train.size(); ++i) log_ratio[i] = std::log(train.latency_ms[i] / predicted[i]);
    const double shift = core::median(std::move(log_ratio));
    if (net->target == MlpTarget::kLogMse)
      net->target_mean += shift;
    else
      net->target_scale *= std::exp(shift);
  }
  const MlpOptions hidden_and_scaling = options_;
  options_ = schedule;
  options_.hidden = hidden_and_scaling.hidden;
  options_.input = hidden_and_scaling.input;
  options_.target = hidden_and_scaling.target;
  return train_from(std::move(net), std::move(initial), train, validation, fit_options);
}

FitSummary MlpRegressor::train_from(std::shared_ptr<Net> net, std::vector<float> initial, const KernelDataset& train,
                                    const KernelDataset& validation, const FitOptions& fit_options) {
  const auto start = std::chrono::steady_clock::now();
  validation.validate("MLP validation set");
  const KernelDataset check = validation_within_reach(train, validation);
  TorchThreads threads(fit_options.threads);
  torch::NoGradGuard no_grad_outside;  // re-enabled explicitly for the training step

  const auto n = train.size();
  std::vector<float> targets(n);
  for (std::size_t i = 0; i < n; ++i) targets[i] = scaled_target(*net, train.latency_ms[i]);

  const torch::Tensor x_train = input_tensor(*net, train.x);
  const torch::Tensor y_train = torch::from_blob(targets.data(), {static_cast<std::int64_t>(n)}, torch::kFloat32).clone();
  const torch::Tensor x_check = input_tensor(*net, check.x);

  // Initialisation: LibTorch's Linear default (kaiming_uniform with a = sqrt(5)) is U(±1/sqrt(fan_in)) for
  // weights and biases alike; drawn from our own seeded generator so the model does not depend on global
  // torch RNG state touched elsewhere in the process.
  std::mt19937_64 rng(fit_options.seed);
  // All parameters live in one flat tensor (layer l: W^T as in x out, then b) and their gradients in
  // another. Each layer's weight and bias are leaf tensors viewing slices of the flat one, with grads
  // viewing slices of the flat gradient (autograd accumulates into an existing grad in place), so Adam
  // runs as a handful of in-place ops on two flat tensors per step: for a small MLP LibTorch's per-op
  // overhead, not arithmetic, sets the step time, and for a large one this avoids per-step temporaries.
  struct Slot {
    std::int64_t offset, in, out;
  };
  std::vector<Slot> slots;
  const bool draw_initial = initial.empty();
  std::vector<float> slopes;
  std::int64_t fan_in = KernelFeatures::kSize, total = 0;
  for (std::size_t l = 0; l <= options_.hidden.size(); ++l) {
    const std::int64_t fan_out = l < options_.hidden.size() ? options_.hidden[l].width : 1;
    slots.push_back({total, fan_in, fan_out});
    total += fan_in * fan_out + fan_out;
    if (draw_initial) {
      const float bound = 1.0f / std::sqrt(static_cast<float>(fan_in));
      std::uniform_real_distribution<float> uniform(-bound, bound);
      for (std::int64_t i = 0; i < fan_in * fan_out + fan_out; ++i) initial.push_back(uniform(rng));
    }
    if (l < options_.hidden.size()) slopes.push_back(options_.hidden[l].negative_slope);
    fan_in = fan_out;
  }
  HWNAS_ASSERT(static_cast<std::int64_t>(initial.size()) == total, "{} initial parameters for {} slots",
               initial.size(), total);
  torch::Tensor flat = torch::from_blob(initial.data(), {total}, torch::kFloat32).clone();
  torch::Tensor flat_grad = torch::zeros_like(flat);
  std::vector<torch::Tensor> weights_t, biases;
  for (const auto& s : slots) {
    auto leaf = [](const torch::Tensor& data, const torch::Tensor& grad) {
      torch::Tensor t = data.detach().requires_grad_(true);
      t.mutable_grad() = grad;
      return t;
    };
    weights_t.push_back(leaf(flat.narrow(0, s.offset, s.in * s.out).view({s.in, s.out}),
                             flat_grad.narrow(0, s.offset, s.in * s.out).view({s.in, s.out})));
    biases.push_back(leaf(flat.narrow(0, s.offset + s.in * s.out, s.out),
                          flat_grad.narrow(0, s.offset + s.in * s.out, s.out)));
  }
  // Adam (as torch.optim.Adam: L2 weight decay added to the gradient, eps outside the square root).
  constexpr double kBeta1 = 0.9, kBeta2 = 0.999, kEps = 1e-8;
  torch::Tensor adam_m = torch::zeros_like(flat), adam_v = torch::zeros_like(flat), adam_denom = torch::zeros_like(flat);
  std::int64_t adam_step = 0;

  FitSummary summary;
  double best = std::numeric_limits<double>::infinity();
  torch::Tensor best_params;
  if (!draw_initial) {
    // Fine-tuning: the starting point competes too (epoch 0), so a few noisy samples can never leave
    // the network worse on validation than where it began.
    best = mape_of(*net, forward(weights_t, biases, slopes, x_check), check.latency_ms);
    best_params = flat.clone();
  }
  std::vector<std::int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  const auto batch = static_cast<std::int64_t>(options_.batch_size);
  const auto count = static_cast<std::int64_t>(n);

  // The output is the standardised log latency, so the threshold in log units is scaled alike.
  const double huber_delta = options_.huber_delta / net->target_scale;
  for (int epoch = 0; epoch < options_.max_epochs; ++epoch) {
    const double lr = options_.min_learning_rate + 0.5 * (options_.learning_rate - options_.min_learning_rate) *
                                                       (1 + std::cos(std::numbers::pi * epoch / options_.max_epochs));
    std::shuffle(order.begin(), order.end(), rng);
    const torch::Tensor perm = torch::from_blob(order.data(), {count}, torch::kInt64);
    const torch::Tensor xs = x_train.index_select(0, perm);
    const torch::Tensor ys = y_train.index_select(0, perm);
    {
      torch::AutoGradMode grad(true);
      for (std::int64_t begin = 0; begin < count; begin += batch) {
        const std::int64_t len = std::min(batch, count - begin);
        const torch::Tensor out = forward(weights_t, biases, slopes, xs.narrow(0, begin, len));
        const torch::Tensor yb = ys.narrow(0, begin, len);
        const torch::Tensor loss =
            options_.target != MlpTarget::kLogMse ? ((out - yb).abs() / yb.clamp_min(1.17e-6f)).mean()
            : huber_delta > 0                     ? torch::huber_loss(out, yb, at::Reduction::Mean, huber_delta)
                                                  : (out - yb).square().mean();
        flat_grad.zero_();
        loss.backward();
        torch::NoGradGuard no_grad;
        ++adam_step;
        if (options_.weight_decay != 0) flat_grad.add_(flat, options_.weight_decay);
        adam_m.mul_(kBeta1).add_(flat_grad, 1 - kBeta1);
        adam_v.mul_(kBeta2).addcmul_(flat_grad, flat_grad, 1 - kBeta2);
        const double correction1 = 1 - std::pow(kBeta1, static_cast<double>(adam_step));
        const double correction2 = 1 - std::pow(kBeta2, static_cast<double>(adam_step));
        torch::sqrt_out(adam_denom, adam_v).div_(std::sqrt(correction2)).add_(kEps);
        flat.addcdiv_(adam_m, adam_denom, -lr / correction1);
      }
    }
    summary.epochs = epoch + 1;
    const double mape = mape_of(*net, forward(weights_t, biases, slopes, x_check), check.latency_ms);
    if (fit_options.verbose && (epoch % 25 == 0 || epoch + 1 == options_.max_epochs))
      fmt::print(stderr, "mlp epoch {:4d} lr {:.2e} validation MAPE {:.3f}%\n", epoch, lr, 100 * mape);
    if (mape < best) {
      best = mape;
      summary.best_epoch = epoch + 1;
      best_params = flat.clone();
    } else if (options_.patience > 0 && epoch + 1 - summary.best_epoch >= options_.patience) {
      break;
    }
  }
  HWNAS_CHECK(best_params.defined() && std::isfinite(best),
              "MLP training diverged (validation MAPE {}); lower the learning rate", best);

  // Export the best epoch's parameters to Eigen (weights back to out x in).
  const float* best_data = best_params.data_ptr<float>();
  for (const auto& slot : slots) {
    // W^T is in x out row-major, which is out x in column-major: Eigen's layout.
    net->weights.push_back(Eigen::Map<const Eigen::MatrixXf>(best_data + slot.offset, slot.out, slot.in));
    net->biases.push_back(Eigen::Map<const Eigen::VectorXf>(best_data + slot.offset + slot.in * slot.out, slot.out));
  }
  net->slopes = slopes;
  net_ = std::move(net);
  summary.validation_mape = best;
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

void MlpRegressor::predict_into_libtorch(std::span<const FeatureVector> x, std::span<double> out) const {
  HWNAS_CHECK(net_ != nullptr, "MLP regressor used before fit() or load");
  HWNAS_ASSERT(x.size() == out.size(), "{} inputs, {} outputs", x.size(), out.size());
  const Net& net = *net_;
  std::call_once(net.torch_once, [&net] {
    auto tw = std::make_shared<TorchWeights>();
    for (std::size_t l = 0; l < net.weights.size(); ++l) {
      const auto& w = net.weights[l];  // out x in, column-major == in x out, row-major
      tw->weights_t.push_back(
          torch::from_blob(const_cast<float*>(w.data()), {w.cols(), w.rows()}, torch::kFloat32).clone());
      tw->biases.push_back(
          torch::from_blob(const_cast<float*>(net.biases[l].data()), {w.rows()}, torch::kFloat32).clone());
    }
    net.torch_weights = tw;
  });
  const auto& tw = *static_cast<const TorchWeights*>(net.torch_weights.get());
  torch::InferenceMode inference;
  const torch::Tensor z = forward(tw.weights_t, tw.biases, net.slopes, input_tensor(net, x)).contiguous();
  const float* data = z.data_ptr<float>();
  for (std::size_t i = 0; i < x.size(); ++i) out[i] = net.to_ms(data[i]);
}

}  // namespace hwnas::predictors
