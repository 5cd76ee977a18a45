#pragma once
/// What the few-shot latency predictor sees of an architecture: its genes one-hot (the papers'
/// architecture encoding), and what hwnas knows and they did not: the latency its kernel predictors
/// give on a local platform, and the network's FLOPs and parameters (logs, since device latencies
/// scale multiplicatively).

#include <memory>
#include <string>
#include <vector>

#include "hwnas/spaces/search_space.h"

namespace hwnas::predictors {

class PredictorSet;

class ArchEncoder {
 public:
  /// `local` may be null: the encoding then has no local-latency feature.
  ArchEncoder(const spaces::SearchSpace& space, std::shared_ptr<const PredictorSet> local);

  /// "bias", "g<i>=<choice>" per gene and choice, then "log_local_ms", "log_mflops", "log_mparams".
  const std::vector<std::string>& feature_names() const { return names_; }
  std::size_t size() const { return names_.size(); }
  /// The encodings of `archs`, row-major (archs.size() x size()).
  std::vector<double> encode(const std::vector<spaces::Arch>& archs) const;

 private:
  const spaces::SearchSpace& space_;
  std::shared_ptr<const PredictorSet> local_;
  std::vector<std::string> names_;
  std::vector<std::size_t> gene_offset_;  // column of gene i's choice 0
};

}  // namespace hwnas::predictors
