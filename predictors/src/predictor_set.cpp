#include "hwnas/predictors/predictor_set.h"

#include <algorithm>
#include <fstream>
#include <mutex>
#include <shared_mutex>
#include <sstream>
#include <tuple>
#include <cmath>
#include <limits>
#include <set>
#include <unordered_map>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "hwnas/core/error.h"
#include "hwnas/devices/fingerprint.h"
#include "hwnas/predictors/kernels/decomposer.h"
#include "hwnas/predictors/kernels/kernel_features.h"

namespace hwnas::predictors {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kFormatName = "hwnas-predictor-set";
constexpr const char* kManifest = "manifest.json";
constexpr const char* kRulesFile = "fusion_rules.yaml";
constexpr const char* kFallbackFile = "_fallback.cbor";
constexpr const char* kFallbackName = "<fallback>";

/// The cache key of a kernel: its key's hash, computed here for kernels built by hand without one.
std::uint64_t hash_of(const Kernel& kernel) {
  return kernel.key_hash != 0 ? kernel.key_hash : devices::fnv1a64(kernel.key);
}

/// Says once per process that `platform`'s sets serve `kernel_type` with another type's regressor:
/// benches and calibration load or copy the same set many times, and each copy resolves afresh.
void warn_substitution(const std::string& platform, const std::string& kernel_type, const std::string& served) {
  static std::mutex mutex;
  static std::set<std::tuple<std::string, std::string, std::string>> said;
  std::lock_guard lock(mutex);
  if (said.emplace(platform, kernel_type, served).second)
    fmt::print(stderr, "hwnas: warning: predictor set '{}' has no regressor for kernel type '{}'; using '{}'\n",
               platform, kernel_type, served);
}

std::vector<std::string> tokens_of(const std::string& type) {
  std::vector<std::string> out;
  std::stringstream in(type);
  std::string token;
  while (std::getline(in, token, '-')) out.push_back(token);
  return out;
}

/// Kernel types are op tokens joined by '-'; anything else is replaced so a type is always a safe file name.
std::string file_name_for(const std::string& type) {
  std::string name = type;
  for (char& c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) c = '_';
  return name + ".cbor";
}

json report_to_json(const AccuracyReport& r) {
  return {{"count", r.count}, {"rmse_ms", r.rmse_ms}, {"mape", r.mape}, {"within_5", r.within_5},
          {"within_10", r.within_10}};
}

AccuracyReport report_from_json(const json& j) {
  AccuracyReport r;
  if (j.is_null()) return r;
  r.count = j.at("count").get<std::size_t>();
  // NaN metrics are written as null by nlohmann::json.
  auto number = [&](const char* key) { return j.at(key).is_null() ? 0.0 : j.at(key).get<double>(); };
  r.rmse_ms = number("rmse_ms");
  r.mape = number("mape");
  r.within_5 = number("within_5");
  r.within_10 = number("within_10");
  return r;
}

/// What a number of the manifest may be.
enum class NumberRange { kAny, kNonNegative, kPositive };

/// `object[key]` of the manifest `where`, a finite number in `range`. Anything else would predict
/// nonsense without a word (a negative correction scale clamps every network to the minimum latency),
/// so it is refused, naming the key by its path.
double manifest_number(const json& object, const std::string& path, const char* key, NumberRange range,
                       const std::string& where) {
  if (!object.contains(key)) fail("{}: '{}.{}' is missing", where, path, key);
  const json& value = object.at(key);
  const double x = value.is_number() ? value.get<double>() : std::numeric_limits<double>::quiet_NaN();
  const bool ok = std::isfinite(x) && (range == NumberRange::kAny || (range == NumberRange::kNonNegative && x >= 0) ||
                                       (range == NumberRange::kPositive && x > 0));
  if (!ok)
    fail("{}: '{}.{}' is {}, expected a {}number", where, path, key, value.dump(),
         range == NumberRange::kPositive ? "positive " : range == NumberRange::kNonNegative ? "non-negative " : "finite ");
  return x;
}

/// Compact JSON text when `text` is a JSON object or array, else `text` unchanged.
std::string normalise_fingerprint(const std::string& text) {
  const json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  return !parsed.is_discarded() && (parsed.is_object() || parsed.is_array()) ? parsed.dump() : text;
}

}  // namespace

