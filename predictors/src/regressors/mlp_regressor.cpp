// MlpRegressor without LibTorch: options, Eigen evaluation and (de)serialisation. Training and the
// LibTorch reference forward are in mlp_trainer.cpp.
#include <cmath>

#include <nlohmann/json.hpp>

#include "hwnas/core/error.h"
#include "mlp_net.h"

namespace hwnas::predictors {
namespace {

const char* input_name(MlpInputScaling s) { return s == MlpInputScaling::kRaw ? "raw" : "log_standardize"; }
const char* target_name(MlpTarget t) { return t == MlpTarget::kRawMape ? "raw_mape" : "log_mse"; }

MlpInputScaling parse_input(const std::string& s, const std::string& what) {
  if (s == "raw") return MlpInputScaling::kRaw;
  if (s == "log_standardize") return MlpInputScaling::kLogStandardize;
  fail("{}: unknown MLP input scaling '{}' (valid: log_standardize, raw)", what, s);
}

MlpTarget parse_target(const std::string& s, const std::string& what) {
  if (s == "raw_mape") return MlpTarget::kRawMape;
  if (s == "log_mse") return MlpTarget::kLogMse;
  fail("{}: unknown MLP target '{}' (valid: log_mse, raw_mape)", what, s);
}

// Kernels per Eigen evaluation chunk. Per-kernel throughput peaks around 16-64 columns; larger chunks
// spill the activations out of L1/L2 and allocate on the (here slow) page-faulting path.
constexpr std::size_t kChunk = 64;

}  // namespace

MlpOptions MlpOptions::small() { return MlpOptions{}; }

MlpOptions MlpOptions::litepred() {
  MlpOptions o;
  o.hidden.clear();
  const int widths[] = {16, 32, 64, 128, 128, 256, 256, 256, 256, 256, 256, 256, 128, 64, 16};
  for (std::size_t i = 0; i < std::size(widths); ++i)
    // Hidden layers 13 and 14 (1-based, i.e. the outputs of Linear 13 and 14) use LeakyReLU(0.3).
    o.hidden.push_back({widths[i], (i == 12 || i == 13) ? 0.3f : 0.0f});
  o.input = MlpInputScaling::kRaw;
  o.target = MlpTarget::kRawMape;
  o.max_epochs = 350;
  o.batch_size = 32;
  o.learning_rate = 1e-3;
  o.min_learning_rate = 0;
  o.patience = 0;
  return o;
}

MlpRegressor::MlpRegressor(MlpOptions options) : options_(std::move(options)) {
  HWNAS_CHECK(!options_.hidden.empty(), "MLP needs at least one hidden layer");
  for (const auto& layer : options_.hidden)
    HWNAS_CHECK(layer.width > 0 && layer.negative_slope >= 0, "MLP hidden layer width {} / slope {} is invalid",
                layer.width, layer.negative_slope);
  HWNAS_CHECK(options_.max_epochs > 0 && options_.batch_size > 0 && options_.learning_rate > 0,
              "MLP options: max_epochs {}, batch_size {}, learning_rate {} must be positive", options_.max_epochs,
              options_.batch_size, options_.learning_rate);
  HWNAS_CHECK(std::isfinite(options_.huber_delta) && options_.huber_delta >= 0,
              "MLP option huber_delta must be >= 0, got {}", options_.huber_delta);
}

MlpRegressor::~MlpRegressor() = default;
MlpRegressor::MlpRegressor(const MlpRegressor&) = default;
MlpRegressor& MlpRegressor::operator=(const MlpRegressor&) = default;

std::size_t MlpRegressor::parameter_count() const {
  std::size_t n = 0;
  if (net_) {
    for (const auto& w : net_->weights) n += static_cast<std::size_t>(w.size());
    for (const auto& b : net_->biases) n += static_cast<std::size_t>(b.size());
  }
  return n;
}

void MlpRegressor::predict_into(std::span<const FeatureVector> x, std::span<double> out) const {
  HWNAS_CHECK(net_ != nullptr, "MLP regressor used before fit() or load");
  HWNAS_ASSERT(x.size() == out.size(), "{} inputs, {} outputs", x.size(), out.size());
  const Net& net = *net_;
  Eigen::Index width = static_cast<Eigen::Index>(KernelFeatures::kSize);
  for (const auto& w : net.weights) width = std::max(width, w.rows());
  // Two ping-pong activation buffers, allocated once per call and small enough (widest layer x kChunk
  // floats) to stay in cache and off the page-faulting mmap path of large allocations.
  Eigen::MatrixXf a(width, static_cast<Eigen::Index>(kChunk)), b(width, static_cast<Eigen::Index>(kChunk));
  for (std::size_t begin = 0; begin < x.size(); begin += kChunk) {
    const auto n = static_cast<Eigen::Index>(std::min(kChunk, x.size() - begin));
    a.topLeftCorner(static_cast<Eigen::Index>(KernelFeatures::kSize), n) = net.scale_inputs(x.subspan(begin, n));
    Eigen::Index rows = static_cast<Eigen::Index>(KernelFeatures::kSize);
    for (std::size_t l = 0; l < net.weights.size(); ++l) {
      const auto& w = net.weights[l];
      auto z = b.topLeftCorner(w.rows(), n);
      // A coefficient-wise (lazy) product sums every output in the same order whatever the batch size, so
      // a kernel predicted alone or inside a batch gets the bit-identical latency (Eigen's GEMV and GEMM
      // kernels round differently; GEMM would be ~1.8x faster at 64 columns), and cached values never
      // depend on which call filled the cache.
      z.noalias() = w.lazyProduct(a.topLeftCorner(rows, n));
      z.colwise() += net.biases[l];
      if (l + 1 < net.weights.size()) {
        const float slope = net.slopes[l];
        if (slope == 0.0f)
          z = z.cwiseMax(0.0f);
        else
          z = z.unaryExpr([slope](float v) { return v > 0.0f ? v : slope * v; });
      }
      rows = w.rows();
      std::swap(a, b);
    }
    for (Eigen::Index i = 0; i < n; ++i) out[begin + static_cast<std::size_t>(i)] = net.to_ms(a(0, i));
  }
}

nlohmann::json MlpRegressor::to_json() const {
  HWNAS_CHECK(net_ != nullptr, "cannot serialise an unfitted MLP regressor");
  nlohmann::json hidden = nlohmann::json::array();
  for (const auto& layer : options_.hidden) hidden.push_back({layer.width, layer.negative_slope});
  nlohmann::json layers = nlohmann::json::array();
  for (std::size_t l = 0; l < net_->weights.size(); ++l) {
    const auto& w = net_->weights[l];
    std::vector<float> row_major(static_cast<std::size_t>(w.size()));
    for (Eigen::Index r = 0; r < w.rows(); ++r)
      for (Eigen::Index c = 0; c < w.cols(); ++c) row_major[static_cast<std::size_t>(r * w.cols() + c)] = w(r, c);
    layers.push_back({{"rows", w.rows()},
                      {"cols", w.cols()},
                      {"weight", row_major},
                      {"bias", std::vector<float>(net_->biases[l].data(), net_->biases[l].data() + w.rows())}});
  }
  return {{"options",
           {{"hidden", hidden},
            {"input", input_name(options_.input)},
            {"target", target_name(options_.target)},
            {"max_epochs", options_.max_epochs},
            {"batch_size", options_.batch_size},
            {"learning_rate", options_.learning_rate},
            {"min_learning_rate", options_.min_learning_rate},
            {"weight_decay", options_.weight_decay},
            {"huber_delta", options_.huber_delta},
            {"patience", options_.patience}}},
          {"input_mean", net_->input_mean},
          {"input_inv_std", net_->input_inv_std},
          {"target_mean", net_->target_mean},
          {"target_scale", net_->target_scale},
          {"layers", layers}};
}

void MlpRegressor::load_state(const nlohmann::json& state, const std::string& what) {
  const auto& o = state.at("options");
  MlpOptions options;
  options.hidden.clear();
  for (const auto& layer : o.at("hidden")) options.hidden.push_back({layer.at(0).get<int>(), layer.at(1).get<float>()});
  options.input = parse_input(o.at("input").get<std::string>(), what);
  options.target = parse_target(o.at("target").get<std::string>(), what);
  options.max_epochs = o.at("max_epochs").get<int>();
  options.batch_size = o.at("batch_size").get<int>();
  options.learning_rate = o.at("learning_rate").get<double>();
  options.min_learning_rate = o.at("min_learning_rate").get<double>();
  options.weight_decay = o.at("weight_decay").get<double>();
  options.huber_delta = o.value("huber_delta", 0.0);  // absent from files written before it existed
  options.patience = o.at("patience").get<int>();

  auto net = std::make_shared<Net>();
  net->input = options.input;
  net->target = options.target;
  const auto mean = state.at("input_mean").get<std::vector<double>>();
  const auto inv_std = state.at("input_inv_std").get<std::vector<double>>();
  if (mean.size() != KernelFeatures::kSize || inv_std.size() != KernelFeatures::kSize)
    fail("{} has wrong dimensions: input scaling for {} / {} features, expected {}", what, mean.size(), inv_std.size(),
         KernelFeatures::kSize);
  std::copy(mean.begin(), mean.end(), net->input_mean.begin());
  std::copy(inv_std.begin(), inv_std.end(), net->input_inv_std.begin());
  net->target_mean = state.at("target_mean").get<double>();
  net->target_scale = state.at("target_scale").get<double>();

  const auto& layers = state.at("layers");
  if (layers.size() != options.hidden.size() + 1)
    fail("{} has wrong dimensions: {} layers for {} hidden layers (expected {})", what, layers.size(),
         options.hidden.size(), options.hidden.size() + 1);
  std::size_t expected_cols = KernelFeatures::kSize;
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const auto& layer = layers[l];
    const auto rows = layer.at("rows").get<std::size_t>();
    const auto cols = layer.at("cols").get<std::size_t>();
    const std::size_t expected_rows = l < options.hidden.size() ? static_cast<std::size_t>(options.hidden[l].width) : 1;
    const auto weight = layer.at("weight").get<std::vector<float>>();
    const auto bias = layer.at("bias").get<std::vector<float>>();
    if (rows != expected_rows || cols != expected_cols || weight.size() != rows * cols || bias.size() != rows)
      fail("{} has wrong dimensions: layer {} is {}x{} with {} weights and {} biases, expected {}x{}", what, l, rows,
           cols, weight.size(), bias.size(), expected_rows, expected_cols);
    for (float v : weight)
      if (!std::isfinite(v)) fail("{}: layer {} has a non-finite weight", what, l);
    Eigen::MatrixXf w(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols));
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t c = 0; c < cols; ++c)
        w(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(c)) = weight[r * cols + c];
    net->weights.push_back(std::move(w));
    net->biases.push_back(Eigen::Map<const Eigen::VectorXf>(bias.data(), static_cast<Eigen::Index>(rows)));
    if (l < options.hidden.size()) net->slopes.push_back(options.hidden[l].negative_slope);
    expected_cols = rows;
  }
  options_ = std::move(options);
  net_ = std::move(net);
}

}  // namespace hwnas::predictors
