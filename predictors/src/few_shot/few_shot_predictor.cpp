#include "hwnas/predictors/few_shot/few_shot_predictor.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>
#include <optional>

#include <Eigen/Dense>
#include <nlohmann/json.hpp>

#include "hwnas/core/error.h"
#include "hwnas/predictors/predictor_set.h"
#include "hwnas/predictors/predictor_sets.h"
#include "hwnas/predictors/proxies/proxy_table.h"

namespace hwnas::predictors {
namespace {

using Matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
constexpr const char* kFormat = "hwnas-few-shot-device";

Eigen::Map<const Matrix> as_matrix(const std::vector<double>& encoded, std::size_t dim) {
  HWNAS_ASSERT(dim > 0 && encoded.size() % dim == 0, "encoding of {} values is not rows of {}", encoded.size(), dim);
  return {encoded.data(), static_cast<Eigen::Index>(encoded.size() / dim), static_cast<Eigen::Index>(dim)};
}

std::vector<double> ranks(std::span<const double> v) {
  std::vector<std::size_t> order(v.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return v[a] < v[b]; });
  std::vector<double> r(v.size());
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
    for (std::size_t k = i; k <= j; ++k) r[order[k]] = 0.5 * static_cast<double>(i + j);
    i = j + 1;
  }
  return r;
}

Eigen::VectorXd log_of(const std::vector<double>& ms) {
  Eigen::VectorXd y(static_cast<Eigen::Index>(ms.size()));
  for (std::size_t i = 0; i < ms.size(); ++i) y[static_cast<Eigen::Index>(i)] = std::log(ms[i]);
  return y;
}

struct Start {
  std::size_t device = 0;
  double correlation = -2;  // Pearson, of the head's log predictions and the measured log latencies
  Eigen::VectorXd weights;  // the device's head, mapped affinely onto the samples
};

double pearson(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
  const Eigen::ArrayXd da = a.array() - a.mean(), db = b.array() - b.mean();
  const double norms = std::sqrt(da.square().sum() * db.square().sum());
  return norms > 0 ? (da * db).sum() / norms : 0.0;
}

/// The training device most correlated with the samples in log latency, its head rescaled to them.
/// The highest Pearson correlation is the affine map with the least squared log error: the device
/// that explains the samples best up to being uniformly faster or slower. Ranking devices by
/// Spearman instead picked worse starts (few_shot_bench, 20 draws, Spearman / within 10% at N = 10:
/// NB201 0.969 / 87.4% -> 0.977 / 90.1%, FBNet 0.972 / 99.1% -> 0.977 / 99.6%).
Start best_start(const DeviceHeads& heads, const Matrix& x, const Eigen::VectorXd& y) {
  if (x.rows() < 5) fail("few-shot calibration needs at least 5 measured architectures, got {}", x.rows());
  Start best;
  for (std::size_t d = 0; d < heads.devices.size(); ++d) {
    const Eigen::VectorXd w = Eigen::Map<const Eigen::VectorXd>(heads.weights[d].data(),
                                                                 static_cast<Eigen::Index>(heads.weights[d].size()));
    const Eigen::VectorXd z = x * w;
    const double r = pearson(z, y);
    if (r > best.correlation) {
      best.device = d;
      best.correlation = r;
      // y ≈ a + b z: the new device is a faster or slower version of this one.
      Matrix a(x.rows(), 2);
      a.col(0).setOnes();
      a.col(1) = z;
      const Eigen::Vector2d ab = a.colPivHouseholderQr().solve(y);
      best.weights = ab[1] * w;
      best.weights[0] += ab[0];  // feature 0 is the bias
    }
  }
  return best;
}

/// The start's rank correlation on the samples, as a calibrated device reports it.
double start_spearman(const Start& start, const DeviceHeads& heads, const Matrix& x, const Eigen::VectorXd& y) {
  const auto& w = heads.weights[start.device];
  const Eigen::VectorXd z = x * Eigen::Map<const Eigen::VectorXd>(w.data(), static_cast<Eigen::Index>(w.size()));
  return spearman(std::vector<double>(z.data(), z.data() + z.size()), std::vector<double>(y.data(), y.data() + y.size()));
}

}  // namespace

double spearman(std::span<const double> a, std::span<const double> b) {
  if (a.size() != b.size() || a.size() < 2) fail("spearman needs two series of the same length >= 2");
  const auto ra = ranks(a), rb = ranks(b);
  const double mean = 0.5 * static_cast<double>(a.size() - 1);
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    sab += (ra[i] - mean) * (rb[i] - mean);
    saa += (ra[i] - mean) * (ra[i] - mean);
    sbb += (rb[i] - mean) * (rb[i] - mean);
  }
  return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : 0.0;
}