struct PredictorSet::Cache {
  mutable std::shared_mutex mutex;
  std::unordered_map<std::uint64_t, double> values;                                        // Kernel::key_hash -> ms
  std::unordered_map<std::string, std::pair<const KernelRegressor*, std::string>> served;  // type -> regressor
  std::atomic<std::uint64_t> hits{0};
  std::atomic<std::uint64_t> misses{0};
  std::atomic<std::uint64_t> evaluations{0};
  std::set<std::string> out_of_domain;  // types warned about
};

PredictorSet::PredictorSet(std::string platform, std::string fingerprint, FusionRules rules)
    : platform_(std::move(platform)),
      fingerprint_(normalise_fingerprint(fingerprint)),
      conv_dispatch_(conv_dispatch_of(fingerprint_)),
      rules_(std::move(rules)),
      cache_(std::make_unique<Cache>()) {}

PredictorSet::~PredictorSet() = default;
PredictorSet::PredictorSet(PredictorSet&&) noexcept = default;
PredictorSet& PredictorSet::operator=(PredictorSet&&) noexcept = default;

void PredictorSet::set_regressor(const std::string& kernel_type, std::unique_ptr<KernelRegressor> regressor,
                                 AccuracyReport metrics, KernelDomain domain) {
  HWNAS_CHECK(!kernel_type.empty(), "set_regressor: empty kernel type");
  HWNAS_CHECK(regressor && regressor->fitted(), "set_regressor('{}'): the regressor is missing or not fitted",
              kernel_type);
  regressors_[kernel_type] = std::move(regressor);
  metrics_[kernel_type] = metrics;
  domains_[kernel_type] = domain;
  clear_cache();
}

void PredictorSet::set_fallback(std::unique_ptr<KernelRegressor> regressor) {
  HWNAS_CHECK(!regressor || regressor->fitted(), "set_fallback: the regressor is not fitted");
  fallback_ = std::move(regressor);
  clear_cache();
}

std::vector<std::string> PredictorSet::kernel_types() const {
  std::vector<std::string> out;
  for (const auto& [type, r] : regressors_) out.push_back(type);
  return out;
}

const KernelRegressor* PredictorSet::regressor(const std::string& kernel_type) const {
  auto it = regressors_.find(kernel_type);
  return it == regressors_.end() ? nullptr : it->second.get();
}

// ---------------------------------------------------------------- files

