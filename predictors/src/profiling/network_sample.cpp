#include "hwnas/predictors/profiling/network_sample.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <unordered_set>

#include "hwnas/core/error.h"
#include "hwnas/core/graph_json.h"
#include "hwnas/spaces/search_space.h"

namespace hwnas::predictors {
namespace {

constexpr std::string_view kGraphPrefix = "graph:";

core::Graph read_graph_file(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) fail("cannot read graph file {}", file.string());
  std::stringstream text;
  text << in.rdbuf();
  try {
    return core::graph_from_json(text.str());
  } catch (const Error& e) {
    fail("{}: {}", file.string(), e.what());
  }
}

}  // namespace

std::string network_group(const std::string& key) { return key.substr(0, key.find(':')); }

std::vector<NetworkSample> sample_space_networks(const std::string& space_name, std::size_t count, std::uint64_t seed) {
  const auto space = spaces::make_space(space_name);
  if (static_cast<double>(count) > space->size())
    fail("space '{}' has {} architectures, fewer than the {} networks asked for", space_name, space->size(), count);
  spaces::Rng rng(seed);
  std::vector<NetworkSample> networks;
  std::unordered_set<std::string> seen;
  while (networks.size() < count) {
    const spaces::Arch arch = space->sample(rng);
    std::string key = space_name + ":" + space->to_string(arch);
    if (!seen.insert(key).second) continue;
    networks.push_back({std::move(key), space->to_graph(arch, 1)});
  }
  return networks;
}

std::vector<NetworkSample> graph_networks(const std::filesystem::path& dir) {
  if (!std::filesystem::is_directory(dir)) fail("graph directory {} does not exist", dir.string());
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  std::vector<NetworkSample> networks;
  for (const auto& file : files)
    networks.push_back({std::string(kGraphPrefix) + file.stem().string(), read_graph_file(file)});
  return networks;
}

NetworkSample network_from_key(const std::string& key, const std::vector<std::filesystem::path>& graph_dirs) {
  const auto colon = key.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == key.size())
    fail("network key '{}' is neither '<space>:<arch>' nor 'graph:<name>'", key);
  const std::string group = key.substr(0, colon);
  const std::string rest = key.substr(colon + 1);
  if (group == "graph") {
    for (const auto& dir : graph_dirs) {
      const auto file = dir / (rest + ".json");
      if (std::filesystem::exists(file)) return {key, read_graph_file(file)};
    }
    std::string searched;
    for (const auto& dir : graph_dirs) searched += (searched.empty() ? "" : ", ") + dir.string();
    fail("network '{}': no {}.json in the graph directories ({})", key, rest, searched.empty() ? "none given" : searched);
  }
  try {
    const auto space = spaces::make_space(group);
    return {key, space->to_graph(space->from_string(rest), 1)};
  } catch (const Error& e) {
    fail("network '{}': {}", key, e.what());
  }
}

}  // namespace hwnas::predictors
