#pragma once
/// The measurement store read back as training and evaluation data for one platform: kernel
/// datasets for the regressors, and whole networks (rebuilt from their keys, cut into kernels) for
/// the per-model correction and the model-level evaluation.

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "hwnas/devices/measurement_store.h"
#include "hwnas/predictors/kernels/fusion_rules.h"
#include "hwnas/predictors/kernels/kernel.h"
#include "hwnas/predictors/regressors/kernel_dataset.h"

namespace hwnas::predictors {

/// The store hwnas ships for `platform`: <data dir>/measurements/<platform>.db.
std::filesystem::path shipped_measurement_store(const std::string& platform);
/// Where the graph files of the shipped measured networks are: <data dir>/networks/zoo.
std::vector<std::filesystem::path> shipped_network_graph_dirs();

/// Which of a store's measurement rows are "this platform": one fingerprint.
struct StoredPlatform {
  std::string key;               ///< devices::PlatformFingerprint::key()
  std::string fingerprint_json;  ///< devices::PlatformFingerprint::to_json()
};

/// The fingerprint of `platform` in `store`: `platform` is a platform name ("libtorch-cpu-t1") or a
/// full fingerprint key. Throws hwnas::Error naming the file when the store holds no measurement of
/// it, or when it holds several fingerprints of that name (measured on several hosts), listing them
/// so the caller can pass the full key.
StoredPlatform find_stored_platform(const devices::MeasurementStore& store, const std::string& platform);

struct MeasuredKernels {
  StoredPlatform platform;
  std::map<std::string, KernelDataset> datasets;  ///< kernel type → features and measured ms
  std::vector<std::string> campaigns;             ///< campaigns the rows came from, sorted
  std::size_t count = 0;                          ///< kernels read
};

/// Which stored rows to read (all when empty), e.g. those a given campaign plans.
using MeasurementFilter = std::function<bool(const devices::StoredMeasurement&)>;

/// The rows of these campaigns (every row when `campaigns` is empty): what a predictor set was trained on.
MeasurementFilter rows_of_campaigns(const std::vector<std::string>& campaigns);

/// Every kernel measurement of `platform` (whole networks excluded) that `keep` accepts, features
/// recomputed from the stored configs (kernel_from_config_json). Throws hwnas::Error naming the row of
/// a config that does not rebuild.
MeasuredKernels load_measured_kernels(const devices::MeasurementStore& store, const StoredPlatform& platform,
                                      const MeasurementFilter& keep = {});

/// A whole network measured on the platform, cut into kernels.
struct MeasuredNetwork {
  std::string key;             ///< the store's config key ("nb201:...", "graph:resnet18")
  std::string group;           ///< network_group(key): "nb201", "fbnet", "graph", ...
  double measured_ms = 0;
  double spread = 0;           ///< the profiler's relative IQR of the measurement
  std::vector<Kernel> kernels; ///< the network under the predictor's fusion rules
};

/// Every whole-network measurement of `platform`, rebuilt (graph files looked up in `graph_dirs`) and
/// decomposed with `rules`. A network whose graph file is missing is skipped with a warning on stderr
/// (its name and the directories searched), since graph directories are a local matter.
std::vector<MeasuredNetwork> load_measured_networks(const devices::MeasurementStore& store,
                                                    const StoredPlatform& platform, const FusionRules& rules,
                                                    const std::vector<std::filesystem::path>& graph_dirs,
                                                    const MeasurementFilter& keep = {});

/// The fixed half of the measured networks the correction is fitted on: chosen by a stable hash of
/// the key, so training and `hwnas eval` agree on it without storing a list, and the other half stays
/// held out for evaluation.
bool is_correction_fit_network(const std::string& key);

}  // namespace hwnas::predictors
