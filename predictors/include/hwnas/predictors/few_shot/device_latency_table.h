#pragma once
/// The public measured latency tables of a space on many devices (data/tables: NAS-Bench-201 and
/// FBNet from HW-NAS-Bench, see data/tables/PROVENANCE.md): what the few-shot predictor learns
/// devices from.

#include <filesystem>
#include <string>
#include <vector>

#include "hwnas/spaces/search_space.h"

namespace hwnas::predictors {

struct DeviceLatencyTable {
  std::string space;                         ///< "nb201" or "fbnet"
  std::vector<spaces::Arch> archs;           ///< one per row
  std::vector<std::string> devices;          ///< column names without "_ms" ("pixel3", "titanx_32", ...)
  std::vector<std::vector<double>> latency;  ///< latency[d][row], milliseconds

  /// The column index of `device`; throws hwnas::Error listing the devices when absent.
  std::size_t device_index(const std::string& device) const;
};

/// The shipped table of `space` (nb201: all 15625 cells; fbnet: the 5000-arch sample), read from the
/// data directory and parsed with `space` (its default options). Throws hwnas::Error for a space
/// without a table (listing those that have one) or a malformed table (naming file and line).
DeviceLatencyTable load_device_latency_table(const spaces::SearchSpace& space);

/// HELP's meta-validation devices, which the few-shot predictor never trains on so its accuracy on
/// them compares with the published numbers: titanx_1, titanx_32, titanx_256 (titanx_64 for FBNet,
/// whose table has no 256 column) and gold_6240.
std::vector<std::string> validation_devices(const std::string& space);

}  // namespace hwnas::predictors
