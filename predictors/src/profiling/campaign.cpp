#include "hwnas/predictors/profiling/campaign.h"

#include <algorithm>
#include <chrono>
#include <unordered_set>

#include "hwnas/core/error.h"
#include "hwnas/core/interrupt.h"
#include "hwnas/devices/measurement_store.h"
#include "hwnas/devices/platform.h"
#include "hwnas/devices/profiler.h"
#include "hwnas/predictors/sampling/kernel_sample.h"

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
  }
  return plan;
}

CampaignReport run_campaign(const CampaignSpec& spec, const CampaignRunOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  auto platform = devices::make_platform(spec.platform);
  const auto fingerprint = platform->fingerprint();
  auto store = devices::MeasurementStore::open(spec.database);
  store.begin_campaign(spec.name, spec.source_text);

  const std::vector<KernelSample> plan = plan_campaign(spec);
  std::vector<const KernelSample*> todo;
  std::vector<std::string> config_json;
  for (const auto& sample : plan) {
    std::string json = kernel_config_json(sample.graph);
    if (store.contains(fingerprint.key(), sample.kernel.type, json)) continue;
    todo.push_back(&sample);
    config_json.push_back(std::move(json));
  }

  CampaignReport report;
  report.progress.planned = plan.size();
  report.progress.already_measured = plan.size() - todo.size();
  report.progress.to_measure = todo.size();
  core::InterruptGuard interrupt(options.handle_signals);
  std::vector<double> spreads;
  const std::size_t chunk = std::max<std::size_t>(1, spec.chunk);
  for (std::size_t begin = 0; begin < todo.size(); begin += chunk) {
    if (core::InterruptGuard::requested()) {
      report.interrupted = true;
      break;
    }
    const std::size_t end = std::min(todo.size(), begin + chunk);
    std::vector<core::Graph> graphs;
    for (std::size_t i = begin; i < end; ++i) graphs.push_back(todo[i]->graph);
    devices::ProfileOptions profile = spec.profile;
    profile.seed = spec.seed + begin;  // a different block order per chunk, the same on a resume
    const auto measurements = devices::measure_interleaved(*platform, graphs, profile);

    std::vector<devices::StoredMeasurement> rows;
    for (std::size_t i = begin; i < end; ++i) {
      const devices::Measurement& m = measurements[i - begin];
      devices::StoredMeasurement row;
      row.platform_key = fingerprint.key();
      row.platform_json = fingerprint.to_json();
      row.kernel_type = todo[i]->kernel.type;
      row.config_key = config_json[i];
      row.campaign = spec.name;
      row.median_ms = m.median_ms;
      row.spread = m.spread;
      row.repeats = m.repeats;
      row.min_ms = std::min(m.min_ms, m.median_ms);
      row.mean_ms = m.mean_ms;
      rows.push_back(std::move(row));
      spreads.push_back(m.spread);
      report.unstable += m.stable ? 0 : 1;
    }
    store.put_batch(rows);  // one transaction per chunk: a kill loses at most this chunk's work
    report.progress.measured = end;
    report.progress.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (options.on_progress) options.on_progress(report.progress);
  }
  report.progress.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!spreads.empty()) {
    std::nth_element(spreads.begin(), spreads.begin() + static_cast<std::ptrdiff_t>(spreads.size() / 2), spreads.end());
    report.median_spread = spreads[spreads.size() / 2];
  }
  return report;
}

}  // namespace hwnas::predictors
