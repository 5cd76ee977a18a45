#include "hwnas/predictors/arch_latency.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

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

namespace {

using TokenId = std::int16_t;
constexpr TokenId kNoToken = -1;

TokenId token_id(const std::string& token) {
  const auto& all = kernel_tokens();
  const auto it = std::find(all.begin(), all.end(), token);
  return it == all.end() ? kNoToken : static_cast<TokenId>(it - all.begin());
}

/// What is kept of one piece: its predicted kernels, and what the cut check needs to know of its ends.
struct PieceCost {
  /// Σ of its kernels' PredictorSet::in_network_ms(); the rest of the correction applies to whole networks.
  double scaled_ms = 0;
  std::uint32_t kernels = 0;
  bool empty = false;               ///< no ops: the tensor it reads passes through
  TokenId out_token = kNoToken;     ///< token of the op producing its output
  TokenId sole_reader = kNoToken;   ///< token of the op reading its input, when exactly one op reads it
};

PieceCost ends_of(const core::Graph& piece) {
  PieceCost cost;
  const core::NodeId in = piece.inputs().front();
  const core::NodeId out = piece.outputs().front();
  if (out == in) {
    cost.empty = true;
    return cost;
  }
  cost.out_token = token_id(kernel_token(piece, out));
  int readers = 0;
  core::NodeId reader = -1;
  for (const auto& node : piece.nodes())
    for (core::NodeId id : node.inputs)
      if (id == in) {
        ++readers;
        reader = node.id;
      }
  if (readers == 1) cost.sole_reader = token_id(kernel_token(piece, reader));
  return cost;
}

}  // namespace

struct ArchLatencyPredictor::Impl {
  std::size_t tokens = kernel_tokens().size();
  /// adjacent[a * tokens + b]: token b directly follows token a in some fusion rule of the set.
  std::vector<bool> adjacent;
  std::shared_mutex mutex;
  std::unordered_map<std::string, PieceCost> pieces;
  std::atomic<std::uint64_t> archs{0}, whole{0}, hits{0}, built{0};

  /// A fused kernel crosses a cut only along the cut tensor's single reader, and only if the op before
  /// and the op after are adjacent in a rule (the decomposer grows kernels by rule prefixes).
  bool cuts_are_safe(std::span<const PieceCost> network) const {
    TokenId before = kNoToken;  // the network input: nothing to fuse with
    for (const PieceCost& piece : network) {
      if (piece.empty) continue;
      if (before != kNoToken && piece.sole_reader != kNoToken &&
          adjacent[static_cast<std::size_t>(before) * tokens + static_cast<std::size_t>(piece.sole_reader)])
        return false;
      before = piece.out_token;
    }
    return true;
  }
};

ArchLatencyPredictor::ArchLatencyPredictor(const PredictorSet& set, const spaces::SearchSpace& space)
    : set_(set), space_(space), impl_(std::make_unique<Impl>()) {
  impl_->adjacent.assign(impl_->tokens * impl_->tokens, false);
  for (const auto& pattern : set.fusion_rules().patterns)
    for (std::size_t i = 1; i < pattern.size(); ++i) {
      const TokenId a = token_id(pattern[i - 1]), b = token_id(pattern[i]);
      if (a != kNoToken && b != kNoToken)
        impl_->adjacent[static_cast<std::size_t>(a) * impl_->tokens + static_cast<std::size_t>(b)] = true;
    }
}

ArchLatencyPredictor::~ArchLatencyPredictor() = default;

