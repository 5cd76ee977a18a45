// Kernel-level transfer to a new platform (LitePred), against training from scratch and against the
// most similar known platform's predictors unchanged.
//
//   transfer_bench [--platforms p1,p2,...] [--samples 20,50,100,200] [--per-type]
//
// Each platform with a shipped measurement store is taken in turn as the new one; the knowledge pool is
// the shipped predictor sets of the others (trained on their full stores by `hwnas train`). The new
// platform's measured kernels are split per type, seeded: 30% held out for scoring, the rest is where
// the N adaptation samples per type are drawn from (the same draw for every method). Printed per
// platform and N: the kernel share within ±10%, MAPE and RMSE on the held-out kernels, and the whole-
// network share within ±10% on the platform's measured networks (the per-model correction fitted on
// one half, is_correction_fit_network(), and scored on the other), for fine-tuned, from-scratch and
// unchanged; and scratch on every available sample ("all") as the reference. --per-type adds each kernel
// type's accuracy, the fitted correction and each network group's accuracy, printed above the row they
// belong to.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "hwnas/core/data_dir.h"
#include "hwnas/core/error.h"
#include "hwnas/devices/fingerprint.h"
#include "hwnas/devices/measurement_store.h"
#include "hwnas/predictors/predictor_sets.h"
#include "hwnas/predictors/profiling/campaign.h"
#include "hwnas/predictors/profiling/network_sample.h"
#include "hwnas/predictors/sampling/kernel_sample.h"
#include "hwnas/predictors/regressors/accuracy.h"
#include "hwnas/predictors/training/latency_correction_fit.h"
#include "hwnas/predictors/transfer/platform_adaptation.h"

using namespace hwnas;
using namespace hwnas::predictors;

