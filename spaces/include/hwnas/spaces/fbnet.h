#pragma once
/// The FBNet space as benchmarked by HW-NAS-Bench: 22 searchable layers in 7 stages, each layer one of
/// 9 candidate blocks (9^22 architectures).
///
/// Genotype: 22 genes 0..8 (0 k3_e1, 1 k3_e1_g2, 2 k3_e3, 3 k3_e6, 4 k5_e1, 5 k5_e1_g2, 6 k5_e3, 7 k5_e6,
/// 8 skip). String form: the 22 digits, e.g. "7818488874147327324245".

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hwnas/spaces/search_space.h"

namespace hwnas::spaces {

inline constexpr int kFbnetNumLayers = 22;
inline constexpr int kFbnetNumCandidates = 9;
inline constexpr int kFbnetSkip = 8;

/// A candidate block: an inverted-residual ConvBlock(expansion, kernel, groups), or skip.
struct FbnetCandidate {
  std::string_view name;
  int expansion = 1;
  int kernel = 3;
  int groups = 1;
  bool skip = false;
};

/// The 9 candidates indexed by gene value.
const std::array<FbnetCandidate, kFbnetNumCandidates>& fbnet_candidates();

enum class FbnetDataset { kCifar100, kImageNet };

/// Option value of a dataset ("cifar100", "imagenet").
std::string_view fbnet_dataset_name(FbnetDataset dataset);

/// Position of one searchable layer in the fixed macro structure.
struct FbnetLayer {
  int stage = 0;
  std::int64_t in_channels = 0;
  std::int64_t out_channels = 0;
  std::int64_t stride = 1;
  std::int64_t input_resolution = 0;  ///< H = W of the layer's input
};

/// The 22 layers of the macro structure for a dataset (README table of HW-NAS-Bench's FBNet_Infer).
std::vector<FbnetLayer> fbnet_layers(FbnetDataset dataset);

struct FbnetOptions {
  FbnetDataset dataset = FbnetDataset::kCifar100;

  /// Parses space options: `dataset` = cifar100 (default) | imagenet; rejects other keys.
  static FbnetOptions from_map(const SpaceOptions& options);
};

class FbnetSpace : public SearchSpace {
 public:
  explicit FbnetSpace(FbnetOptions options = {});

  std::string name() const override { return "fbnet"; }
  std::string description() const override;
  std::vector<int> gene_choices() const override;
  /// {batch, 3, 32, 32} for CIFAR-100, {batch, 3, 224, 224} for ImageNet.
  core::Shape input_shape(std::int64_t batch = 1) const override;

  std::string to_string(const Arch& arch) const override;
  /// Parses 22 digits 0-8; errors name the position of a bad character.
  Arch from_string(std::string_view text) const override;
  /// HW-NAS-Bench's FBNet_Infer. Nodes are named `stem/{conv,bn,relu}`, `layer{l}/{expand,dw,project}/{conv,bn,relu}`,
  /// `layer{l}/shuffle`, `layer{l}/add` (ConvBlocks), `layer{l}/skip/{conv,bn,relu}` (a skip that changes shape),
  /// then `header/{conv,bn,relu}`, `global_pool`, `flatten`, `classifier`.
  core::Graph to_graph(const Arch& arch, std::int64_t batch = 1) const override;
  /// 24 pieces: `stem`, one per layer (`L<layer, two digits>:<block>`; a skip block where the shapes
  /// agree has no ops), `header` (with pooling and classifier).
  void piece_keys(const Arch& arch, std::vector<std::string>& keys) const override;
  core::Graph piece_graph(const Arch& arch, std::size_t index, std::int64_t batch = 1) const override;

  const FbnetOptions& options() const { return options_; }
  std::int64_t num_classes() const;
  std::int64_t resolution() const;
  std::int64_t header_channels() const;

 private:
  /// Appends piece `index` (see piece_keys) to `g`, reading `x`; returns the piece's output.
  core::NodeId append_piece(core::Graph& g, core::NodeId x, const Arch& arch, std::size_t index) const;

  FbnetOptions options_;
  std::vector<FbnetLayer> layers_;  ///< fbnet_layers(options_.dataset)
};

/// Registers "fbnet" in `registry` (called by space_registry()).
void register_fbnet(SpaceRegistry& registry);

}  // namespace hwnas::spaces
