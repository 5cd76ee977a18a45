#include "hwnas/predictors/transfer/platform_calibration.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <numeric>
#include <random>
#include <unordered_set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "hwnas/core/error.h"
#include "hwnas/core/interrupt.h"
#include "hwnas/core/statistics.h"
#include "hwnas/devices/fingerprint.h"
#include "hwnas/devices/measurement_store.h"
#include "hwnas/devices/platform.h"
#include "hwnas/predictors/profiling/network_sample.h"
#include "hwnas/predictors/profiling/store_measurement.h"
#include "hwnas/predictors/sampling/samplers.h"
#include "hwnas/predictors/sampling/vae_sampler.h"
#include "hwnas/predictors/training/measured_data.h"

namespace hwnas::predictors {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

const std::vector<std::string> kTransferLeads = {"conv", "dwconv", "fc",  "avgpool", "maxpool",
                                                 "gap",  "add",    "relu", "hswish"};

std::string lead_of(const std::string& type) { return type.substr(0, type.find('-')); }

PriorSamplerOptions prior_options(const std::vector<std::string>& spaces, std::vector<std::string> types = {}) {
  PriorSamplerOptions prior;
  prior.spaces = spaces;
  prior.archs_per_space = 200;
  prior.kernel_types = std::move(types);
  return prior;
}

/// Up to `count` distinct kernels of `type`, interleaving prior, VAE and random proposals so every prefix
/// of the list mixes them (deterministic under the seed).
std::vector<KernelSample> plan_type(const std::string& type, const PlatformCalibrationOptions& options,
                                    const FusionRules& rules, std::size_t count, std::uint64_t seed) {
  std::vector<std::vector<KernelSample>> sources;
  const PriorSamplerOptions prior = prior_options(options.prior_spaces, {type});
  sources.push_back(sample_prior_kernels(prior, rules, count, seed));
  const std::string lead = lead_of(type);
  if ((lead == "conv" || lead == "dwconv" || lead == "maxpool" || lead == "avgpool") && !sources[0].empty())
    sources.push_back(sample_vae_kernels(type, prior, rules, count, seed + 1));
  RandomSamplerOptions ranges;
  ranges.hw = {4, 112};
  sources.push_back(sample_random_kernels(type, ranges, count, seed + 2));

  std::vector<KernelSample> plan;
  std::unordered_set<std::string> seen;
  for (std::size_t i = 0; plan.size() < count; ++i) {
    bool any = false;
    for (auto& source : sources)
      if (i < source.size()) {
        any = true;
        if (plan.size() < count && seen.insert(source[i].kernel.key).second) plan.push_back(std::move(source[i]));
      }
    if (!any) break;
  }
  return plan;
}

/// The measured kernels of one type, each with its stored latency.
struct TypeMeasurements {
  std::vector<KernelSample> samples;
  std::vector<double> ms;
  KernelDataset dataset(ConvDispatch dispatch) const {
    KernelDataset d;
    for (std::size_t i = 0; i < samples.size(); ++i) d.add(KernelFeatures::of(samples[i].kernel.config, dispatch), ms[i]);
    return d;
  }
};

class Calibration {
 public:
  Calibration(const KnowledgePool& pool, const PlatformCalibrationOptions& options, PlatformCalibrationReport& report)
      : pool_(pool),
        options_(options),
        report_(report),
        platform_(devices::make_platform(options.platform)),
        fingerprint_(platform_->fingerprint()),
        dispatch_(conv_dispatch_of(fingerprint_.to_json())),
        rules_(default_fusion_rules(options.platform)),
        store_(devices::MeasurementStore::open(options.database)),
        campaign_(fmt::format("calibrate-{}-seed{}", options.platform, options.seed)) {
    HWNAS_CHECK(!pool.empty(), "calibrating '{}': the knowledge pool is empty", options.platform);
    types_ = options.kernel_types.empty() ? default_calibration_kernel_types(rules_) : options.kernel_types;
    store_.begin_campaign(campaign_, fmt::format("hwnas calibrate --platform {} (seed {})", options.platform,
                                                 options.seed));
  }

