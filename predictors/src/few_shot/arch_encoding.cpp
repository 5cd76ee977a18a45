#include "hwnas/predictors/few_shot/arch_encoding.h"

#include <cmath>

#include <fmt/format.h>

#include "hwnas/core/cost.h"
#include "hwnas/predictors/kernels/decomposer.h"
#include "hwnas/predictors/predictor_set.h"

namespace hwnas::predictors {

ArchEncoder::ArchEncoder(const spaces::SearchSpace& space, std::shared_ptr<const PredictorSet> local)
    : space_(space), local_(std::move(local)) {
  names_.push_back("bias");
  const auto choices = space.gene_choices();
  for (std::size_t i = 0; i < choices.size(); ++i) {
    gene_offset_.push_back(names_.size());
    for (int c = 0; c < choices[i]; ++c) names_.push_back(fmt::format("g{}={}", i, c));
  }
  if (local_) names_.push_back("log_local_ms");
  names_.push_back("log_mflops");
  names_.push_back("log_mparams");
}

std::vector<double> ArchEncoder::encode(const std::vector<spaces::Arch>& archs) const {
  const std::size_t width = size();
  std::vector<double> out(archs.size() * width, 0.0);
  std::vector<std::vector<Kernel>> networks;
  std::vector<double> mflops, mparams;
  for (std::size_t r = 0; r < archs.size(); ++r) {
    const spaces::Arch arch = space_.normalize(archs[r]);
    double* row = out.data() + r * width;
    row[0] = 1.0;
    for (std::size_t i = 0; i < arch.genes.size(); ++i)
      if (space_.is_active(arch, static_cast<int>(i))) row[gene_offset_[i] + static_cast<std::size_t>(arch.genes[i])] = 1.0;
    const core::Graph graph = space_.to_graph(arch, 1);
    const core::OpCost cost = core::graph_cost(graph);
    mflops.push_back(cost.flops / 1e6);
    mparams.push_back(static_cast<double>(cost.params) / 1e6);
    if (local_) networks.push_back(decompose(graph, local_->fusion_rules()));
  }
  std::vector<double> local_ms;
  if (local_) local_ms = local_->predict_many(networks);
  for (std::size_t r = 0; r < archs.size(); ++r) {
    double* tail = out.data() + r * width + width - (local_ ? 3 : 2);
    if (local_) *tail++ = std::log(local_ms[r]);
    *tail++ = std::log(std::max(mflops[r], 1e-6));
    *tail = std::log(std::max(mparams[r], 1e-6));
  }
  return out;
}

}  // namespace hwnas::predictors
