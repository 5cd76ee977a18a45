#pragma once
/// The Once-for-All MobileNetV3 space `ofa_mbv3_d234_e346_k357_w1.0` (Cai et al., ICLR 2020): a fixed
/// stem and first block, 5 elastic stages of up to 4 MBConv blocks (20 block slots), a fixed tail, and an
/// elastic input resolution: (9^2 + 9^3 + 9^4)^5 = 7371^5 ≈ 2.2e19 networks per resolution, 25 resolutions.
///
/// Genotype (46 genes):
///   genes 0..4    stage depth, index into {2, 3, 4};
///   genes 5..44   block slot s = 0..19 (slot s is block s % 4 of stage s / 4): gene 5 + 2s = kernel index
///                 into {3, 5, 7}, gene 6 + 2s = expand-ratio index into {3, 4, 6};
///   gene 45       input resolution index into {128, 132, ..., 224} (25 values).
/// Slots at or beyond their stage's depth are inactive: any value validates, and normalize() resets them to
/// 0. sample(), mutate() and crossover() return normalized architectures, so equal networks compare equal.
///
/// String form: `d<5 depths>:<20 slot tokens>:r<resolution>`, e.g.
///   `d2,3,4,2,3:k3e4,k5e6,-,-,k7e3,k3e3,k5e4,-,...:r224`
/// Each slot token is `k<kernel>e<expand>`; inactive slots print as `-`. from_string also accepts a
/// `k<kernel>e<expand>` token in an inactive slot (OFA's 20-entry ks/e lists) and ignores its value; it
/// rejects `-` in an active slot.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hwnas/core/op.h"
#include "hwnas/spaces/search_space.h"

namespace hwnas::spaces {

inline constexpr int kMobilenetNumStages = 5;
inline constexpr int kMobilenetMaxDepth = 4;
inline constexpr int kMobilenetNumSlots = kMobilenetNumStages * kMobilenetMaxDepth;
inline constexpr int kMobilenetNumGenes = kMobilenetNumStages + 2 * kMobilenetNumSlots + 1;
inline constexpr int kMobilenetResolutionGene = kMobilenetNumGenes - 1;

/// Gene index of a stage's depth (stage 0..4), of a slot's kernel and expand ratio (slot 0..19).
constexpr int mobilenet_depth_gene(int stage) { return stage; }
constexpr int mobilenet_kernel_gene(int slot) { return kMobilenetNumStages + 2 * slot; }
constexpr int mobilenet_expand_gene(int slot) { return kMobilenetNumStages + 2 * slot + 1; }

/// Choice values, indexed by gene value.
inline constexpr std::array<int, 3> kMobilenetDepths{2, 3, 4};
inline constexpr std::array<int, 3> kMobilenetKernels{3, 5, 7};
inline constexpr std::array<int, 3> kMobilenetExpandRatios{3, 4, 6};
/// 128, 132, ..., 224 (OFA's continuous-size training range).
const std::vector<int>& mobilenet_resolutions();

/// One elastic stage of the macro structure (the table of spec section 3).
struct MobilenetStage {
  std::int64_t out_channels = 0;
  std::int64_t stride = 1;  ///< of the stage's first block
  core::OpKind activation = core::OpKind::kRelu;
  bool squeeze_excite = false;
};

/// Stages 1..5 of OFA MobileNetV3 at width 1.0: Cout 24/40/80/112/160, strides 2/2/2/1/2.
const std::array<MobilenetStage, kMobilenetNumStages>& mobilenet_stages();

/// An architecture in OFA's own terms (`set_active_subnet(ks, e, d)` plus the resolution). Entries of
/// inactive slots are carried but do not affect the network.
struct MobilenetSubnet {
  std::array<int, kMobilenetNumStages> depths{};  ///< each 2, 3 or 4
  std::array<int, kMobilenetNumSlots> kernels{};  ///< each 3, 5 or 7
  std::array<int, kMobilenetNumSlots> expands{};  ///< each 3, 4 or 6
  int resolution = 224;

  /// Every block at one setting, e.g. uniform(4, 7, 6, 224) is the largest subnet.
  static MobilenetSubnet uniform(int depth, int kernel, int expand, int resolution = 224);
};

class MobilenetSpace : public SearchSpace {
 public:
  MobilenetSpace() = default;

  std::string name() const override { return "mobilenet"; }
  std::string description() const override;
  std::vector<int> gene_choices() const override;
  /// {batch, 3, 224, 224}: the largest input. Each architecture's graph takes its own resolution.
  core::Shape input_shape(std::int64_t batch = 1) const override;

  std::string to_string(const Arch& arch) const override;
  /// Parses the string form above; errors name the bad token and list the valid values.
  Arch from_string(std::string_view text) const override;
  /// The OFA subnet as `get_active_subnet()` builds it. Nodes are named `first_conv/{conv,bn,act}`,
  /// `block{i}/{expand,dw,project}/{conv,bn,act}`, `block{i}/se/{pool,reduce,relu,expand,hsigmoid,scale}`,
  /// `block{i}/add`, then `final_expand/{conv,bn,act}`, `global_pool`, `feature_mix/{conv,act}`, `flatten`,
  /// `classifier`; i is the index in OFA's `blocks` list (0 = the fixed first block, 1 + 4·stage + j for
  /// block j of stage 0..4; only active blocks appear).
  core::Graph to_graph(const Arch& arch, std::int64_t batch = 1) const override;

  /// The canonical form: inactive slot genes reset to 0. Validates first.
  Arch normalize(const Arch& arch) const override;
  /// Whether gene `gene` affects the network of `arch` (depths and resolution always do).
  bool is_active(const Arch& arch, int gene) const override;

  static MobilenetSubnet decode(const Arch& arch);
  /// Throws hwnas::Error for a value outside the choices; the result is normalized.
  static Arch encode(const MobilenetSubnet& subnet);
};

/// Registers "mobilenet" in `registry` (called by space_registry()).
void register_mobilenet(SpaceRegistry& registry);

}  // namespace hwnas::spaces
