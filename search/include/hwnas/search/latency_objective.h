#pragma once
/// The predicted-latency objective: a platform's kernel predictor set (predictors/) cuts each
/// candidate into the kernels its engine runs and sums their predicted latencies, in milliseconds.
/// `predictors` may also name a device directory written by `hwnas calibrate` (few-shot, model level).
///
/// ```yaml
/// objectives:
///   - {name: latency, kind: predictor, predictors: libtorch-cpu-t1}   # a shipped set or a directory
/// target: libtorch-cpu-t1   # the config's target is the default for `predictors`
/// ```

#include <memory>
#include <string>
#include <vector>

#include "hwnas/search/objective.h"

namespace hwnas::predictors {
class PredictorSet;
class ArchLatencyPredictor;
}

namespace hwnas::search {

class LatencyObjective final : public Objective {
 public:
  /// Predicts architectures of `space` (which must outlive the objective) with `set`.
  LatencyObjective(std::string name, std::shared_ptr<const predictors::PredictorSet> set, std::string source,
                   const spaces::SearchSpace& space);
  ~LatencyObjective() override;
  std::string name() const override { return name_; }
  Direction direction() const override { return Direction::kMinimize; }
  std::string description() const override;
  /// Each architecture's graph at batch 1, decomposed and predicted in batched calls, a piece (cell,
  /// block) at a time for the space given at construction (ArchLatencyPredictor: a piece shared by many
  /// candidates is priced once), as a whole graph for any other (predict_archs).
  std::vector<double> evaluate(const std::vector<spaces::Arch>& archs,
                               const spaces::SearchSpace& space) const override;

 private:
  std::string name_;
  std::shared_ptr<const predictors::PredictorSet> set_;
  std::string source_;
  std::unique_ptr<predictors::ArchLatencyPredictor> by_pieces_;
};

/// Registers kind "predictor" (option `predictors`: a shipped platform name, a predictor set directory
/// or a few-shot device directory, relative to the config's directory; default: the config's target, else
/// predictors::kDefaultPredictorSet).
void register_latency_objective(ObjectiveRegistry& registry);

}  // namespace hwnas::search
