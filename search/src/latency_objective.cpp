#include "hwnas/search/latency_objective.h"

#include <fmt/format.h>

#include "hwnas/predictors/kernels/decomposer.h"
#include "hwnas/predictors/predictor_set.h"
#include "hwnas/predictors/predictor_sets.h"

namespace hwnas::search {

LatencyObjective::LatencyObjective(std::string name, std::shared_ptr<const predictors::PredictorSet> set,
                                   std::string source)
    : name_(std::move(name)), set_(std::move(set)), source_(std::move(source)) {}

std::string LatencyObjective::description() const {
  return fmt::format("predicted latency (ms) on {}, predictor set {}", set_->platform(), source_);
}

std::vector<double> LatencyObjective::evaluate(const std::vector<spaces::Arch>& archs,
                                               const spaces::SearchSpace& space) const {
  std::vector<std::vector<predictors::Kernel>> networks;
  networks.reserve(archs.size());
  for (const auto& arch : archs) networks.push_back(predictors::decompose(space.to_graph(arch, 1), set_->fusion_rules()));
  return set_->predict_many(networks);
}

void register_latency_objective(ObjectiveRegistry& registry) {
  registry.add(
      "predictor",
      [](const ObjectiveSpec& spec, const ObjectiveContext& context) -> std::unique_ptr<Objective> {
        const std::string fallback = context.target.empty() ? predictors::kDefaultPredictorSet : context.target;
        const std::string wanted = spec.options.get_string("predictors", fallback);
        // A relative directory is the config's; a bare name may also be a shipped set.
        const auto local = context.base_dir / wanted;
        const std::string where = std::filesystem::is_directory(local) ? local.string() : wanted;
        auto set = std::make_shared<const predictors::PredictorSet>(
            predictors::PredictorSet::load(predictors::predictor_set_path(where)));
        return std::make_unique<LatencyObjective>(spec.name, std::move(set), wanted);
      },
      "predicted latency in ms from a kernel predictor set (option: predictors, default: the config's target)");
}

}  // namespace hwnas::search