  PredictorSet run() {
    const auto start = Clock::now();
    start_ = start;
    core::InterruptGuard interrupt(true);
    // Budget mode: a small first round prices a kernel on this platform, which sizes everything else.
    const bool budgeted = options_.budget_seconds > 0;
    std::size_t per_type = budgeted ? 20 : options_.samples_per_type;
    HWNAS_CHECK(per_type >= PlatformCalibrationOptions::kMinSamplesPerType,
                "calibrating '{}': at least {} samples per kernel type are needed, got {}", options_.platform,
                PlatformCalibrationOptions::kMinSamplesPerType, per_type);
    const std::size_t first =
        budgeted ? per_type
                 : std::max(PlatformCalibrationOptions::kMinSamplesPerType,
                            static_cast<std::size_t>(std::ceil(options_.first_round_share * per_type)));
    for (std::size_t t = 0; t < types_.size(); ++t) {
      // Planned generously: the adaptive round may take fewer neighbours than it leaves room for.
      plans_[types_[t]] = plan_type(types_[t], options_, rules_, 4 * std::max<std::size_t>(per_type, 100),
                                    options_.seed * 1000003 + t);
      next_[types_[t]] = 0;
    }
    for (const auto& type : types_) queue_from_plan(type, first);
    interleave_pending_by_type();
    measure_queue();
    measure_networks();
    if (budgeted) {
      const double per_kernel = report_.measured > 0 ? kernel_seconds_ / static_cast<double>(report_.measured) : 0.3;
      const double left = std::max(0.0, options_.budget_seconds - seconds_since(start));
      per_type = first + static_cast<std::size_t>(left / per_kernel / static_cast<double>(types_.size()));
      // The budget may buy more than was planned: plan again, larger (queue() skips what is queued).
      for (std::size_t t = 0; t < types_.size(); ++t)
        if (plans_[types_[t]].size() < per_type)
          plans_[types_[t]] = plan_type(types_[t], options_, rules_, 2 * per_type, options_.seed * 1000003 + t);
    }
    if (!report_.interrupted && per_type > first) {
      adaptive_round(per_type - first);
      measure_queue();
    }
    return finish(start);
  }

 private:
  /// The whole networks of options_.networks_per_space, into the store under this calibration's
  /// campaign (a rerun finds them there).
  void measure_networks() {
    if (report_.interrupted || report_.budget_exhausted) return;
    std::vector<NetworkSample> networks;
    std::uint64_t seed = options_.seed * 7919;
    for (const auto& [space, count] : options_.networks_per_space) {
      auto sampled = sample_space_networks(space, count, ++seed);
      networks.insert(networks.end(), std::make_move_iterator(sampled.begin()), std::make_move_iterator(sampled.end()));
    }
    std::vector<PendingMeasurement> todo;
    for (const auto& n : networks)
      if (!store_.contains(fingerprint_.key(), kNetworkKernelType, n.key))
        todo.push_back({kNetworkKernelType, n.key, &n.graph, &options_.network_profile});
    const auto start = Clock::now();
    const StoreMeasurementRun run = measure_into_store(
        *platform_, store_, todo, campaign_, options_.seed, 4,
        [&](std::size_t done) {
          if (options_.on_progress) options_.on_progress("networks", done, todo.size());
        },
        [&] { return budget_spent(); }, options_.host_speed, &host_speed_);
    report_.profiling_seconds += seconds_since(start);
    report_.host_speed.add(run.host_speed);
    report_.interrupted = report_.interrupted || run.interrupted;
    report_.budget_exhausted = report_.budget_exhausted || run.stopped;
  }

  bool budget_spent() const { return options_.budget_seconds > 0 && seconds_since(start_) >= options_.budget_seconds; }

  /// Fits the correction of `set` on half of this calibration's measured networks and scores the other half.
  void fit_correction(PredictorSet& set) {
    const StoredPlatform platform{fingerprint_.key(), fingerprint_.to_json()};
    std::vector<MeasuredNetwork> fit, held_out;
    for (auto& net : load_measured_networks(store_, platform, rules_, {}, rows_of_campaigns({campaign_})))
      (is_correction_fit_network(net.key) ? fit : held_out).push_back(std::move(net));
    report_.networks = fit.size() + held_out.size();
    if (fit.size() < 3) return;
    report_.correction = fit_latency_correction(set, fit);
    set.set_correction(report_.correction->correction);
    std::vector<double> corrected, plain, truth;
    for (const auto& net : held_out) {
      double sum = 0;
      for (double ms : set.kernel_latencies(net.kernels)) sum += ms;
      plain.push_back(sum);
      corrected.push_back(set.predict_kernels(net.kernels));
      truth.push_back(net.measured_ms);
    }
    report_.networks_held_out = accuracy_report(corrected, truth);
    report_.networks_held_out_plain_sum = accuracy_report(plain, truth);
  }

  void queue_from_plan(const std::string& type, std::size_t count) {
    auto& plan = plans_.at(type);
    auto& next = next_.at(type);
    for (std::size_t i = 0; i < count && next < plan.size(); ++i) queue(plan[next++]);
  }

  void queue(KernelSample sample) {
    std::string key = kernel_config_json(sample.graph);
    if (!queued_keys_.insert(key).second) return;
    queued_.push_back({std::move(sample), std::move(key)});
  }

