#pragma once
/// Whole networks as the measurement store keeps them: the ground truth that model-level prediction
/// (the per-model correction, `hwnas eval`) is fitted and judged against.
///
/// A network is stored with kernel_type "network" and a config key that names it so it can be rebuilt:
///   "<space>:<arch>"   an architecture of a registered space (default options), batch 1, e.g.
///                      "nb201:|nor_conv_3x3~0|+|...|";
///   "graph:<name>"     an IR graph file <name>.json (core::to_json) in one of the graph directories,
///                      e.g. the shipped model zoo data/networks/zoo/resnet18.json.

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "hwnas/core/graph.h"

namespace hwnas::predictors {

/// The store's kernel_type of a whole-network measurement.
inline constexpr const char* kNetworkKernelType = "network";

struct NetworkSample {
  std::string key;    ///< the store's config key ("nb201:...", "graph:resnet18")
  core::Graph graph;  ///< the network at batch 1
};

/// The group a network key belongs to: the space name, or "graph" (the text before the first ':').
std::string network_group(const std::string& key);

/// `count` distinct random architectures of `space` (default options), deterministic under `seed`.
/// Throws hwnas::Error for an unknown space or when the space has fewer than `count` architectures.
std::vector<NetworkSample> sample_space_networks(const std::string& space, std::size_t count, std::uint64_t seed);

/// Every `*.json` IR graph of `dir`, sorted by name, keyed "graph:<file stem>". Throws hwnas::Error
/// naming the directory when it does not exist, or the file of a graph that does not parse.
std::vector<NetworkSample> graph_networks(const std::filesystem::path& dir);

/// Rebuilds the network a key names: a space architecture, or a graph looked up in `graph_dirs`.
/// Throws hwnas::Error naming the key when it is malformed, its space unknown, its architecture
/// invalid, or its graph file in none of the directories.
NetworkSample network_from_key(const std::string& key, const std::vector<std::filesystem::path>& graph_dirs);

}  // namespace hwnas::predictors