void PredictorSet::save(const fs::path& dir) const {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) fail("cannot create predictor set directory '{}': {}", dir.string(), ec.message());
  json kernels = json::object();
  for (const auto& [type, regressor] : regressors_) {
    const std::string file = file_name_for(type);
    regressor->save(dir / file, RegressorEncoding::kCbor);
    kernels[type] = {{"file", file}, {"regressor", std::string(regressor->kind())},
                     {"metrics", report_to_json(metrics_.at(type))}};
    const KernelDomain& d = domains_.at(type);
    if (std::isfinite(d.max_mflops))
      kernels[type]["domain"] = {{"max_mflops", d.max_mflops}, {"max_mb_read", d.max_mb_read},
                                 {"max_in_kelements", d.max_in_kelements}};
  }
  json fallback = nullptr;
  if (fallback_) {
    fallback_->save(dir / kFallbackFile, RegressorEncoding::kCbor);
    fallback = {{"file", kFallbackFile}, {"regressor", std::string(fallback_->kind())}};
  }
  FusionRules rules = rules_;
  if (rules.platform.empty()) rules.platform = platform_;  // the rule file requires a platform
  save_fusion_rules(rules, dir / kRulesFile);

  json fingerprint = json::parse(fingerprint_, nullptr, false);
  if (fingerprint.is_discarded() || !(fingerprint.is_object() || fingerprint.is_array())) fingerprint = fingerprint_;
  std::vector<std::string> feature_names(KernelFeatures::names().begin(), KernelFeatures::names().end());
  json manifest = {{"format", kFormatName},
                   {"format_version", kFormatVersion},
                   {"feature_schema_version", KernelFeatures::kVersion},
                   {"feature_names", feature_names},
                   {"platform", platform_},
                   {"fingerprint", fingerprint},
                   {"fusion_rules", kRulesFile},
                   {"kernels", kernels},
                   {"fallback", fallback},
                   {"correction", nullptr},
                   {"training", nullptr}};
  if (training_)
    manifest["training"] = {{"regressor", training_->regressor},
                            {"seed", training_->seed},
                            {"train_fraction", training_->train_fraction},
                            {"validation_fraction", training_->validation_fraction},
                            {"campaigns", training_->campaigns},
                            {"kernels", training_->kernels},
                            {"networks", training_->networks}};
  if (correction_)
    manifest["correction"] = {{"scale", correction_->scale},
                              {"overhead_ms_per_kernel", correction_->overhead_ms_per_kernel},
                              {"constant_ms", correction_->constant_ms},
                              {"type_scales", correction_->type_scales}};
  // Manifest last, through a rename: a directory with a manifest is a complete one.
  const fs::path tmp = dir / (std::string(kManifest) + ".tmp");
  {
    std::ofstream file(tmp, std::ios::trunc);
    if (!file) fail("cannot write '{}'", tmp.string());
    file << manifest.dump(2) << '\n';
    if (!file) fail("error writing '{}'", tmp.string());
  }
  fs::rename(tmp, dir / kManifest, ec);
  if (ec) fail("cannot write '{}': {}", (dir / kManifest).string(), ec.message());
}