DeviceHeads pretrain_device_heads(const DeviceLatencyTable& table, const std::vector<double>& encoded, std::size_t dim,
                                  const std::vector<std::string>& exclude) {
  const auto x = as_matrix(encoded, dim);
  HWNAS_CHECK(static_cast<std::size_t>(x.rows()) == table.archs.size(), "{} encodings for {} table rows", x.rows(),
              table.archs.size());
  // A whisper of ridge: one-hot genes are collinear with the bias (each gene's choices sum to one).
  const Matrix gram = x.transpose() * x + 1e-6 * static_cast<double>(x.rows()) * Matrix::Identity(x.cols(), x.cols());
  const Eigen::LDLT<Matrix> solver(gram);
  DeviceHeads heads;
  for (std::size_t d = 0; d < table.devices.size(); ++d) {
    if (std::find(exclude.begin(), exclude.end(), table.devices[d]) != exclude.end()) continue;
    const Eigen::VectorXd w = solver.solve(x.transpose() * log_of(table.latency[d]));
    heads.devices.push_back(table.devices[d]);
    heads.weights.emplace_back(w.data(), w.data() + w.size());
  }
  if (heads.devices.empty()) fail("every device of the {} table is excluded: nothing to pre-train on", table.space);
  return heads;
}

FewShotDevice reference_device_only(const DeviceHeads& heads, const std::vector<double>& encoded,
                                    const std::vector<double>& latency_ms, std::size_t dim) {
  const Matrix x = as_matrix(encoded, dim);
  const Start start = best_start(heads, x, log_of(latency_ms));
  FewShotDevice device;
  device.weights.assign(start.weights.data(), start.weights.data() + start.weights.size());
  device.reference_device = heads.devices[start.device];
  device.reference_spearman = start_spearman(start, heads, x, log_of(latency_ms));
  device.samples = latency_ms.size();
  return device;
}

FewShotDevice calibrate_few_shot(const DeviceHeads& heads, const std::vector<double>& encoded,
                                 const std::vector<double>& latency_ms, std::size_t dim) {
  const Matrix x = as_matrix(encoded, dim);
  const Eigen::VectorXd y = log_of(latency_ms);
  const Start start = best_start(heads, x, y);
  const Eigen::VectorXd r = y - x * start.weights;  // what the start gets wrong
  // w = w0 + (XᵀX + λI)⁻¹ Xᵀ r; leave-one-out residuals of ridge are e_i / (1 - H_ii).
  struct Pull {
    double lambda = 0, loo = 0, loo_se = 0;  // mean squared leave-one-out residual, its standard error
    Eigen::VectorXd weights;
  };
  std::vector<Pull> pulls;
  for (double lambda : {0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 1e9}) {
    const Matrix inv = (x.transpose() * x + lambda * Matrix::Identity(x.cols(), x.cols())).inverse();
    const Eigen::VectorXd delta = inv * x.transpose() * r;
    const Eigen::VectorXd e = r - x * delta;
    Eigen::ArrayXd squared(x.rows());
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
      const double h = x.row(i) * inv * x.row(i).transpose();
      squared[i] = std::pow(e[i] / std::max(1e-9, 1.0 - h), 2);
    }
    const double n = static_cast<double>(squared.size());
    const double mean = squared.mean();
    pulls.push_back({lambda, mean, std::sqrt((squared - mean).square().sum() / (n - 1) / n), start.weights + delta});
  }
  // The strongest pull within one standard error of the lowest leave-one-out error: on 10 or 20
  // samples the minimum alone often moves the head for noise (few_shot_bench, 20 draws, NB201 N = 20:
  // Spearman / within 10% 0.976 / 89.7% -> 0.978 / 90.0%, no device worse; N = 10 and FBNet equal).
  const Pull& lowest = *std::min_element(pulls.begin(), pulls.end(), [](const Pull& a, const Pull& b) { return a.loo < b.loo; });
  const Pull* chosen = &lowest;
  for (const Pull& p : pulls)
    if (p.loo <= lowest.loo + lowest.loo_se && p.lambda > chosen->lambda) chosen = &p;
  FewShotDevice device;
  device.weights.assign(chosen->weights.data(), chosen->weights.data() + chosen->weights.size());
  device.reference_device = heads.devices[start.device];
  device.reference_spearman = start_spearman(start, heads, x, y);
  device.ridge = chosen->lambda;
  device.samples = latency_ms.size();
  return device;
}