  void measure_queue() {
    std::vector<PendingMeasurement> todo;
    for (std::size_t i = measured_upto_; i < queued_.size(); ++i) {
      auto& q = queued_[i];
      if (store_.contains(fingerprint_.key(), q.sample.kernel.type, q.key))
        ++report_.reused;
      else
        todo.push_back({q.sample.kernel.type, q.key, &q.sample.graph, &options_.profile});
    }
    const auto start = Clock::now();
    const StoreMeasurementRun run =
        measure_into_store(
            *platform_, store_, todo, campaign_, options_.seed, 20,
            [&](std::size_t done) {
              if (options_.on_progress) options_.on_progress("measure", done, todo.size());
            },
            // The budget is wall time from the start: the cost per kernel priced by the first round is
            // only an estimate (larger kernels come later), so measuring also stops when it runs out.
            [&] { return budget_spent(); }, options_.host_speed, &host_speed_);
    report_.measured += run.measured;
    report_.host_speed.add(run.host_speed);
    kernel_seconds_ += seconds_since(start);
    report_.profiling_seconds += seconds_since(start);
    report_.interrupted = report_.interrupted || run.interrupted;
    report_.budget_exhausted = report_.budget_exhausted || run.stopped;
    spreads_.insert(spreads_.end(), run.spreads.begin(), run.spreads.end());
    // Whatever is stored now (measured by this run or before it) joins the data.
    for (std::size_t i = measured_upto_; i < queued_.size(); ++i) {
      const auto& q = queued_[i];
      if (const auto row = store_.find(fingerprint_.key(), q.sample.kernel.type, q.key)) {
        auto& m = measured_[q.sample.kernel.type];
        m.samples.push_back(q.sample);
        m.ms.push_back(row->median_ms);
      }
    }
    measured_upto_ = queued_.size();
  }

  /// nn-Meter's step: fine-tune on 80% of each type's measurements; every one of the other 20% predicted
  /// more than 10% off spawns neighbours, which fill up to half of the next round.
  void adaptive_round(std::size_t per_type) {
    for (std::size_t t = 0; t < types_.size(); ++t) {
      const std::string& type = types_[t];
      const auto it = measured_.find(type);
      std::size_t from_neighbours = 0;
      if (it != measured_.end() && it->second.samples.size() >= 5) {
        const TypeMeasurements& m = it->second;
        std::vector<std::size_t> order(m.samples.size());
        std::iota(order.begin(), order.end(), 0);
        std::mt19937_64 rng(options_.seed ^ devices::fnv1a64(type));
        std::shuffle(order.begin(), order.end(), rng);
        const std::size_t fit_count = order.size() * 4 / 5;
        KernelDataset fit_data;
        for (std::size_t k = 0; k < fit_count; ++k) fit_data.add(KernelFeatures::of(m.samples[order[k]].kernel.config, dispatch_), m.ms[order[k]]);
        MeasuredKernels fit_samples;
        fit_samples.platform = {fingerprint_.key(), fingerprint_.to_json()};
        fit_samples.datasets[type] = fit_data;
        fit_samples.count = fit_data.size();
        AdaptationOptions adaptation = options_.adaptation;
        adaptation.method = AdaptationMethod::kFineTune;
        const PredictorSet set = adapt_predictor_set(pool_, fit_samples, options_.platform, rules_, adaptation);
        std::vector<KernelSample> checked;
        std::vector<double> checked_ms;
        for (std::size_t k = fit_count; k < order.size(); ++k) {
          checked.push_back(m.samples[order[k]]);
          checked_ms.push_back(m.ms[order[k]]);
        }
        const auto neighbours = sample_adaptive_kernels(
            checked, checked_ms, [&](const KernelSample& s) { return set.predict_kernel(s.kernel); }, {},
            options_.seed + t);
        for (const auto& n : neighbours) {
          if (from_neighbours >= per_type / 2) break;
          const std::size_t before = queued_.size();
          queue(n);
          from_neighbours += queued_.size() - before;
        }
        report_.adaptive += from_neighbours;
      }
      queue_from_plan(type, per_type - from_neighbours);
      if (options_.on_progress) options_.on_progress("adapt", t + 1, types_.size());
    }
    interleave_pending_by_type();
  }

  /// The queue's unmeasured tail, round-robin over types (each type's own order kept), before each round
  /// is measured: a budget that runs out mid-round then leaves every type its share. Queued type by
  /// type, a 10-minute budget on opencv-cpu-t1 gave the first types 858 kernels each and the last five
  /// none beyond the first round's 20.
  void interleave_pending_by_type() {
    std::vector<std::vector<Queued>> by_type(types_.size());
    std::vector<Queued> other;
    for (std::size_t i = measured_upto_; i < queued_.size(); ++i) {
      const auto t = std::find(types_.begin(), types_.end(), queued_[i].sample.kernel.type);
      (t == types_.end() ? other : by_type[static_cast<std::size_t>(t - types_.begin())]).push_back(std::move(queued_[i]));
    }
    queued_.resize(measured_upto_);
    for (std::size_t k = 0;; ++k) {
      bool any = false;
      for (auto& list : by_type)
        if (k < list.size()) {
          queued_.push_back(std::move(list[k]));
          any = true;
        }
      if (!any) break;
    }
    for (auto& q : other) queued_.push_back(std::move(q));
  }

