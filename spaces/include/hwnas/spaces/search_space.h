#pragma once
/// The search-space interface. An architecture is a genotype: a vector of categorical genes, gene i
/// taking values 0..gene_choices()[i]-1. Each space also has a human string form (NB201's cell string,
/// FBNet's 22 digits, ...) and lowers an architecture to the graph IR.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "hwnas/core/graph.h"
#include "hwnas/core/registry.h"

namespace hwnas::spaces {

using Rng = std::mt19937_64;

struct Arch {
  std::vector<int> genes;
  bool operator==(const Arch&) const = default;
};

struct ArchHash {
  std::size_t operator()(const Arch& arch) const;
};

/// Space options from a config or the command line (e.g. {"dataset": "cifar100"}). A space rejects
/// keys it does not know, naming them.
using SpaceOptions = std::map<std::string, std::string>;

class SearchSpace {
 public:
  virtual ~SearchSpace() = default;

  /// Registry name ("nb201").
  virtual std::string name() const = 0;
  /// One line for `hwnas spaces`.
  virtual std::string description() const = 0;
  /// Number of choices of each gene; its size is the genotype length.
  virtual std::vector<int> gene_choices() const = 0;
  /// Shape of the network input at batch size `batch` (NCHW).
  virtual core::Shape input_shape(std::int64_t batch = 1) const = 0;

  /// The space's canonical string form of an architecture.
  virtual std::string to_string(const Arch& arch) const = 0;
  /// Parses the string form; throws hwnas::Error naming the bad token and the valid ones.
  virtual Arch from_string(std::string_view text) const = 0;
  /// Lowers an architecture to the graph IR at batch size `batch`; the graph's single output is the logits.
  virtual core::Graph to_graph(const Arch& arch, std::int64_t batch = 1) const = 0;

  /// The network of `arch` as a chain of pieces (stem, cells or blocks, head), so that a latency
  /// predictor can price each distinct piece once for every candidate that shares it. Contract: piece i
  /// reads exactly one tensor, the output of piece i-1 (the network input for piece 0), and no piece but
  /// i+1 reads its output; building the pieces' ops in order gives to_graph(arch); two pieces of this
  /// space object with equal keys have equal graphs. Replaces `keys` with one key per piece, or leaves it
  /// empty when the space does not cut its networks (the default). Where to cut is the space's choice,
  /// but a predictor must still check each cut against its fusion rules (a fused kernel may cross it).
  virtual void piece_keys(const Arch& arch, std::vector<std::string>& keys) const;
  /// Piece `index` of piece_keys(arch) at batch size `batch`: an input node of the shape the piece reads,
  /// the piece's ops as to_graph() builds them, and one output (what the next piece reads; the logits for
  /// the last). A piece without ops (an identity block) is its input marked as the output. Throws
  /// hwnas::Error when the space has no pieces or `index` is out of range.
  virtual core::Graph piece_graph(const Arch& arch, std::size_t index, std::int64_t batch = 1) const;

  /// Throws hwnas::Error unless every gene is in range (spaces with constraints between genes add them).
  virtual void validate(const Arch& arch) const;
  /// Whether `gene` changes the network of `arch` (a block slot past its stage's depth does not).
  /// Every gene is active by default.
  virtual bool is_active(const Arch& arch, int gene) const;
  /// The canonical form of `arch`: inactive genes reset to 0, so equal networks compare and hash
  /// equal. Identity by default.
  virtual Arch normalize(const Arch& arch) const;
  /// Uniform over genes, normalized.
  virtual Arch sample(Rng& rng) const;
  /// Changes exactly one active gene to another of its values; genes the change makes active (a
  /// deeper stage's new slots) are drawn uniformly. Normalized.
  virtual Arch mutate(const Arch& arch, Rng& rng) const;
  /// Uniform crossover (each gene from either parent), normalized.
  virtual Arch crossover(const Arch& a, const Arch& b, Rng& rng) const;

  /// Number of architectures (product of gene choices), as a double since spaces can be astronomically large.
  double size() const;
  /// True when enumerate() is practical (at most a million architectures).
  bool is_enumerable() const { return size() <= 1e6; }
  /// Every architecture in mixed-radix order (gene 0 most significant); throws unless enumerable.
  std::vector<Arch> enumerate() const;

 protected:
  /// For spaces whose networks are chains of pieces, to build to_graph() (all pieces) and piece_graph()
  /// (one) alike: a graph named `name` with one input of shape `input`, pieces [first, last) appended in
  /// order by `append_piece(graph, x, index)` (returning the piece's output), the last output marked.
  using PieceAppender = std::function<core::NodeId(core::Graph&, core::NodeId, std::size_t)>;
  static core::Graph chain_of_pieces(std::string name, const core::Shape& input, std::size_t first, std::size_t last,
                                     const PieceAppender& append_piece);
};

using SpaceRegistry = core::Registry<SearchSpace, const SpaceOptions&>;

/// The registry of built-in spaces (and of spaces added by plugins at run time).
SpaceRegistry& space_registry();

/// Creates a space by name; options not understood by the space are rejected.
std::unique_ptr<SearchSpace> make_space(const std::string& name, const SpaceOptions& options = {});

/// Helper for space factories: throws naming any option key not in `known`.
void reject_unknown_options(const std::string& space, const SpaceOptions& options,
                            const std::vector<std::string>& known);

}  // namespace hwnas::spaces
