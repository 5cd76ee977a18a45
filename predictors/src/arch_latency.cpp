#include "hwnas/predictors/arch_latency.h"

#include <algorithm>

#include "hwnas/core/error.h"
#include "hwnas/predictors/kernels/decomposer.h"

namespace hwnas::predictors {

std::vector<double> predict_archs(const PredictorSet& set, const spaces::SearchSpace& space,
                                  std::span<const spaces::Arch> archs, std::size_t chunk) {
  HWNAS_ASSERT(chunk > 0, "predict_archs: chunk size 0");
  std::vector<double> out;
  out.reserve(archs.size());
  std::vector<std::vector<Kernel>> networks;
  for (std::size_t begin = 0; begin < archs.size(); begin += chunk) {
    const std::size_t end = std::min(archs.size(), begin + chunk);
    networks.clear();
    for (std::size_t i = begin; i < end; ++i)
      networks.push_back(decompose(space.to_graph(archs[i], 1), set.fusion_rules()));
    const auto ms = set.predict_many(networks);
    out.insert(out.end(), ms.begin(), ms.end());
  }
  return out;
}

}  // namespace hwnas::predictors
