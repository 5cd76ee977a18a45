#include "hwnas/predictors/sampling/samplers.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <unordered_set>

#include "hwnas/core/error.h"
#include "hwnas/predictors/sampling/kernel_builder.h"

namespace hwnas::predictors {
namespace {

std::int64_t log_uniform(const IntRange& range, SamplerRng& rng) {
  HWNAS_CHECK(range.min >= 1 && range.max >= range.min, "bad sampling range [{}, {}]", range.min, range.max);
  std::uniform_real_distribution<double> u(std::log(static_cast<double>(range.min)),
                                           std::log(static_cast<double>(range.max) + 1.0));
  return std::clamp(static_cast<std::int64_t>(std::exp(u(rng))), range.min, range.max);
}

/// Networks use channel counts in multiples of 8 once past the stem; keep small counts exact, and
/// never leave the declared range.
std::int64_t round_channels(std::int64_t c, const IntRange& range) {
  const std::int64_t rounded = (c + 4) / 8 * 8;
  return c <= 16 || rounded < range.min || rounded > range.max ? c : rounded;
}

template <typename T>
T pick(const std::vector<T>& values, SamplerRng& rng) {
  HWNAS_CHECK(!values.empty(), "a sampling choice list is empty");
  return values[std::uniform_int_distribution<std::size_t>(0, values.size() - 1)(rng)];
}

std::string leading_token(const std::string& type) { return type.substr(0, type.find('-')); }

}  // namespace

std::vector<KernelSample> sample_prior_kernels(const PriorSamplerOptions& options, const FusionRules& rules,
                                               std::size_t count, std::uint64_t seed) {
  SamplerRng rng(seed);
  std::vector<KernelSample> found;
  std::unordered_set<std::string> seen;
  for (std::size_t s = 0; s < options.spaces.size(); ++s) {
    const auto space = spaces::make_space(options.spaces[s], s < options.space_options.size()
                                                                 ? options.space_options[s]
                                                                 : spaces::SpaceOptions{});
    for (int a = 0; a < options.archs_per_space; ++a) {
      for (auto& sample : unique_kernels(space->to_graph(space->sample(rng)), rules)) {
        const auto& types = options.kernel_types;
        if (!types.empty() && std::find(types.begin(), types.end(), sample.kernel.type) == types.end()) continue;
        if (seen.insert(sample.kernel.key).second) found.push_back(std::move(sample));
      }
    }
  }
  if (found.size() <= count) return found;
  // A uniform subset, kept in order of first appearance so the result reads naturally.
  std::vector<std::size_t> order(found.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  order.resize(count);
  std::sort(order.begin(), order.end());
  std::vector<KernelSample> subset;
  for (std::size_t i : order) subset.push_back(std::move(found[i]));
  return subset;
}

std::vector<KernelSample> sample_random_kernels(const std::string& type, const RandomSamplerOptions& options,
                                                std::size_t count, std::uint64_t seed) {
  SamplerRng rng(seed);
  const std::string lead = leading_token(type);
  const bool pool = lead == "maxpool" || lead == "avgpool";
  const bool sequence = lead == "ln" || lead == "matmul";
  std::vector<KernelSample> out;
  std::unordered_set<std::string> seen;
  // Small ranges can hold fewer than `count` distinct configs: stop after enough fruitless draws.
  for (std::size_t attempts = 0; out.size() < count && attempts < 50 * count + 100; ++attempts) {
    KernelConfig c;
    c.cin = round_channels(log_uniform(options.cin, rng), options.cin);
    c.cout = round_channels(log_uniform(options.cout, rng), options.cout);
    if (sequence) {
      c.seq_len = log_uniform(options.seq_len, rng);
      c.groups = lead == "matmul" ? pick(std::vector<std::int64_t>{1, 3, 4, 6, 8, 12}, rng) : 0;
    } else if (lead == "fc") {
      c.h = 0;
      if (options.fc_rows.max > 1) {
        const std::int64_t rows = log_uniform(options.fc_rows, rng);
        c.seq_len = rows > 1 ? rows : 0;
      }
    } else {
      c.h = c.w = log_uniform(options.hw, rng);
      c.kernel = pool ? pick(options.pool_kernels, rng) : pick(options.kernels, rng);
      c.stride = pick(options.strides, rng);
      if (c.kernel > c.h) continue;
      if (lead == "shuffle" || type.find("shuffle") != std::string::npos) {
        c.groups = 2;
        if (c.cin % 2) continue;
      }
    }
    KernelSample sample = build_kernel(type, c);
    if (seen.insert(sample.kernel.key).second) out.push_back(std::move(sample));
  }
  return out;
}

std::vector<KernelSample> sample_adaptive_kernels(const std::vector<KernelSample>& measured,
                                                  const std::vector<double>& measured_ms,
                                                  const KernelLatencyFn& predict, const AdaptiveSamplerOptions& options,
                                                  std::uint64_t seed) {
  HWNAS_CHECK(measured.size() == measured_ms.size(), "adaptive sampler: {} samples but {} latencies", measured.size(),
              measured_ms.size());
  SamplerRng rng(seed);
  std::unordered_set<std::string> seen;
  for (const auto& s : measured) seen.insert(s.kernel.key);
  std::vector<KernelSample> out;
  for (std::size_t i = 0; i < measured.size(); ++i) {
    const double truth = measured_ms[i];
    if (!(truth > 0)) continue;
    if (std::abs(predict(measured[i]) - truth) / truth <= options.error_threshold) continue;
    const KernelSample& base = measured[i];
    const std::string lead = leading_token(base.kernel.type);
    for (int n = 0; n < options.neighbours; ++n) {
      KernelConfig c = base.kernel.config;  // keeps HW, K, S (and sequence length)
      auto near = [&](std::int64_t v) {
        const auto lo = std::max<std::int64_t>(1, v / 2);
        const auto hi = std::max<std::int64_t>(lo, static_cast<std::int64_t>(1.2 * static_cast<double>(v)) - 1);
        return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
      };
      c.cin = near(c.cin);
      c.cout = lead == "dwconv" ? c.cin : near(c.cout);
      if (c.groups > 1 && lead != "dwconv" && lead != "matmul") {  // grouped convs need divisible channels
        c.cin = c.cin / c.groups * c.groups;
        c.cout = c.cout / c.groups * c.groups;
      }
      if (c.cin < 1 || c.cout < 1) continue;
      KernelSample sample = build_kernel(base.kernel.type, c);
      if (seen.insert(sample.kernel.key).second) out.push_back(std::move(sample));
    }
  }
  return out;
}

}  // namespace hwnas::predictors
