#include "hwnas/predictors/profiling/store_recheck.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <random>
#include <tuple>

#include "hwnas/core/error.h"
#include "hwnas/core/statistics.h"
#include "hwnas/predictors/profiling/network_sample.h"
#include "hwnas/predictors/sampling/kernel_sample.h"

namespace hwnas::predictors {
namespace {

RecheckAgreement agreement(const std::vector<const RecheckedKernel*>& kernels, double min_latency_ms) {
  RecheckAgreement out;
  std::vector<double> ratios;
  std::size_t ok5 = 0, ok10 = 0;
  for (const RecheckedKernel* k : kernels) {
    if (std::min(k->stored_ms, k->now_ms) < min_latency_ms) continue;
    ratios.push_back(k->now_ms / k->stored_ms);
    const double diff = std::abs(k->now_ms - k->stored_ms) / std::min(k->now_ms, k->stored_ms);
    ok5 += diff <= 0.05;
    ok10 += diff <= 0.10;
  }
  out.counted = ratios.size();
  if (out.counted == 0) return out;
  out.median_ratio = core::median(ratios);
  out.within_5 = static_cast<double>(ok5) / static_cast<double>(out.counted);
  out.within_10 = static_cast<double>(ok10) / static_cast<double>(out.counted);
  return out;
}

}  // namespace

StoreRecheckReport recheck_store(devices::Platform& platform, const devices::MeasurementStore& store,
                                 const StoreRecheckOptions& options, const devices::ProgressCallback& progress) {
  const auto start = std::chrono::steady_clock::now();
  const devices::PlatformFingerprint fingerprint = platform.fingerprint();
  std::map<std::string, std::vector<devices::StoredMeasurement>> by_campaign;
  for (auto& row : store.query({.platform_key = fingerprint.key()}))
    if (row.kernel_type != kNetworkKernelType) by_campaign[row.campaign].push_back(std::move(row));
  if (by_campaign.empty())
    fail("{}: no kernel measured on {} as it is now ({}); `hwnas profile` measures some, and a store from another "
         "host, library or thread count cannot be rechecked here",
         store.path().string(), platform.name(), fingerprint.key());

  // The same draw for the same store and seed: rows in key order, then a seeded shuffle per campaign.
  StoreRecheckReport report;
  std::vector<core::Graph> graphs;
  std::mt19937_64 rng(options.seed);
  for (auto& [campaign, rows] : by_campaign) {
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
      return std::tie(a.kernel_type, a.config_key) < std::tie(b.kernel_type, b.config_key);
    });
    std::shuffle(rows.begin(), rows.end(), rng);
    rows.resize(std::min(rows.size(), options.samples_per_campaign));
    for (const auto& row : rows) {
      graphs.push_back(kernel_from_config_json(row.kernel_type, row.config_key).graph);
      report.kernels.push_back({campaign, row.kernel_type, row.config_key, row.median_ms, 0, 0});
    }
  }
  // One interleaved pass over all campaigns' kernels, so they share the host's state of the moment.
  const auto measured = devices::measure_interleaved(platform, graphs, options.profile, progress);
  std::map<std::string, std::vector<const RecheckedKernel*>> groups;
  std::vector<const RecheckedKernel*> all;
  for (std::size_t i = 0; i < measured.size(); ++i) {
    report.kernels[i].now_ms = measured[i].median_ms;
    report.kernels[i].now_spread = measured[i].spread;
    groups[report.kernels[i].campaign].push_back(&report.kernels[i]);
    all.push_back(&report.kernels[i]);
  }
  report.all = agreement(all, options.min_latency_ms);
  for (const auto& [campaign, kernels] : groups) report.by_campaign[campaign] = agreement(kernels, options.min_latency_ms);
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace hwnas::predictors
