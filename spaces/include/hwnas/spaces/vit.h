#pragma once
/// The AutoFormer vision-transformer spaces (Chen et al., ICCV 2021; microsoft/Cream AutoFormer), as the
/// released supernets are trained: `--gp --change_qkv --relative_position`, qkv bias, pre-LN, 224x224
/// input, 16x16 patches (196 tokens + a class token), absolute position embedding.
///
/// Variants (option `variant`):
///   tiny  (default)  embed 192|216|240, depth 12|13|14, heads 3|4,    MLP ratio 3.5|4.0
///   small            embed 320|384|448, depth 12|13|14, heads 5|6|7,  MLP ratio 3.0|3.5|4.0
///   base             embed 528|576|624, depth 14|15|16, heads 9|10,   MLP ratio 3.0|3.5|4.0
/// (The supernet tensors are larger, e.g. tiny's (256, 14, 4, 4.0); only the searchable choices above
/// define subnets.)
///
/// Genotype (2 + 2·max_depth genes): gene 0 embed-dim index, gene 1 depth index, then for each layer
/// l = 0..max_depth-1: gene 2+2l heads index, gene 3+2l MLP-ratio index. Layers at or beyond the depth are
/// inactive: any value validates, normalize() resets them to 0, and sample(), mutate() and crossover()
/// return normalized architectures.
///
/// String form: `e<embed>:d<depth>:<max_depth layer tokens>`, each layer `h<heads>m<ratio>` with the ratio
/// printed with one decimal, inactive layers `-`; e.g. tiny `e192:d12:h3m3.5,h4m4.0,...,h3m4.0,-,-`.
/// from_string accepts any spelling of a valid ratio ("4", "4.0") and a layer token in an inactive
/// position (its value is ignored); it rejects `-` in an active position.
///
/// Lowering (to_graph) differs from the PyTorch module in two documented ways:
/// * Relative position embeddings are omitted: the graph IR has no free-standing learned tensor nor a
///   gather. AutoFormer's 2-D relative positions (RelativePosition2D_super, max distance 14) hold per layer
///   two tables (for k and for v), each (2·14+2)×64 vertical plus the same horizontal: 7,680 parameters per
///   layer (~0.1M for a 13-layer net). At run time each layer gathers them into two (197,197,64) tensors and
///   does two extra batched matmuls, q·r_kᵀ (197 × N·H × 64 by 197) added to the scores and attn·r_v added to
///   the context: as many multiply-adds as q·kᵀ and attn·v themselves, so the graph holds half of the real
///   attention-matmul FLOPs (the linears are exact) and omits those kernels' latency.
/// * The attention scale 64^-0.5 is folded into the q rows of the qkv linear (exact, as inference engines
///   do): the IR has no multiply-by-constant op. Eager PyTorch spends one elementwise pass over the
///   (N,H,197,197) scores on it.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hwnas/spaces/search_space.h"

namespace hwnas::spaces {

enum class VitVariant { kTiny, kSmall, kBase };

/// The choices of one AutoFormer variant (spec section 4 table).
struct VitVariantSpec {
  std::string_view name;  ///< option value: "tiny", "small", "base"
  std::vector<std::int64_t> embed_dims;
  std::vector<int> depths;
  std::vector<std::int64_t> num_heads;
  std::vector<double> mlp_ratios;
  int max_depth() const { return depths.back(); }
};

const VitVariantSpec& vit_variant_spec(VitVariant variant);

inline constexpr std::int64_t kVitHeadDim = 64;  ///< `--change_qkv`: qkv width = heads·64
inline constexpr std::int64_t kVitPatchSize = 16;
inline constexpr std::int64_t kVitResolution = 224;
inline constexpr std::int64_t kVitNumClasses = 1000;

struct VitOptions {
  VitVariant variant = VitVariant::kTiny;

  /// Parses space options: `variant` = tiny (default) | small | base; rejects other keys.
  static VitOptions from_map(const SpaceOptions& options);
};

/// An architecture in AutoFormer's own terms (its sample config); per-layer lists have `depth` entries.
struct VitSubnet {
  std::int64_t embed_dim = 0;
  int depth = 0;
  std::vector<std::int64_t> num_heads;
  std::vector<double> mlp_ratios;
};

class VitSpace : public SearchSpace {
 public:
  explicit VitSpace(VitOptions options = {});

  std::string name() const override { return "vit"; }
  std::string description() const override;
  std::vector<int> gene_choices() const override;
  /// {batch, 3, 224, 224}.
  core::Shape input_shape(std::int64_t batch = 1) const override;

  std::string to_string(const Arch& arch) const override;
  /// Parses the string form above; errors name the bad token and list the valid values.
  Arch from_string(std::string_view text) const override;
  /// The AutoFormer subnet (see the header comment for what the lowering leaves out). Nodes are named
  /// `patch_embed/{conv,reshape,permute}`, `cls_token`, `pos_embed`,
  /// `block{l}/attn/{norm,qkv,reshape,permute,q,k,v,q_reshape,k_reshape,v_reshape,k_transpose,scores,softmax,
  /// context,context_permute,context_reshape,proj}`, `block{l}/attn_add`, `block{l}/mlp/{norm,fc1,gelu,fc2}`,
  /// `block{l}/mlp_add`, then `norm`, `pool/tokens`, `pool/mean` (`--gp`: mean over the 196 patch tokens,
  /// class token excluded) and `head`.
  core::Graph to_graph(const Arch& arch, std::int64_t batch = 1) const override;

  /// The canonical form: genes of inactive layers reset to 0. Validates first.
  Arch normalize(const Arch& arch) const override;
  /// Whether gene `gene` affects the network of `arch`.
  bool is_active(const Arch& arch, int gene) const override;

  VitSubnet decode(const Arch& arch) const;
  /// Throws hwnas::Error naming a value outside this variant's choices; the result is normalized.
  Arch encode(const VitSubnet& subnet) const;

  const VitOptions& options() const { return options_; }
  const VitVariantSpec& spec() const { return vit_variant_spec(options_.variant); }

 private:
  VitOptions options_;
};

/// Registers "vit" in `registry` (called by space_registry()).
void register_vit(SpaceRegistry& registry);

}  // namespace hwnas::spaces
