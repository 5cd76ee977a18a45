#include "hwnas/predictors/profiling/campaign.h"

#include <algorithm>
#include <chrono>
#include <unordered_set>

#include "hwnas/core/error.h"
#include "hwnas/core/interrupt.h"
#include "hwnas/core/statistics.h"
#include "hwnas/devices/measurement_store.h"
#include "hwnas/devices/platform.h"
#include "hwnas/devices/profiler.h"
#include "hwnas/predictors/profiling/store_measurement.h"
#include "hwnas/predictors/sampling/kernel_sample.h"
#include "hwnas/predictors/sampling/vae_sampler.h"

namespace hwnas::predictors {

FusionRules campaign_fusion_rules(const CampaignSpec& spec) {
  if (spec.fusion_rules.empty()) return default_fusion_rules(spec.platform);
  FusionRules rules = load_fusion_rules(spec.fusion_rules);
  if (rules.platform != spec.platform)
    fail("campaign '{}' is for platform '{}' but its fusion rules {} are for '{}'", spec.name, spec.platform,
         spec.fusion_rules.string(), rules.platform);
  return rules;
}

std::vector<KernelSample> plan_campaign(const CampaignSpec& spec) {
  const FusionRules rules = campaign_fusion_rules(spec);
  std::vector<KernelSample> plan;
  std::unordered_set<std::string> seen;
  auto add = [&](std::vector<KernelSample> samples) {
    for (auto& s : samples)
      if (seen.insert(s.kernel.key).second) plan.push_back(std::move(s));
  };
  // Each sampler gets its own seed per kernel type, so adding a type never changes another's kernels.
  std::uint64_t type_seed = spec.seed;
  for (const auto& quota : spec.kernels) {
    type_seed = type_seed * 6364136223846793005ull + 1442695040888963407ull;
    // The spaces may hold fewer distinct kernels of a type than asked (NB201 has three resolutions):
    // the random sampler makes up the difference, so every type gets the count it asked for.
    std::size_t shortfall = 0;
    if (quota.prior > 0) {
      PriorSamplerOptions prior = spec.prior;
      if (quota.type != "*") prior.kernel_types = {quota.type};
      auto found = sample_prior_kernels(prior, rules, quota.prior, type_seed);
      if (quota.type != "*") shortfall = quota.prior - found.size();
      add(std::move(found));
    }
    if (quota.random > 0 && quota.type == "*") fail("campaign '{}': type '*' can only be sampled from the prior", spec.name);
    if (quota.random + shortfall > 0) add(sample_random_kernels(quota.type, spec.random, quota.random + shortfall, type_seed + 1));
    if (quota.vae > 0) {
      // The VAE reproduces the prior's configs as well as new ones: ask for enough to find `vae` kernels
      // the prior and random samplers have not planned already.
      const auto planned = static_cast<std::size_t>(
          std::count_if(plan.begin(), plan.end(), [&](const KernelSample& s) { return s.kernel.type == quota.type; }));
      std::size_t added = 0;
      for (auto& s : sample_vae_kernels(quota.type, spec.prior, rules, quota.vae + planned, type_seed + 2, spec.vae)) {
        if (added == quota.vae) break;
        if (seen.insert(s.kernel.key).second) {
          plan.push_back(std::move(s));
          ++added;
        }
      }
    }
  }
  return plan;
}

std::vector<NetworkSample> plan_campaign_networks(const CampaignSpec& spec) {
  std::vector<NetworkSample> plan;
  std::unordered_set<std::string> seen;
  auto add = [&](std::vector<NetworkSample> networks) {
    for (auto& n : networks)
      if (seen.insert(n.key).second) plan.push_back(std::move(n));
  };
  std::uint64_t space_seed = spec.seed;
  for (const auto& [space, count] : spec.networks.spaces) {
    space_seed = space_seed * 6364136223846793005ull + 1442695040888963407ull;
    add(sample_space_networks(space, count, space_seed));
  }
  for (const auto& dir : spec.networks.graph_dirs) add(graph_networks(dir));
  return plan;
}

CampaignReport run_campaign(const CampaignSpec& spec, const CampaignRunOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  auto platform = devices::make_platform(spec.platform);
  const auto fingerprint = platform->fingerprint();
  auto store = devices::MeasurementStore::open(spec.database);
  store.begin_campaign(spec.name, spec.source_text);

  const std::vector<KernelSample> kernels = plan_campaign(spec);
  const std::vector<NetworkSample> networks = plan_campaign_networks(spec);
  std::vector<PendingMeasurement> todo;
  auto plan = [&](std::string type, std::string key, const core::Graph& graph, const devices::ProfileOptions& profile) {
    const auto stored = store.find(fingerprint.key(), type, key);
    if (!stored || (options.remeasure_before && stored->timestamp_unix < *options.remeasure_before))
      todo.push_back({std::move(type), std::move(key), &graph, &profile});
  };
  for (const auto& sample : kernels) plan(sample.kernel.type, kernel_config_json(sample.graph), sample.graph, spec.profile);
  for (const auto& network : networks) plan(kNetworkKernelType, network.key, network.graph, spec.networks.profile);

  CampaignReport report;
  report.progress.planned = kernels.size() + networks.size();
  report.progress.already_measured = report.progress.planned - todo.size();
  report.progress.to_measure = todo.size();
  core::InterruptGuard interrupt(options.handle_signals);
  // A chunk never mixes kernels and networks: each kind has its own profiler settings.
  StoreMeasurementRun run = measure_into_store(*platform, store, todo, spec.name, spec.seed, spec.chunk, [&](std::size_t measured) {
    report.progress.measured = measured;
    report.progress.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (options.on_progress) options.on_progress(report.progress);
  }, {}, spec.host_speed);
  report.interrupted = run.interrupted;
  report.unstable = run.unstable;
  report.host_speed = run.host_speed;
  report.progress.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  report.median_spread = core::median(std::move(run.spreads));
  return report;
}

}  // namespace hwnas::predictors
