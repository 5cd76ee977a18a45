#include "hwnas/predictors/training/measured_data.h"

#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "hwnas/core/data_dir.h"
#include "hwnas/core/error.h"
#include "hwnas/devices/fingerprint.h"
#include "hwnas/predictors/kernels/decomposer.h"
#include "hwnas/predictors/kernels/kernel_features.h"
#include "hwnas/predictors/profiling/network_sample.h"
#include "hwnas/predictors/sampling/kernel_sample.h"

namespace hwnas::predictors {

std::filesystem::path shipped_measurement_store(const std::string& platform) {
  return core::data_dir() / "measurements" / (platform + ".db");
}

std::vector<std::filesystem::path> shipped_network_graph_dirs() { return {core::data_dir() / "networks" / "zoo"}; }

StoredPlatform find_stored_platform(const devices::MeasurementStore& store, const std::string& platform) {
  std::map<std::string, std::string> fingerprints;  // key -> json, of rows matching `platform`
  std::set<std::string> names;
  for (const auto& row : store.query()) {
    names.insert(row.platform_key.substr(0, row.platform_key.find('|')));
    if (row.platform_key == platform || row.platform_key.rfind(platform + "|", 0) == 0)
      fingerprints.emplace(row.platform_key, row.platform_json);
  }
  if (fingerprints.empty())
    fail("{} holds no measurement of platform '{}' (it has: {})", store.path().string(), platform,
         names.empty() ? "nothing" : fmt::format("{}", fmt::join(names, ", ")));
  if (fingerprints.size() > 1) {
    std::vector<std::string> keys;
    for (const auto& [key, json] : fingerprints) keys.push_back("'" + key + "'");
    fail("{} holds measurements of '{}' from {} hosts or builds; pass one full fingerprint key: {}",
         store.path().string(), platform, keys.size(), fmt::join(keys, ", "));
  }
  return {fingerprints.begin()->first, fingerprints.begin()->second};
}

MeasuredKernels load_measured_kernels(const devices::MeasurementStore& store, const StoredPlatform& platform,
                                      const MeasurementFilter& keep) {
  MeasuredKernels out;
  out.platform = platform;
  const ConvDispatch dispatch = conv_dispatch_of(platform.fingerprint_json);
  std::set<std::string> campaigns;
  devices::MeasurementQuery query;
  query.platform_key = platform.key;
  for (const auto& row : store.query(query)) {
    if (row.kernel_type == kNetworkKernelType || (keep && !keep(row))) continue;
    KernelSample sample;
    try {
      sample = kernel_from_config_json(row.kernel_type, row.config_key);
    } catch (const Error& e) {
      fail("{}: stored '{}' kernel of campaign '{}' does not rebuild: {}", store.path().string(), row.kernel_type,
           row.campaign, e.what());
    }
    out.datasets[row.kernel_type].add(KernelFeatures::of(sample.kernel.config, dispatch), row.median_ms);
    campaigns.insert(row.campaign);
    ++out.count;
  }
  out.campaigns.assign(campaigns.begin(), campaigns.end());
  return out;
}

std::vector<MeasuredNetwork> load_measured_networks(const devices::MeasurementStore& store,
                                                    const StoredPlatform& platform, const FusionRules& rules,
                                                    const std::vector<std::filesystem::path>& graph_dirs,
                                                    const MeasurementFilter& keep) {
  devices::MeasurementQuery query;
  query.platform_key = platform.key;
  query.kernel_type = kNetworkKernelType;
  std::vector<MeasuredNetwork> out;
  for (const auto& row : store.query(query)) {
    if (keep && !keep(row)) continue;
    NetworkSample network;
    try {
      network = network_from_key(row.config_key, graph_dirs);
    } catch (const Error& e) {
      if (network_group(row.config_key) != "graph") throw;
      fmt::print(stderr, "hwnas: warning: skipping measured network: {}\n", e.what());
      continue;
    }
    out.push_back({row.config_key, network_group(row.config_key), row.median_ms, row.spread,
                   decompose(network.graph, rules)});
  }
  return out;
}

MeasurementFilter rows_of_campaigns(const std::vector<std::string>& campaigns) {
  if (campaigns.empty()) return {};
  const std::set<std::string> wanted(campaigns.begin(), campaigns.end());
  return [wanted](const devices::StoredMeasurement& row) { return wanted.contains(row.campaign); };
}

bool is_correction_fit_network(const std::string& key) { return devices::fnv1a64(key) % 2 == 0; }

}  // namespace hwnas::predictors
