#include "hwnas/predictors/transfer/platform_similarity.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "hwnas/core/error.h"

namespace hwnas::predictors {
namespace {

double checked_sum(std::span<const double> v, const char* which) {
  double sum = 0;
  for (double x : v) {
    HWNAS_CHECK(std::isfinite(x) && x > 0, "latency distribution: the {} vector holds {}, not a positive latency",
                which, x);
    sum += x;
  }
  return sum;
}

}  // namespace

double latency_distribution_kl(std::span<const double> p, std::span<const double> q) {
  HWNAS_CHECK(!p.empty() && p.size() == q.size(), "latency distribution: {} predicted vs {} measured values",
              p.size(), q.size());
  const double p_sum = checked_sum(p, "predicted"), q_sum = checked_sum(q, "measured");
  double kl = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const double pi = p[i] / p_sum, qi = q[i] / q_sum;
    kl += pi * std::log(pi / qi);
  }
  return std::max(kl, 0.0);  // rounding can leave -1e-17 for identical distributions
}

std::pair<const KernelRegressor*, std::string> serving_regressor(const PredictorSet& set,
                                                                 const std::string& kernel_type) {
  const std::string serving = set.serving_type(kernel_type);
  const KernelRegressor* regressor = serving == "<fallback>" ? set.fallback() : set.regressor(serving);
  HWNAS_ASSERT(regressor != nullptr, "set '{}' names '{}' as serving '{}' but has no such regressor", set.platform(),
               serving, kernel_type);
  return {regressor, serving};
}

std::vector<SourceCandidate> rank_sources(const KnowledgePool& pool, const std::string& kernel_type,
                                          const KernelDataset& measured) {
  HWNAS_CHECK(!measured.empty(), "similarity of '{}': no measured kernels to compare the pool on", kernel_type);
  std::vector<SourceCandidate> ranking;
  for (std::size_t i = 0; i < pool.size(); ++i) {
    std::pair<const KernelRegressor*, std::string> source;
    try {
      source = serving_regressor(pool[i], kernel_type);
    } catch (const Error&) {
      continue;  // this set has neither a regressor for the type nor a fallback
    }
    const std::vector<double> predicted = source.first->predict_batch(measured.x);
    ranking.push_back({i, pool[i].platform(), source.second, latency_distribution_kl(predicted, measured.latency_ms)});
  }
  HWNAS_CHECK(!ranking.empty(), "no platform of the knowledge pool ({} sets) can predict kernel type '{}'",
              pool.size(), kernel_type);
  // Lowest divergence first (LitePred's code sorts descending: the bug this fixes); ties by pool order.
  std::stable_sort(ranking.begin(), ranking.end(),
                   [](const SourceCandidate& a, const SourceCandidate& b) { return a.kl < b.kl; });
  return ranking;
}

}  // namespace hwnas::predictors
