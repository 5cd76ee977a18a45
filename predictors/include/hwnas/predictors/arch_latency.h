#pragma once
/// Predicted latencies of many architectures of a search space, streamed a chunk at a time: each
/// chunk's graphs are built, cut into kernels and predicted in one batched PredictorSet call, then
/// dropped. Memory stays at one chunk's kernels (~80 KB per NB201 candidate) however many
/// architectures are asked for: decomposing all 15625 NB201 cells before predicting held 1.3 GB.

#include <cstddef>
#include <span>
#include <vector>

#include "hwnas/predictors/predictor_set.h"
#include "hwnas/spaces/search_space.h"

namespace hwnas::predictors {

/// Large enough that a chunk's uncached kernels make a well-filled batched regressor call, small enough
/// that its kernels stay in cache-friendly memory.
inline constexpr std::size_t kArchChunk = 256;

/// set.predict_many() of every architecture's graph at batch 1, cut by the set's fusion rules, in order.
std::vector<double> predict_archs(const PredictorSet& set, const spaces::SearchSpace& space,
                                  std::span<const spaces::Arch> archs, std::size_t chunk = kArchChunk);

}  // namespace hwnas::predictors
