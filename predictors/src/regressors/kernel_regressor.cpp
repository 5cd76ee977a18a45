#include "hwnas/predictors/regressors/kernel_regressor.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "hwnas/core/error.h"
#include "hwnas/predictors/regressors/linear_regressor.h"
#include "hwnas/predictors/regressors/mlp_ensemble_regressor.h"
#include "hwnas/predictors/regressors/mlp_regressor.h"
#include "hwnas/predictors/regressors/per_path_mlp_regressor.h"
#include "hwnas/predictors/regressors/tree_regressor.h"

namespace hwnas::predictors {
namespace {

constexpr const char* kFormatName = "hwnas-kernel-regressor";
constexpr int kFileFormatVersion = 1;

}  // namespace

double KernelRegressor::predict(const FeatureVector& x) const {
  double out = 0;
  predict_into(std::span<const FeatureVector>(&x, 1), std::span<double>(&out, 1));
  return out;
}

std::vector<double> KernelRegressor::predict_batch(std::span<const FeatureVector> x) const {
  std::vector<double> out(x.size());
  predict_into(x, out);
  return out;
}

void KernelRegressor::save(const std::filesystem::path& path, RegressorEncoding encoding) const {
  HWNAS_CHECK(fitted(), "cannot save an unfitted {} regressor to '{}'", kind(), path.string());
  nlohmann::json doc = {{"format", kFormatName},
                        {"format_version", kFileFormatVersion},
                        {"kind", std::string(kind())},
                        {"feature_schema_version", KernelFeatures::kVersion},
                        {"feature_size", KernelFeatures::kSize},
                        {"state", to_json()}};
  if (encoding == RegressorEncoding::kAuto)
    encoding = path.extension() == ".json" ? RegressorEncoding::kJson : RegressorEncoding::kCbor;
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) fail("cannot write regressor file '{}'", path.string());
  if (encoding == RegressorEncoding::kJson) {
    file << doc.dump(1) << '\n';
  } else {
    const std::vector<std::uint8_t> bytes = nlohmann::json::to_cbor(doc);
    file.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }
  if (!file) fail("error writing regressor file '{}'", path.string());
}

std::unique_ptr<KernelRegressor> KernelRegressor::load(const std::filesystem::path& path) {
  const std::string name = path.string();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) fail("weights file '{}' not found", name);
  std::ifstream file(path, std::ios::binary);
  if (!file) fail("cannot read weights file '{}'", name);
  const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (bytes.empty()) fail("weights file '{}' is empty", name);

  // Text JSON starts with '{' (after optional whitespace); anything else is read as CBOR.
  std::size_t first = 0;
  while (first < bytes.size() && std::isspace(bytes[first])) ++first;
  const bool text = first < bytes.size() && bytes[first] == '{';
  nlohmann::json doc;
  try {
    doc = text ? nlohmann::json::parse(bytes.begin(), bytes.end()) : nlohmann::json::from_cbor(bytes);
  } catch (const nlohmann::json::exception& e) {
    fail("weights file '{}' is truncated or corrupt ({}): {}", name, text ? "JSON" : "CBOR", e.what());
  }
  if (!doc.is_object() || doc.value("format", std::string()) != kFormatName)
    fail("weights file '{}' is not an hwnas kernel regressor (no \"format\": \"{}\")", name, kFormatName);
  try {
    const int version = doc.at("format_version").get<int>();
    if (version != kFileFormatVersion)
      fail("weights file '{}' has format version {}, this build reads version {}", name, version, kFileFormatVersion);
    const int schema = doc.at("feature_schema_version").get<int>();
    if (schema != KernelFeatures::kVersion)
      fail("weights file '{}' was trained with feature schema version {}, this build uses version {}: retrain it",
           name, schema, KernelFeatures::kVersion);
    const auto size = doc.at("feature_size").get<std::size_t>();
    if (size != KernelFeatures::kSize)
      fail("weights file '{}' has wrong dimensions: {} input features, expected {}", name, size,
           KernelFeatures::kSize);
    const auto kind = doc.at("kind").get<std::string>();
    auto kinds = regressor_kinds();
    if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end())
      fail("weights file '{}' holds a regressor of unknown kind '{}' (valid: {})", name, kind, fmt::join(kinds, ", "));
    auto regressor = make_regressor(kind);
    regressor->load_state(doc.at("state"), fmt::format("weights file '{}'", name));
    return regressor;
  } catch (const nlohmann::json::exception& e) {
    fail("weights file '{}' is malformed: {}", name, e.what());
  }
}

bool have_tree_regressor() {
#ifdef HWNAS_HAVE_XGBOOST
  return true;
#else
  return false;
#endif
}

std::vector<std::string> regressor_kinds() {
  std::vector<std::string> kinds = {"linear", "mlp", "mlp_ensemble", "mlp_per_path"};
  if (have_tree_regressor()) kinds.emplace_back("tree");
  return kinds;
}

std::unique_ptr<KernelRegressor> make_regressor(std::string_view kind) {
  return make_regressor(kind, MlpOptions::small());
}

std::unique_ptr<KernelRegressor> make_regressor(std::string_view kind, const MlpOptions& mlp) {
  if (kind == "mlp") return std::make_unique<MlpRegressor>(mlp);
  if (kind == "mlp_ensemble") return std::make_unique<MlpEnsembleRegressor>(MlpEnsembleOptions{.member = mlp});
  if (kind == "mlp_per_path")
    return std::make_unique<PerPathMlpRegressor>(PerPathMlpOptions{.ensemble = {.member = mlp}});
  if (kind == "linear") return std::make_unique<LinearRegressor>();
  if (kind == "tree" && have_tree_regressor()) return std::make_unique<TreeRegressor>();
  if (kind == "tree") fail("regressor kind 'tree' is not built in: install libxgboost-dev and reconfigure");
  fail("unknown regressor kind '{}' (valid: {})", kind, fmt::join(regressor_kinds(), ", "));
}

}  // namespace hwnas::predictors