namespace {

constexpr double kHeldOut = 0.3;
// The kernel types every platform's transfer campaign measures (by leading op; fused variants count):
// the conv / dwconv / linear / pool / elementwise set.
const std::set<std::string> kTransferTypes = {"conv", "dwconv", "fc", "avgpool", "maxpool", "gap",
                                              "add", "relu", "hswish", "bn"};

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream stream(text);
  for (std::string item; std::getline(stream, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

struct TargetData {
  MeasuredKernels adaptation_pool;  // per type: shuffled, so the first N are a seeded random draw
  std::map<std::string, KernelDataset> held_out;
  std::vector<MeasuredNetwork> networks;
};

/// The rows the platform's transfer campaign plans, whichever campaign measured them first (on
/// libtorch-cpu-t1 many were already in the store): every platform is scored on the same kind of data.
MeasurementFilter planned_by_transfer_campaign(const std::string& platform) {
  std::string file = platform;
  std::replace(file.begin(), file.end(), '-', '_');
  const CampaignSpec spec = load_campaign(core::data_dir().parent_path() / "configs" / ("campaign_transfer_" + file + ".yaml"));
  auto keys = std::make_shared<std::set<std::string>>();
  for (const auto& sample : plan_campaign(spec)) keys->insert(kernel_config_json(sample.graph));
  for (const auto& network : plan_campaign_networks(spec)) keys->insert(network.key);
  return [keys](const devices::StoredMeasurement& row) { return keys->contains(row.config_key); };
}

TargetData load_target(const std::string& platform, const FusionRules& rules) {
  const auto store = devices::MeasurementStore::open(shipped_measurement_store(platform), /*create_if_missing=*/false);
  TargetData data;
  const StoredPlatform stored = find_stored_platform(store, platform);
  const MeasurementFilter planned = planned_by_transfer_campaign(platform);
  const MeasuredKernels all = load_measured_kernels(store, stored, planned);
  data.adaptation_pool.platform = all.platform;
  data.adaptation_pool.campaigns = all.campaigns;
  for (const auto& [type, dataset] : all.datasets) {
    if (!kTransferTypes.contains(type.substr(0, type.find('-')))) continue;
    if (dataset.size() < 40) continue;  // too few to hold any out and still adapt
    // test = held out; train + validation = the adaptation draw order (split_dataset shuffles).
    const DatasetSplit split = split_dataset(dataset, {1 - kHeldOut, 0}, devices::fnv1a64(type) ^ 7);
    data.adaptation_pool.datasets[type] = split.train;
    data.adaptation_pool.count += split.train.size();
    data.held_out[type] = split.test;
  }
  data.networks = load_measured_networks(store, stored, rules, shipped_network_graph_dirs(), planned);
  return data;
}

MeasuredKernels first_n(const MeasuredKernels& pool, std::size_t n) {
  MeasuredKernels out;
  out.platform = pool.platform;
  out.campaigns = pool.campaigns;
  for (const auto& [type, data] : pool.datasets) {
    std::vector<std::size_t> rows(std::min(n, data.size()));
    std::iota(rows.begin(), rows.end(), 0);
    out.datasets[type] = data.subset(rows);
    out.count += rows.size();
  }
  return out;
}

struct Scores {
  AccuracyReport kernels, networks;
  double seconds = 0;
};

Scores score(PredictorSet& set, const TargetData& target, bool per_type) {
  Scores s;
  std::vector<double> predicted, truth;
  for (const auto& [type, data] : target.held_out) {
    const auto p = set.regressor(type)->predict_batch(data.x);
    predicted.insert(predicted.end(), p.begin(), p.end());
    truth.insert(truth.end(), data.latency_ms.begin(), data.latency_ms.end());
  }
  s.kernels = accuracy_report(predicted, truth);
  if (per_type) {
    std::size_t at = 0;
    for (const auto& [type, data] : target.held_out) {
      const auto r = accuracy_report(std::span(predicted).subspan(at, data.size()), std::span(truth).subspan(at, data.size()));
      fmt::print("    {:<10} {}\n", type, r.to_string());
      at += data.size();
    }
  }
  std::vector<MeasuredNetwork> fit;
  for (const auto& net : target.networks)
    if (is_correction_fit_network(net.key)) fit.push_back(net);
  if (fit.size() >= 3) set.set_correction(fit_latency_correction(set, fit).correction);
  predicted.clear();
  truth.clear();
  std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> groups;  // predicted, measured
  for (const auto& net : target.networks) {
    if (is_correction_fit_network(net.key)) continue;
    predicted.push_back(set.predict_kernels(net.kernels));
    truth.push_back(net.measured_ms);
    groups[net.group].first.push_back(predicted.back());
    groups[net.group].second.push_back(truth.back());
  }
  s.networks = accuracy_report(predicted, truth);
  if (per_type) {
    if (const auto& c = set.correction())
      fmt::print("    networks: correction {}\n", to_string(*c));
    for (const auto& [group, values] : groups)
      fmt::print("    {:<10} {}\n", group, accuracy_report(values.first, values.second).to_string());
  }
  return s;
}

void print_row(const std::string& label, std::size_t samples, const Scores& s) {
  fmt::print("  {:<10} {:>7} {:>8.1f}% {:>7.1f}% {:>9.4f} {:>8.1f}% {:>6} {:>7.1f}s\n", label, samples,
             100 * s.kernels.within_10, 100 * s.kernels.mape, s.kernels.rmse_ms, 100 * s.networks.within_10,
             s.networks.count, s.seconds);
}

void bench_platform(const std::string& target, const std::vector<std::string>& known,
                    const std::vector<std::size_t>& sample_counts, bool per_type) {
  KnowledgePool pool;
  for (const auto& name : known)
    if (name != target) pool.push_back(PredictorSet::load(predictor_set_path(name)));
  std::string pool_names;
  for (const auto& set : pool) pool_names += (pool_names.empty() ? "" : ", ") + set.platform();
  const FusionRules rules = default_fusion_rules(target);
  const TargetData data = load_target(target, rules);
  std::size_t held_out = 0;
  for (const auto& [type, d] : data.held_out) held_out += d.size();
  fmt::print("\n{} as the new platform; pool: {}; {} types, {} held-out kernels, {} networks\n", target, pool_names,
             data.held_out.size(), held_out, data.networks.size());
  fmt::print("  {:<10} {:>7} {:>9} {:>8} {:>9} {:>9} {:>6} {:>8}\n", "method", "samples", "kern±10%", "MAPE",
             "RMSE ms", "net±10%", "nets", "train");

  const auto run = [&](const MeasuredKernels& samples, AdaptationMethod method, AdaptationReport* report = nullptr) {
    AdaptationOptions options;
    options.method = method;
    const auto start = std::chrono::steady_clock::now();
    PredictorSet set = adapt_predictor_set(pool, samples, target, rules, options, report);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    Scores s = score(set, data, per_type);
    s.seconds = seconds;
    return s;
  };
  for (std::size_t n : sample_counts) {
    const MeasuredKernels samples = first_n(data.adaptation_pool, n);
    AdaptationReport report;
    print_row(fmt::format("fine-tune"), samples.count, run(samples, AdaptationMethod::kFineTune, &report));
    print_row("scratch", samples.count, run(samples, AdaptationMethod::kScratch));
    print_row("unchanged", samples.count, run(samples, AdaptationMethod::kUnchanged));
    std::string sources;
    for (const auto& t : report.types)
      sources += fmt::format(" {}←{}:{}", t.type, t.ranking.front().platform, t.ranking.front().serving_type);
    fmt::print("  sources (N={}):{}\n", n, sources);
  }
  print_row("scratch:all", data.adaptation_pool.count, run(data.adaptation_pool, AdaptationMethod::kScratch));
}

}  // namespace

int main(int argc, char** argv) try {
  std::vector<std::string> platforms = {"libtorch-cpu-t1", "libtorch-cpu-t2", "torchscript-cpu-t1", "opencv-cpu-t1"};
  std::vector<std::size_t> samples = {20, 50, 100, 200};
  bool per_type = false;
  for (int i = 1; i < argc; i += 2) {
    if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
      fmt::print("usage: transfer_bench [--platforms p1,p2,...] [--samples 20,50,100,200] [--per-type]\n"
                 "Each platform with a shipped store as the new one, the others' shipped sets as the pool:\n"
                 "fine-tuned vs from scratch vs the nearest platform unchanged (see bench/transfer_bench.cpp).\n");
      return 0;
    }
    if (!std::strcmp(argv[i], "--per-type")) {
      per_type = true;
      --i;
    } else if (i + 1 >= argc) {
      fail("option '{}' needs a value", argv[i]);
    } else if (!std::strcmp(argv[i], "--platforms")) {
      platforms = split_list(argv[i + 1]);
    } else if (!std::strcmp(argv[i], "--samples")) {
      samples.clear();
      for (const auto& s : split_list(argv[i + 1])) {
        const auto n = s.find_first_not_of("0123456789") == std::string::npos ? std::stoul(s) : 0;
        if (n == 0) fail("--samples '{}': expected positive counts separated by commas, e.g. 20,50,100", argv[i + 1]);
        samples.push_back(n);
      }
    } else {
      fail("unknown option '{}' (valid: --platforms LIST, --samples LIST, --per-type)", argv[i]);
    }
  }
  std::vector<std::string> known;
  for (const auto& p : platforms)
    if (std::filesystem::exists(shipped_measurement_store(p))) known.push_back(p);
  fmt::print("transfer_bench: platforms with a shipped store: {}\n", fmt::join(known, ", "));
  for (const auto& target : known) bench_platform(target, known, samples, per_type);
  return 0;
} catch (const std::exception& e) {
  fmt::print(stderr, "transfer_bench: {}\n", e.what());
  return 1;
}
