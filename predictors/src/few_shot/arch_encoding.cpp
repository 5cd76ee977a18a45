#include "hwnas/predictors/few_shot/arch_encoding.h"

#include <algorithm>
#include <array>
#include <cmath>

#include <fmt/format.h>

#include "hwnas/core/cost.h"
#include "hwnas/predictors/arch_latency.h"
#include "hwnas/predictors/kernels/decomposer.h"
#include "hwnas/predictors/predictor_set.h"
#include "hwnas/predictors/proxies/proxy_table.h"

namespace hwnas::predictors {
namespace {

// Kernel families of the mix: what a device's speed differs on (compute-bound dense convolutions,
// memory-bound depthwise ones, matrix products, pooling, elementwise traffic).
constexpr std::array<const char*, 5> kFamilies = {"conv", "dwconv", "dense", "pool", "elementwise"};
constexpr std::array<const char*, 3> kMixStats = {"count", "mflops", "mb"};
constexpr const char* kMixPrefix = "k:";
constexpr const char* kProxyPrefix = "zc:";

std::size_t family_of(const std::string& kernel_type) {
  const std::string lead = kernel_type.substr(0, kernel_type.find('-'));
  if (lead == "conv") return 0;
  if (lead == "dwconv") return 1;
  if (lead == "fc" || lead == "matmul") return 2;
  if (lead == "maxpool" || lead == "avgpool" || lead == "gap") return 3;
  return 4;
}

double log1p_abs(double v) { return std::isfinite(v) ? std::log1p(std::abs(v)) : 0.0; }

}  // namespace

EncodingOptions EncodingOptions::from_feature_names(const std::vector<std::string>& names) {
  EncodingOptions options;
  for (const auto& name : names) {
    if (name.starts_with(kMixPrefix)) options.kernel_mix = true;
    if (name.starts_with(kProxyPrefix)) options.proxies.push_back(name.substr(std::string_view(kProxyPrefix).size()));
  }
  return options;
}

EncodingOptions default_encoding_options(const spaces::SearchSpace& space) {
  return {.proxies = {"l2_norm"}, .proxy_table = shipped_proxy_table(space)};
}

ArchEncoder::ArchEncoder(const spaces::SearchSpace& space, std::shared_ptr<const PredictorSet> local,
                         EncodingOptions options)
    : space_(space), local_(std::move(local)), options_(std::move(options)) {
  if (local_) local_latency_ = std::make_unique<ArchLatencyPredictor>(*local_, space_);
  if (!options_.proxies.empty()) options_.proxies = canonical_proxy_names(options_.proxies);
  // A table that lacks one of the proxies is no help: a row must give them all.
  const auto holds_every_proxy = [&](const ProxyTable& table) {
    return !table.scores.empty() && std::ranges::all_of(options_.proxies, [&](const std::string& proxy) {
      return table.scores.front().contains(proxy);
    });
  };
  if (options_.proxy_table && holds_every_proxy(*options_.proxy_table))
    for (std::size_t r = 0; r < options_.proxy_table->archs.size(); ++r)
      proxy_row_.emplace(options_.proxy_table->archs[r], r);

  names_.push_back("bias");
  const auto choices = space.gene_choices();
  for (std::size_t i = 0; i < choices.size(); ++i) {
    gene_offset_.push_back(names_.size());
    for (int c = 0; c < choices[i]; ++c) names_.push_back(fmt::format("g{}={}", i, c));
  }
  if (local_) names_.push_back("log_local_ms");
  names_.push_back("log_mflops");
  names_.push_back("log_mparams");
  if (options_.kernel_mix)
    for (const char* family : kFamilies)
      for (const char* stat : kMixStats) names_.push_back(fmt::format("{}{}:{}", kMixPrefix, family, stat));
  for (const auto& proxy : options_.proxies) names_.push_back(kProxyPrefix + proxy);
}

ArchEncoder::~ArchEncoder() = default;
ArchEncoder::ArchEncoder(ArchEncoder&&) noexcept = default;

std::vector<double> ArchEncoder::encode(const std::vector<spaces::Arch>& archs) const {
  const std::size_t width = size();
  const std::size_t base_width = width - (options_.kernel_mix ? kFamilies.size() * kMixStats.size() : 0) -
                                 options_.proxies.size();
  const FusionRules no_fusion;
  const FusionRules& rules = local_ ? local_->fusion_rules() : no_fusion;
  std::vector<double> out(archs.size() * width, 0.0);
  std::vector<spaces::Arch> normalized;
  std::vector<double> mflops, mparams;
  for (std::size_t r = 0; r < archs.size(); ++r) {
    const spaces::Arch& arch = normalized.emplace_back(space_.normalize(archs[r]));
    double* row = out.data() + r * width;
    row[0] = 1.0;
    for (std::size_t i = 0; i < arch.genes.size(); ++i)
      if (space_.is_active(arch, static_cast<int>(i))) row[gene_offset_[i] + static_cast<std::size_t>(arch.genes[i])] = 1.0;
    const core::Graph graph = space_.to_graph(arch, 1);
    const core::OpCost cost = core::graph_cost(graph);
    mflops.push_back(cost.flops / 1e6);
    mparams.push_back(static_cast<double>(cost.params) / 1e6);
    if (options_.kernel_mix) {
      const std::vector<Kernel> kernels = decompose(graph, rules);
      double* mix = row + base_width;
      std::array<std::array<double, kMixStats.size()>, kFamilies.size()> sums{};
      for (const Kernel& k : kernels) {
        auto& s = sums[family_of(k.type)];
        s[0] += 1;
        s[1] += k.config.flops / 1e6;
        s[2] += (k.config.bytes_read + k.config.bytes_written) / 1e6;
      }
      for (const auto& family : sums)
        for (double v : family) *mix++ = std::log1p(v);
    }
    if (!options_.proxies.empty()) {
      double* zc = row + width - options_.proxies.size();
      const auto hit = proxy_row_.find(arch);
      ProxyScores computed;
      if (hit == proxy_row_.end()) {
        ProxyOptions proxy_options;
        proxy_options.proxies = options_.proxies;
        computed = compute_proxies(graph, proxy_options);
      }
      const ProxyScores& scores = hit == proxy_row_.end() ? computed : options_.proxy_table->scores[hit->second];
      for (const auto& proxy : options_.proxies) *zc++ = log1p_abs(scores.at(proxy));
    }
  }
  std::vector<double> local_ms;
  if (local_latency_) local_ms = local_latency_->predict(normalized);
  for (std::size_t r = 0; r < archs.size(); ++r) {
    double* tail = out.data() + r * width + base_width - (local_ ? 3 : 2);
    if (local_) *tail++ = std::log(local_ms[r]);
    *tail++ = std::log(std::max(mflops[r], 1e-6));
    *tail = std::log(std::max(mparams[r], 1e-6));
  }
  return out;
}

}  // namespace hwnas::predictors