ArchEncoder FewShotDevice::encoder(const spaces::SearchSpace& space_to_encode, const std::string& where) const {
  if (space_to_encode.name() != space)
    fail("few-shot device {} was calibrated for space '{}', not '{}'", where, space, space_to_encode.name());
  EncodingOptions options = EncodingOptions::from_feature_names(feature_names);
  if (!options.proxies.empty()) options.proxy_table = shipped_proxy_table(space_to_encode);
  auto local = std::make_shared<const PredictorSet>(PredictorSet::load(predictor_set_path(local_predictors)));
  std::optional<ArchEncoder> built;
  try {
    built.emplace(space_to_encode, std::move(local), std::move(options));
  } catch (const Error& e) {
    fail("few-shot device {}: its features cannot be rebuilt: {}", where, e.what());
  }
  ArchEncoder encoder = std::move(*built);
  if (encoder.feature_names() != feature_names)
    fail("few-shot device {} was calibrated with another encoding of {} (local predictors '{}' changed?): calibrate "
         "it again",
         where, space, local_predictors);
  return encoder;
}

std::vector<double> FewShotDevice::predict(const std::vector<double>& encoded) const {
  const auto x = as_matrix(encoded, weights.size());
  const Eigen::VectorXd z = x * Eigen::Map<const Eigen::VectorXd>(weights.data(), static_cast<Eigen::Index>(weights.size()));
  std::vector<double> ms(static_cast<std::size_t>(z.size()));
  for (std::size_t i = 0; i < ms.size(); ++i) {
    ms[i] = std::exp(z[static_cast<Eigen::Index>(i)]);
    // Calibrated weights keep log-latencies within a few units of the samples'; an overflow means a
    // manifest edited or damaged past what load() can tell, and an "inf ms" answer would mislead.
    if (!std::isfinite(ms[i]) || ms[i] <= 0)
      fail("few-shot device of {} (calibrated from {}): architecture {} of this call is predicted at {} ms: its "
           "weights are damaged; calibrate it again",
           space, reference_device, i + 1, ms[i]);
  }
  return ms;
}

void FewShotDevice::save(const std::filesystem::path& dir) const {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) fail("cannot create '{}': {}", dir.string(), ec.message());
  const nlohmann::json manifest = {{"format", kFormat},          {"format_version", kFormatVersion},
                                   {"space", space},             {"local_predictors", local_predictors},
                                   {"feature_names", feature_names}, {"weights", weights},
                                   {"reference_device", reference_device}, {"reference_spearman", reference_spearman},
                                   {"ridge", ridge},             {"samples", samples}};
  std::ofstream out(dir / "manifest.json");
  if (!out || !(out << manifest.dump(2) << '\n')) fail("cannot write '{}'", (dir / "manifest.json").string());
}

bool FewShotDevice::is_few_shot_dir(const std::filesystem::path& dir) {
  std::ifstream in(dir / "manifest.json");
  if (!in) return false;
  const auto j = nlohmann::json::parse(in, nullptr, false);
  return !j.is_discarded() && j.is_object() && j.value("format", std::string()) == kFormat;
}

FewShotDevice FewShotDevice::load(const std::filesystem::path& dir) {
  const auto file = (dir / "manifest.json").string();
  std::ifstream in(file);
  if (!in) fail("few-shot device '{}' has no manifest: '{}' not found", dir.string(), file);
  const auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.value("format", std::string()) != kFormat)
    fail("{}: not a few-shot device manifest (expected \"format\": \"{}\")", file, kFormat);
  try {
    if (j.at("format_version").get<int>() != kFormatVersion)
      fail("{}: format version {} is not supported (this build reads {})", file, j.at("format_version").get<int>(),
           kFormatVersion);
    FewShotDevice d;
    d.space = j.at("space").get<std::string>();
    d.local_predictors = j.at("local_predictors").get<std::string>();
    d.feature_names = j.at("feature_names").get<std::vector<std::string>>();
    const auto& weights = j.at("weights");
    if (!weights.is_array()) fail("{}: 'weights' is {}, expected a list of numbers", file, weights.dump());
    for (std::size_t i = 0; i < weights.size(); ++i) {
      if (!weights[i].is_number() || !std::isfinite(weights[i].get<double>()))
        fail("{}: weights[{}] is {}, expected a finite number", file, i, weights[i].dump());
      d.weights.push_back(weights[i].get<double>());
    }
    d.reference_device = j.at("reference_device").get<std::string>();
    d.reference_spearman = j.at("reference_spearman").get<double>();
    d.ridge = j.at("ridge").get<double>();
    d.samples = j.at("samples").get<std::size_t>();
    if (d.weights.size() != d.feature_names.size())
      fail("{}: {} weights for {} features", file, d.weights.size(), d.feature_names.size());
    return d;
  } catch (const nlohmann::json::exception& e) {
    fail("{}: {}", file, e.what());
  }
}

}  // namespace hwnas::predictors