PredictorSet PredictorSet::load(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) fail("predictor set directory '{}' does not exist", dir.string());
  if (!fs::is_directory(dir, ec)) fail("predictor set '{}' is not a directory", dir.string());
  const fs::path manifest_path = dir / kManifest;
  const std::string where = manifest_path.string();
  if (!fs::is_regular_file(manifest_path, ec)) fail("predictor set '{}' has no manifest: '{}' not found", dir.string(), where);
  json manifest;
  {
    std::ifstream file(manifest_path);
    if (!file) fail("cannot read '{}'", where);
    try {
      manifest = json::parse(file);
    } catch (const json::parse_error& e) {
      fail("{}: malformed JSON: {}", where, e.what());
    }
  }
  try {
    if (!manifest.is_object() || manifest.value("format", std::string()) != kFormatName)
      fail("{}: not a predictor set manifest (expected \"format\": \"{}\")", where, kFormatName);
    const int version = manifest.at("format_version").get<int>();
    if (version < kOldestReadableFormatVersion || version > kFormatVersion)
      fail("{}: format version {} is not supported (this build reads versions {} to {})", where, version,
           kOldestReadableFormatVersion, kFormatVersion);
    const int schema = manifest.at("feature_schema_version").get<int>();
    if (schema != KernelFeatures::kVersion)
      fail("{}: feature schema version {} does not match this build's feature schema version {}: retrain the "
           "predictor set",
           where, schema, KernelFeatures::kVersion);

    const json& fp = manifest.at("fingerprint");
    PredictorSet set(manifest.at("platform").get<std::string>(), fp.is_string() ? fp.get<std::string>() : fp.dump(),
                     load_fusion_rules(dir / manifest.at("fusion_rules").get<std::string>()));

    auto load_entry = [&](const std::string& label, const json& entry) {
      if (!entry.is_object() || !entry.contains("file") || !entry.at("file").is_string() ||
          entry.at("file").get<std::string>().empty())
        fail("{}: {} has no weights file", where, label);
      const fs::path file = dir / entry.at("file").get<std::string>();
      auto regressor = KernelRegressor::load(file);
      if (entry.contains("regressor") && entry.at("regressor").get<std::string>() != regressor->kind())
        fail("{}: {} is listed as a '{}' regressor but '{}' holds a '{}' one", where, label,
             entry.at("regressor").get<std::string>(), file.string(), regressor->kind());
      return regressor;
    };
    const json& kernels = manifest.at("kernels");
    if (!kernels.is_object()) fail("{}: 'kernels' must be an object of kernel type -> entry", where);
    for (const auto& [type, entry] : kernels.items()) {
      auto regressor = load_entry(fmt::format("kernel type '{}'", type), entry);
      const AccuracyReport metrics = entry.contains("metrics") ? report_from_json(entry.at("metrics")) : AccuracyReport{};
      KernelDomain domain = KernelDomain::unbounded();
      if (entry.contains("domain")) {
        const json& d = entry.at("domain");
        const std::string path = fmt::format("kernels.{}.domain", type);
        domain = {manifest_number(d, path, "max_mflops", NumberRange::kNonNegative, where),
                  manifest_number(d, path, "max_mb_read", NumberRange::kNonNegative, where),
                  manifest_number(d, path, "max_in_kelements", NumberRange::kNonNegative, where)};
      }
      set.set_regressor(type, std::move(regressor), metrics, domain);
    }
    if (manifest.contains("fallback") && !manifest.at("fallback").is_null())
      set.set_fallback(load_entry("the fallback regressor", manifest.at("fallback")));
    if (manifest.contains("correction") && !manifest.at("correction").is_null()) {
      const json& c = manifest.at("correction");
      // The per-kernel and constant terms take either sign (latency_correction_fit.h); the scale cannot.
      LatencyCorrection correction{manifest_number(c, "correction", "scale", NumberRange::kPositive, where),
                                   manifest_number(c, "correction", "overhead_ms_per_kernel", NumberRange::kAny, where),
                                   manifest_number(c, "correction", "constant_ms", NumberRange::kAny, where),
                                   {}};
      if (c.contains("type_scales")) {
        const json& scales = c.at("type_scales");
        if (!scales.is_object()) fail("{}: 'correction.type_scales' is {}, expected an object", where, scales.dump());
        // A type's scale may be 0 (a kernel that costs nothing inside a network), never negative.
        for (const auto& [type, value] : scales.items())
          correction.type_scales[type] =
              manifest_number(scales, "correction.type_scales", type.c_str(), NumberRange::kNonNegative, where);
      }
      set.set_correction(std::move(correction));
    }
    if (manifest.contains("training") && !manifest.at("training").is_null()) {
      const json& t = manifest.at("training");
      TrainingInfo info;
      info.regressor = t.at("regressor").get<std::string>();
      info.seed = t.at("seed").get<std::uint64_t>();
      info.train_fraction = t.at("train_fraction").get<double>();
      info.validation_fraction = t.at("validation_fraction").get<double>();
      info.campaigns = t.at("campaigns").get<std::vector<std::string>>();
      info.kernels = t.at("kernels").get<std::size_t>();
      info.networks = t.at("networks").get<std::size_t>();
      set.set_training_info(std::move(info));
    }
    return set;
  } catch (const json::exception& e) {
    fail("{}: {}", where, e.what());
  }
}

void PredictorSet::require_fingerprint(const std::string& fingerprint_json, const std::string& what) const {
  const std::string theirs = normalise_fingerprint(fingerprint_json);
  if (theirs != fingerprint_)
    fail("predictor set for '{}' was trained on measurements of {} but {} come from {}: a different host, library "
         "or thread count",
         platform_, fingerprint_, what, theirs);
}

// ---------------------------------------------------------------- prediction

