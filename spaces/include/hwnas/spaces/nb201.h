#pragma once
/// NAS-Bench-201: one searched cell (a 4-node DAG, 6 edges, 5 candidate ops per edge) repeated in the
/// fixed TinyNetwork skeleton (C=16, N=5). 5^6 = 15625 architectures.
///
/// Genotype: 6 genes in the canonical edge order (0->1),(0->2),(1->2),(0->3),(1->3),(2->3), each an op id
/// 0 none, 1 skip_connect, 2 nor_conv_1x1, 3 nor_conv_3x3, 4 avg_pool_3x3.
/// String form: the official cell string `|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hwnas/spaces/search_space.h"

namespace hwnas::spaces {

/// Op ids of NB201 edges (the official `NAS_BENCH_201` order).
enum class Nb201Op : int { kNone = 0, kSkipConnect = 1, kNorConv1x1 = 2, kNorConv3x3 = 3, kAvgPool3x3 = 4 };

inline constexpr int kNb201NumOps = 5;
inline constexpr int kNb201NumEdges = 6;
inline constexpr int kNb201NumNodes = 4;
inline constexpr int kNb201NumArchs = 15625;

/// One cell edge: node `from` feeds node `to`.
struct Nb201Edge {
  int from = 0;
  int to = 0;
};

/// The six edges in canonical (gene) order.
const std::array<Nb201Edge, kNb201NumEdges>& nb201_edges();
/// Official op names indexed by op id ("none", "skip_connect", ...).
const std::array<std::string_view, kNb201NumOps>& nb201_op_names();

/// True when the cell output (node 3) cannot be reached from the cell input (node 0) through edges
/// whose op is not `none`; such cells make the network's output independent of its input (341 of 15625).
bool nb201_is_degenerate(const Arch& arch);

/// Base-5 code of the genotype, edge (0->1) most significant: the position of the architecture in
/// NB201's `gen_all` enumeration before the seeded shuffle (0..15624).
int nb201_pre_index(const Arch& arch);
/// Inverse of nb201_pre_index.
Arch nb201_arch_from_pre_index(int pre_index);

/// The architecture with the official NAS-Bench-201 index (0..15624), as used by the NB201 API and
/// HW-NAS-Bench; throws hwnas::Error for an index out of range.
Arch nb201_arch_from_index(int index);
/// The official NAS-Bench-201 index of an architecture; throws hwnas::Error for an invalid genotype.
int nb201_index_of(const Arch& arch);

enum class Nb201Dataset { kCifar10, kCifar100, kImageNet16_120 };

/// Option value of a dataset ("cifar10", "cifar100", "imagenet16-120").
std::string_view nb201_dataset_name(Nb201Dataset dataset);

struct Nb201Options {
  Nb201Dataset dataset = Nb201Dataset::kCifar10;

  /// Parses space options: `dataset` = cifar10 (default) | cifar100 | imagenet16-120; rejects other keys.
  static Nb201Options from_map(const SpaceOptions& options);
};

class Nb201Space : public SearchSpace {
 public:
  explicit Nb201Space(Nb201Options options = {});

  std::string name() const override { return "nb201"; }
  std::string description() const override;
  std::vector<int> gene_choices() const override;
  /// {batch, 3, 32, 32} for CIFAR, {batch, 3, 16, 16} for ImageNet16-120.
  core::Shape input_shape(std::int64_t batch = 1) const override;

  std::string to_string(const Arch& arch) const override;
  Arch from_string(std::string_view text) const override;
  /// The TinyNetwork (C=16, N=5). Nodes are named after the original module tree: `stem/...`,
  /// `cell{i}/edge{a}->{b}/{relu,conv,bn,pool,zero}` and `cell{i}/node{b}/add{k}` for the 15 searched cells,
  /// `cell{i}/{conv_a,conv_b,downsample}/...` for the two reduction blocks (i = 5, 11: the position in
  /// TinyNetwork.cells), then `lastact/{bn,relu}`, `global_pool`, `flatten`, `classifier`.
  core::Graph to_graph(const Arch& arch, std::int64_t batch = 1) const override;
  /// 18 pieces: `stem`, the 17 entries of TinyNetwork.cells (`c<stage>:<genes>` for a searched cell,
  /// `r<stage>` for a reduction block), the head (lastact, pooling, classifier) joined to the last cell.
  void piece_keys(const Arch& arch, std::vector<std::string>& keys) const override;
  core::Graph piece_graph(const Arch& arch, std::size_t index, std::int64_t batch = 1) const override;

  const Nb201Options& options() const { return options_; }
  std::int64_t num_classes() const;
  std::int64_t resolution() const;

 private:
  /// Appends piece `index` (see piece_keys) to `g`, reading `x`; returns the piece's output.
  core::NodeId append_piece(core::Graph& g, core::NodeId x, const Arch& arch, std::size_t index) const;

  Nb201Options options_;
};

/// Registers "nb201" in `registry` (called by space_registry()).
void register_nb201(SpaceRegistry& registry);

}  // namespace hwnas::spaces
