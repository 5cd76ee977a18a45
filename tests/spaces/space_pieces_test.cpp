// The piece contract of SearchSpace::piece_keys/piece_graph, on the spaces that cut their networks:
// stitched back together the pieces are to_graph() node for node, and equal keys mean equal graphs.
#include <cctype>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "hwnas/core/error.h"
#include "hwnas/core/graph_json.h"
#include "hwnas/spaces/search_space.h"

namespace hwnas::spaces {
namespace {

using core::NodeId;
using core::OpKind;

/// The pieces of `arch`, each appended to one graph, the piece's input node standing for the previous
/// piece's output. Also checks each piece's shape: one input, one output.
core::Graph stitch(const SearchSpace& space, const Arch& arch, std::int64_t batch) {
  std::vector<std::string> keys;
  space.piece_keys(arch, keys);
  core::Graph whole(space.to_graph(arch, batch).name());
  NodeId x = whole.input(space.input_shape(batch), "input");
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const core::Graph piece = space.piece_graph(arch, i, batch);
    const auto inputs = piece.inputs();
    EXPECT_EQ(inputs.size(), 1u) << keys[i];
    EXPECT_EQ(piece.outputs().size(), 1u) << keys[i];
    EXPECT_EQ(piece.shape(inputs.front()), whole.shape(x)) << "piece " << keys[i] << " reads another shape";
    std::map<NodeId, NodeId> local{{inputs.front(), x}};
    for (const auto& node : piece.nodes()) {
      if (node.kind == OpKind::kInput) continue;
      std::vector<NodeId> in;
      for (NodeId id : node.inputs) in.push_back(local.at(id));
      local[node.id] = whole.add_node(node.kind, in, node.attrs, node.name);
    }
    x = local.at(piece.outputs().front());
  }
  whole.mark_output(x);
  return whole;
}

/// Kinds, attributes, shapes and wiring (not names) of a piece's nodes.
using Structure = std::vector<std::tuple<OpKind, core::OpAttrs, core::Shape, std::vector<NodeId>>>;
Structure structure(const core::Graph& g) {
  Structure out;
  for (const auto& node : g.nodes()) out.emplace_back(node.kind, node.attrs, node.shape, node.inputs);
  return out;
}

struct SpaceCase {
  std::string name;
  SpaceOptions options;
};

class SpacePieces : public ::testing::TestWithParam<SpaceCase> {};

TEST_P(SpacePieces, StitchedPiecesAreTheNetworkAndEqualKeysEqualGraphs) {
  const auto space = make_space(GetParam().name, GetParam().options);
  Rng rng(3);
  std::map<std::string, Structure> structure_of_key;
  std::vector<std::string> keys;
  for (int i = 0; i < 40; ++i) {
    const Arch arch = space->sample(rng);
    space->piece_keys(arch, keys);
    ASSERT_GT(keys.size(), 2u);
    for (std::int64_t batch : {1, 3})
      EXPECT_EQ(core::to_json(stitch(*space, arch, batch)), core::to_json(space->to_graph(arch, batch)))
          << space->to_string(arch) << " at batch " << batch;
    for (std::size_t p = 0; p < keys.size(); ++p) {
      const Structure s = structure(space->piece_graph(arch, p, 1));
      const auto [it, fresh] = structure_of_key.emplace(keys[p], s);
      EXPECT_TRUE(it->second == s) << "key " << keys[p] << " names two different pieces";
    }
  }
  // Pieces shared between architectures are what makes them worth caching.
  EXPECT_LT(structure_of_key.size(), 40 * keys.size());
}

TEST_P(SpacePieces, OutOfRangePieceAndBadGenesAreErrors) {
  const auto space = make_space(GetParam().name, GetParam().options);
  Rng rng(5);
  const Arch arch = space->sample(rng);
  std::vector<std::string> keys;
  space->piece_keys(arch, keys);
  EXPECT_THROW(space->piece_graph(arch, keys.size()), Error);
  Arch bad = arch;
  bad.genes.front() = 99;
  EXPECT_THROW(space->piece_keys(bad, keys), Error);
  bad.genes.pop_back();
  EXPECT_THROW(space->piece_keys(bad, keys), Error);
}

INSTANTIATE_TEST_SUITE_P(CutSpaces, SpacePieces,
                         ::testing::Values(SpaceCase{"nb201", {}}, SpaceCase{"nb201", {{"dataset", "imagenet16-120"}}},
                                           SpaceCase{"fbnet", {}}, SpaceCase{"fbnet", {{"dataset", "imagenet"}}}),
                         [](const auto& info) {
                           std::string label = info.param.name;
                           for (const auto& [k, v] : info.param.options) label += "_" + v;
                           for (char& c : label)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return label;
                         });

TEST(SpacePieces, SpacesThatDoNotCutHaveNoPieces) {
  const auto space = make_space("mobilenet");
  Rng rng(1);
  const Arch arch = space->sample(rng);
  std::vector<std::string> keys{"stale"};
  space->piece_keys(arch, keys);
  EXPECT_TRUE(keys.empty());
  EXPECT_THROW(space->piece_graph(arch, 0), Error);
}

}  // namespace
}  // namespace hwnas::spaces