std::pair<const KernelRegressor*, std::string> PredictorSet::resolve(const std::string& kernel_type) const {
  {
    std::shared_lock lock(cache_->mutex);
    auto it = cache_->served.find(kernel_type);
    if (it != cache_->served.end()) return it->second;
  }
  std::pair<const KernelRegressor*, std::string> served{nullptr, ""};
  if (auto it = regressors_.find(kernel_type); it != regressors_.end()) {
    served = {it->second.get(), kernel_type};
  } else {
    // Same leading token, longest common token prefix; ties: fewer tokens, then alphabetical (map order).
    const auto wanted = tokens_of(kernel_type);
    std::size_t best_common = 0, best_length = 0;
    for (const auto& [type, regressor] : regressors_) {
      const auto have = tokens_of(type);
      std::size_t common = 0;
      while (common < have.size() && common < wanted.size() && have[common] == wanted[common]) ++common;
      if (common == 0) continue;
      if (common > best_common || (common == best_common && have.size() < best_length)) {
        best_common = common;
        best_length = have.size();
        served = {regressor.get(), type};
      }
    }
    if (!served.first && fallback_) served = {fallback_.get(), kFallbackName};
    if (!served.first)
      fail("predictor set for platform '{}' has no regressor for kernel type '{}', none of the same leading op, and "
           "no fallback (types: {})",
           platform_, kernel_type, fmt::join(kernel_types(), ", "));
  }
  std::unique_lock lock(cache_->mutex);
  const bool inserted = cache_->served.emplace(kernel_type, served).second;
  if (inserted && served.second != kernel_type) warn_substitution(platform_, kernel_type, served.second);
  return served;
}

std::string PredictorSet::serving_type(const std::string& kernel_type) const { return resolve(kernel_type).second; }

std::map<std::string, std::string> PredictorSet::substitutions() const {
  std::shared_lock lock(cache_->mutex);
  std::map<std::string, std::string> out;
  for (const auto& [type, served] : cache_->served)
    if (served.second != type) out.emplace(type, served.second);
  return out;
}

void PredictorSet::evaluate(std::span<const Kernel* const> kernels, std::span<double> out) const {
  HWNAS_ASSERT(kernels.size() == out.size(), "{} kernels, {} outputs", kernels.size(), out.size());
  std::vector<std::size_t> pending;
  {
    std::shared_lock lock(cache_->mutex);
    for (std::size_t i = 0; i < kernels.size(); ++i) {
      auto it = kernels[i]->key.empty() ? cache_->values.end() : cache_->values.find(hash_of(*kernels[i]));
      if (it != cache_->values.end())
        out[i] = it->second;
      else
        pending.push_back(i);
    }
  }
  cache_->hits += kernels.size() - pending.size();
  cache_->misses += pending.size();
  if (pending.empty()) return;

  // Distinct uncached kernels (by key; keyless kernels each on their own), grouped by serving regressor.
  struct Group {
    std::vector<FeatureVector> x;
    std::vector<std::size_t> first;  // index into `kernels` of each distinct kernel
  };
  std::map<const KernelRegressor*, Group> groups;
  std::unordered_map<std::uint64_t, std::size_t> distinct;  // key hash -> index of its first occurrence
  std::vector<std::size_t> source(kernels.size());        // pending kernel -> index of the evaluated copy
  for (std::size_t i : pending) {
    const Kernel& k = *kernels[i];
    if (!k.key.empty()) {
      auto [it, fresh] = distinct.emplace(hash_of(k), i);
      source[i] = it->second;
      if (!fresh) continue;
    } else {
      source[i] = i;
    }
    FeatureVector x = features_of(k.config);
    const KernelRegressor* regressor = resolve(k.type).first;
    if (regressor != fallback_.get() && fallback_ && !domain_of(regressor).contains(x)) {
      note_out_of_domain(k.type);
      regressor = fallback_.get();
    }
    Group& g = groups[regressor];
    g.x.push_back(x);
    g.first.push_back(i);
  }
  std::vector<std::pair<std::uint64_t, double>> fresh_values;
  for (auto& [regressor, group] : groups) {
    std::vector<double> ms(group.x.size());
    regressor->predict_into(group.x, ms);
    cache_->evaluations += group.x.size();
    for (std::size_t j = 0; j < ms.size(); ++j) {
      out[group.first[j]] = ms[j];
      if (!kernels[group.first[j]]->key.empty()) fresh_values.emplace_back(hash_of(*kernels[group.first[j]]), ms[j]);
    }
  }
  for (std::size_t i : pending) out[i] = out[source[i]];
  std::unique_lock lock(cache_->mutex);
  if (cache_->values.size() + fresh_values.size() > kCacheCapacity) cache_->values.clear();
  for (const auto& [hash, ms] : fresh_values) cache_->values.emplace(hash, ms);
}