  MeasuredKernels measured_kernels(const std::map<std::string, KernelDataset>& datasets) const {
    MeasuredKernels out;
    out.platform = {fingerprint_.key(), fingerprint_.to_json()};
    out.campaigns = {campaign_};
    for (const auto& [type, data] : datasets) {
      if (data.empty()) continue;
      out.datasets[type] = data;
      out.count += data.size();
    }
    return out;
  }

  PredictorSet finish(Clock::time_point start) {
    std::map<std::string, KernelDataset> all, adapt, held_out;
    for (const auto& [type, m] : measured_) {
      all[type] = m.dataset(dispatch_);
      const DatasetSplit split =
          split_dataset(all[type], {1 - options_.held_out_fraction, 0.0}, options_.seed ^ devices::fnv1a64(type) ^ 1);
      adapt[type] = split.train;
      held_out[type] = split.test;
    }
    HWNAS_CHECK(!all.empty(), "calibrating '{}': nothing was measured", options_.platform);
    AdaptationOptions adaptation = options_.adaptation;
    for (AdaptationMethod method : {AdaptationMethod::kFineTune, AdaptationMethod::kScratch, AdaptationMethod::kUnchanged}) {
      adaptation.method = method;
      const PredictorSet set = adapt_predictor_set(pool_, measured_kernels(adapt), options_.platform, rules_, adaptation);
      std::vector<double> predicted, truth;
      for (const auto& [type, data] : held_out) {
        const auto p = set.regressor(type)->predict_batch(data.x);
        predicted.insert(predicted.end(), p.begin(), p.end());
        truth.insert(truth.end(), data.latency_ms.begin(), data.latency_ms.end());
      }
      report_.held_out.push_back({method, accuracy_report(predicted, truth)});
    }
    adaptation.method = AdaptationMethod::kFineTune;
    PredictorSet set = adapt_predictor_set(pool_, measured_kernels(all), options_.platform, rules_, adaptation,
                                           &report_.adaptation);
    fit_correction(set);
    report_.median_spread = core::median(spreads_);
    report_.seconds = seconds_since(start);
    return set;
  }

  struct Queued {
    KernelSample sample;
    std::string key;
  };

  const KnowledgePool& pool_;
  const PlatformCalibrationOptions& options_;
  PlatformCalibrationReport& report_;
  std::unique_ptr<devices::Platform> platform_;
  devices::PlatformFingerprint fingerprint_;
  ConvDispatch dispatch_;  ///< of the new platform: its kernels' features are computed under it
  FusionRules rules_;
  devices::MeasurementStore store_;
  std::string campaign_;
  HostSpeedTrack host_speed_;  ///< the host's fastest speed, across every measuring call
  std::vector<std::string> types_;
  std::map<std::string, std::vector<KernelSample>> plans_;
  std::map<std::string, std::size_t> next_;
  std::vector<Queued> queued_;  // in measuring order; pending measurements point into it
  std::unordered_set<std::string> queued_keys_;
  std::size_t measured_upto_ = 0;
  std::map<std::string, TypeMeasurements> measured_;
  std::vector<double> spreads_;
  double kernel_seconds_ = 0;  // profiling time of kernels alone: what prices a kernel under a budget
  Clock::time_point start_ = Clock::now();
};

}  // namespace

std::vector<std::string> default_calibration_kernel_types(const FusionRules& rules) {
  std::vector<std::string> types;
  for (const auto& lead : kTransferLeads) {
    // conv and dwconv run with the bn (and activation) their networks put after them, as one kernel when
    // the platform fuses them.
    std::vector<std::string> fused;
    if (lead == "conv" || lead == "dwconv")
      for (FusionPattern pattern : {FusionPattern{lead, "bn", "relu"}, FusionPattern{lead, "bn"}})
        if (rules.matches(pattern)) fused.push_back(fmt::format("{}", fmt::join(pattern, "-")));
    if (fused.empty()) fused.push_back(lead);
    types.insert(types.end(), fused.begin(), fused.end());
  }
  if (!rules.matches({"conv", "bn"})) types.push_back("bn");
  return types;
}

PredictorSet calibrate_platform(const KnowledgePool& pool, const PlatformCalibrationOptions& options,
                                PlatformCalibrationReport* report) {
  PlatformCalibrationReport local;
  PlatformCalibrationReport& out = report ? *report : local;
  out = {};
  return Calibration(pool, options, out).run();
}

}  // namespace hwnas::predictors
