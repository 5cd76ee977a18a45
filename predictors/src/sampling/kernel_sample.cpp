#include "hwnas/predictors/sampling/kernel_sample.h"

#include <sstream>
#include <unordered_set>

#include "hwnas/core/error.h"
#include "hwnas/core/graph_json.h"
#include "hwnas/predictors/kernels/decomposer.h"

namespace hwnas::predictors {

std::vector<KernelSample> unique_kernels(const core::Graph& graph, const FusionRules& rules) {
  std::vector<KernelSample> out;
  std::unordered_set<std::string> seen;
  for (auto& kernel : decompose(graph, rules)) {
    if (!seen.insert(kernel.key).second) continue;
    core::Graph standalone = kernel_graph(graph, kernel);
    out.push_back(KernelSample{std::move(kernel), std::move(standalone)});
  }
  return out;
}

std::string kernel_config_json(const core::Graph& kernel_graph) {
  core::Graph anonymous(kernel_graph.name());
  for (const auto& node : kernel_graph.nodes()) {
    if (node.kind == core::OpKind::kInput)
      anonymous.input(node.shape, "");
    else
      anonymous.add_node(node.kind, node.inputs, node.attrs, "");
  }
  for (auto out : kernel_graph.outputs()) anonymous.mark_output(out);
  return core::to_json(anonymous, -1);
}

KernelSample kernel_from_config_json(const std::string& type, const std::string& config_json) {
  core::Graph graph = core::graph_from_json(config_json);
  FusionPattern tokens;
  std::stringstream stream(type);
  for (std::string token; std::getline(stream, token, '-');) tokens.push_back(token);
  FusionRules whole{"", "", {}};
  if (tokens.size() > 1) whole.patterns.push_back(tokens);
  auto kernels = decompose(graph, whole);
  if (kernels.size() != 1 || kernels[0].type != type)
    fail("stored config of kernel type '{}' forms {} kernel(s){}", type, kernels.size(),
         kernels.empty() ? "" : " starting with '" + kernels[0].type + "'");
  return KernelSample{std::move(kernels[0]), std::move(graph)};
}

}  // namespace hwnas::predictors