std::vector<double> ArchLatencyPredictor::predict(std::span<const spaces::Arch> archs, std::size_t chunk) const {
  HWNAS_ASSERT(chunk > 0, "ArchLatencyPredictor::predict: chunk size 0");
  Impl& impl = *impl_;
  std::vector<double> out(archs.size());
  std::vector<std::size_t> whole;  // architectures predicted from their whole graph
  std::vector<std::vector<std::string>> keys(std::min(chunk, archs.size()));
  std::vector<PieceCost> costs;
  std::vector<std::size_t> first;        // first[i]: arch i's first slot in costs
  std::vector<std::size_t> missing;      // slots not cached
  std::unordered_map<std::string_view, std::size_t> building;  // key -> index in built
  std::vector<std::pair<std::size_t, std::size_t>> to_build;   // (arch in chunk, piece)
  std::vector<PieceCost> built;
  std::vector<Kernel> kernels;
  std::vector<std::size_t> kernel_end;

  for (std::size_t begin = 0; begin < archs.size(); begin += chunk) {
    const std::size_t n = std::min(archs.size(), begin + chunk) - begin;
    costs.clear();
    first.assign(n + 1, 0);
    for (std::size_t i = 0; i < n; ++i) {
      space_.piece_keys(archs[begin + i], keys[i]);
      first[i + 1] = first[i] + keys[i].size();
    }
    costs.resize(first[n]);

    // Cached pieces, under one shared lock for the chunk.
    missing.clear();
    {
      std::shared_lock lock(impl.mutex);
      for (std::size_t i = 0; i < n; ++i)
        for (std::size_t p = 0; p < keys[i].size(); ++p) {
          const auto it = impl.pieces.find(keys[i][p]);
          if (it != impl.pieces.end()) costs[first[i] + p] = it->second;
          else missing.push_back(first[i] + p);
        }
    }
    impl.hits += first[n] - missing.size();

    // Missing pieces: each distinct one built and cut once, all their kernels predicted in one batched call.
    if (!missing.empty()) {
      building.clear();
      to_build.clear();
      built.clear();
      kernels.clear();
      kernel_end.clear();
      std::size_t i = 0;
      for (std::size_t slot : missing) {
        while (first[i + 1] <= slot) ++i;
        const std::string& key = keys[i][slot - first[i]];
        if (building.emplace(key, to_build.size()).second) to_build.emplace_back(i, slot - first[i]);
      }
      for (const auto& [arch, piece] : to_build) {
        const core::Graph graph = space_.piece_graph(archs[begin + arch], piece, 1);
        built.push_back(ends_of(graph));
        auto piece_kernels = decompose(graph, set_.fusion_rules());
        built.back().kernels = static_cast<std::uint32_t>(piece_kernels.size());
        std::move(piece_kernels.begin(), piece_kernels.end(), std::back_inserter(kernels));
        kernel_end.push_back(kernels.size());
      }
      const auto ms = set_.kernel_latencies(kernels);
      for (std::size_t b = 0, k = 0; b < built.size(); ++b)
        for (; k < kernel_end[b]; ++k) built[b].scaled_ms += set_.in_network_ms(kernels[k].type, ms[k]);
      {
        std::unique_lock lock(impl.mutex);
        if (impl.pieces.size() + built.size() > kCapacity) impl.pieces.clear();
        for (const auto& [key, b] : building) impl.pieces.emplace(std::string(key), built[b]);
      }
      impl.built += built.size();
      i = 0;
      for (std::size_t slot : missing) {
        while (first[i + 1] <= slot) ++i;
        costs[slot] = built[building.at(keys[i][slot - first[i]])];
      }
    }

    for (std::size_t i = 0; i < n; ++i) {
      const std::span<const PieceCost> network(costs.data() + first[i], first[i + 1] - first[i]);
      if (network.empty() || !impl.cuts_are_safe(network)) {
        whole.push_back(begin + i);
        continue;
      }
      double sum = 0;
      std::size_t count = 0;
      for (const PieceCost& piece : network) {
        sum += piece.scaled_ms;
        count += piece.kernels;
      }
      out[begin + i] = set_.network_latency(sum, count);
    }
  }

  if (!whole.empty()) {
    std::vector<spaces::Arch> rest;
    rest.reserve(whole.size());
    for (std::size_t i : whole) rest.push_back(archs[i]);
    const auto ms = predict_archs(set_, space_, rest, chunk);
    for (std::size_t j = 0; j < whole.size(); ++j) out[whole[j]] = ms[j];
  }
  impl.archs += archs.size();
  impl.whole += whole.size();
  return out;
}

PieceCacheStats ArchLatencyPredictor::stats() const {
  PieceCacheStats s;
  s.archs = impl_->archs;
  s.whole = impl_->whole;
  s.piece_hits = impl_->hits;
  s.pieces_built = impl_->built;
  std::shared_lock lock(impl_->mutex);
  s.entries = impl_->pieces.size();
  return s;
}

}  // namespace hwnas::predictors
