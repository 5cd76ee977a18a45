#pragma once
/// Predicted latencies of many architectures of a search space, streamed a chunk at a time: each
/// chunk's graphs are built, cut into kernels and predicted in one batched PredictorSet call, then
/// dropped. Memory stays at one chunk's kernels (~80 KB per NB201 candidate) however many
/// architectures are asked for: decomposing all 15625 NB201 cells before predicting held 1.3 GB.

#include <cstddef>
#include <cstdint>
#include <memory>
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

/// What an ArchLatencyPredictor has done since it was made.
struct PieceCacheStats {
  std::uint64_t archs = 0;        ///< architectures predicted
  std::uint64_t whole = 0;        ///< of them, predicted from their whole graph (see ArchLatencyPredictor)
  std::uint64_t piece_hits = 0;   ///< pieces whose cost was cached when asked for
  std::uint64_t pieces_built = 0; ///< pieces built, cut into kernels and predicted
  std::size_t entries = 0;        ///< pieces cached now
};

/// Predicted latencies of architectures of one search space on one predictor set, a piece at a time
/// when the space cuts its networks (SearchSpace::piece_keys): each distinct piece (an NB201 cell at a
/// stage, an FBNet block at a layer) is built, cut into kernels and predicted once, and an architecture
/// then costs a cache lookup per piece. The result equals predict_archs() up to the order of summation:
/// a fused kernel crossing a cut would break that, so every architecture's cuts are checked against the
/// set's fusion rules, and one where a kernel could cross (the op ending a piece and the only reader of
/// the next piece's input are adjacent in some rule) is predicted from its whole graph instead, as are
/// the architectures of spaces without pieces.
///
/// `set` and `space` must outlive the predictor. predict() may be called from several threads at once
/// (the piece cache is behind a shared lock, as the set's kernel cache is); the cache holds at most
/// kCapacity pieces and is emptied when an insert would pass that.
class ArchLatencyPredictor {
 public:
  static constexpr std::size_t kCapacity = std::size_t{1} << 20;

  ArchLatencyPredictor(const PredictorSet& set, const spaces::SearchSpace& space);
  ~ArchLatencyPredictor();
  ArchLatencyPredictor(const ArchLatencyPredictor&) = delete;
  ArchLatencyPredictor& operator=(const ArchLatencyPredictor&) = delete;

  const PredictorSet& set() const { return set_; }
  const spaces::SearchSpace& space() const { return space_; }

  /// set.network_latency() of each architecture (ms), in order, streamed `chunk` architectures at a time.
  std::vector<double> predict(std::span<const spaces::Arch> archs, std::size_t chunk = kArchChunk) const;

  PieceCacheStats stats() const;

 private:
  struct Impl;
  const PredictorSet& set_;
  const spaces::SearchSpace& space_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hwnas::predictors
