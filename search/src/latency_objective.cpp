#include "hwnas/search/latency_objective.h"

#include <fmt/format.h>

#include "hwnas/predictors/arch_latency.h"
#include "hwnas/predictors/few_shot/few_shot_predictor.h"
#include "hwnas/predictors/predictor_set.h"
#include "hwnas/predictors/predictor_sets.h"

namespace hwnas::search {

LatencyObjective::LatencyObjective(std::string name, std::shared_ptr<const predictors::PredictorSet> set,
                                   std::string source, const spaces::SearchSpace& space)
    : name_(std::move(name)),
      set_(std::move(set)),
      source_(std::move(source)),
      by_pieces_(std::make_unique<predictors::ArchLatencyPredictor>(*set_, space)) {}

LatencyObjective::~LatencyObjective() = default;

std::string LatencyObjective::description() const {
  return fmt::format("predicted latency (ms) on {}, predictor set {}", set_->platform(), source_);
}

std::vector<double> LatencyObjective::evaluate(const std::vector<spaces::Arch>& archs,
                                               const spaces::SearchSpace& space) const {
  if (&space == &by_pieces_->space()) return by_pieces_->predict(archs);
  return predictors::predict_archs(*set_, space, archs);
}

namespace {

/// Latency on a device calibrated by `hwnas calibrate` (few-shot, model level): the device's head over
/// the architecture encoding.
class FewShotLatencyObjective final : public Objective {
 public:
  FewShotLatencyObjective(std::string name, predictors::FewShotDevice device, const spaces::SearchSpace& space,
                          std::string source)
      : name_(std::move(name)),
        device_(std::move(device)),
        encoder_(device_.encoder(space, source)),
        source_(std::move(source)) {}
  std::string name() const override { return name_; }
  Direction direction() const override { return Direction::kMinimize; }
  std::string description() const override {
    return fmt::format("latency (ms) on the few-shot device {} (calibrated from {} measured architectures)", source_,
                       device_.samples);
  }
  std::vector<double> evaluate(const std::vector<spaces::Arch>& archs, const spaces::SearchSpace&) const override {
    return device_.predict(encoder_.encode(archs));
  }

 private:
  std::string name_;
  predictors::FewShotDevice device_;
  predictors::ArchEncoder encoder_;
  std::string source_;
};

}  // namespace

void register_latency_objective(ObjectiveRegistry& registry) {
  registry.add(
      "predictor",
      [](const ObjectiveSpec& spec, const ObjectiveContext& context) -> std::unique_ptr<Objective> {
        const std::string fallback = context.target.empty() ? predictors::kDefaultPredictorSet : context.target;
        const std::string wanted = spec.options.get_string("predictors", fallback);
        // A relative directory is the config's; a bare name may also be a shipped set.
        const auto local = context.base_dir / wanted;
        const std::string where = std::filesystem::is_directory(local) ? local.string() : wanted;
        if (predictors::FewShotDevice::is_few_shot_dir(where))
          return std::make_unique<FewShotLatencyObjective>(spec.name, predictors::FewShotDevice::load(where),
                                                           context.space, wanted);
        auto set = std::make_shared<const predictors::PredictorSet>(
            predictors::PredictorSet::load(predictors::predictor_set_path(where)));
        return std::make_unique<LatencyObjective>(spec.name, std::move(set), wanted, context.space);
      },
      "predicted latency in ms from a kernel predictor set or a device from `hwnas calibrate` (option: predictors, "
      "default: the config's target)");
}

}  // namespace hwnas::search