const KernelDomain& PredictorSet::domain(const std::string& kernel_type) const {
  const auto it = domains_.find(kernel_type);
  static const KernelDomain unbounded = KernelDomain::unbounded();
  return it == domains_.end() ? unbounded : it->second;
}

const KernelDomain& PredictorSet::domain_of(const KernelRegressor* regressor) const {
  for (const auto& [type, r] : regressors_)
    if (r.get() == regressor) return domains_.at(type);
  static const KernelDomain unbounded = KernelDomain::unbounded();
  return unbounded;
}

void PredictorSet::note_out_of_domain(const std::string& kernel_type) const {
  std::unique_lock lock(cache_->mutex);
  if (cache_->out_of_domain.insert(kernel_type).second)
    fmt::print(stderr,
               "hwnas: warning: predictor set '{}': some '{}' kernels are over {}x larger than any measured; the "
               "fallback law predicts them\n",
               platform_, kernel_type, KernelDomain::kReach);
}

double PredictorSet::predict_kernel(const Kernel& kernel) const {
  const Kernel* k = &kernel;
  double out = 0;
  evaluate(std::span<const Kernel* const>(&k, 1), std::span<double>(&out, 1));
  return out;
}

std::vector<double> PredictorSet::kernel_latencies(const std::vector<Kernel>& kernels) const {
  std::vector<const Kernel*> ptrs;
  ptrs.reserve(kernels.size());
  for (const auto& k : kernels) ptrs.push_back(&k);
  std::vector<double> out(kernels.size());
  evaluate(ptrs, out);
  return out;
}

double PredictorSet::predict_kernels(const std::vector<Kernel>& kernels) const {
  const auto ms = kernel_latencies(kernels);
  double sum = 0;
  for (std::size_t i = 0; i < kernels.size(); ++i) sum += in_network_ms(kernels[i].type, ms[i]);
  return network_latency(sum, kernels.size());
}

std::vector<double> PredictorSet::predict_many(const std::vector<std::vector<Kernel>>& networks) const {
  std::vector<const Kernel*> ptrs;
  for (const auto& net : networks)
    for (const auto& k : net) ptrs.push_back(&k);
  std::vector<double> ms(ptrs.size());
  evaluate(ptrs, ms);
  std::vector<double> out;
  out.reserve(networks.size());
  std::size_t at = 0;
  for (const auto& net : networks) {
    double sum = 0;
    for (const Kernel& kernel : net) sum += in_network_ms(kernel.type, ms[at++]);
    out.push_back(network_latency(sum, net.size()));
  }
  return out;
}

double PredictorSet::predict_graph(const core::Graph& graph) const { return predict_kernels(decompose(graph, rules_)); }

CacheStats PredictorSet::cache_stats() const {
  std::shared_lock lock(cache_->mutex);
  return {cache_->hits.load(), cache_->misses.load(), cache_->evaluations.load(), cache_->values.size()};
}

void PredictorSet::clear_cache() {
  std::unique_lock lock(cache_->mutex);
  cache_->values.clear();
  cache_->served.clear();
  cache_->hits = 0;
  cache_->misses = 0;
  cache_->evaluations = 0;
}

}  // namespace hwnas::predictors
