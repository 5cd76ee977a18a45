#include "hwnas/spaces/nb201.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "hwnas/core/error.h"
#include "hwnas/core/text.h"

namespace hwnas::spaces {
namespace {

using core::detail::trim;
using core::detail::split;

constexpr std::int64_t kStemChannels = 16;  // TinyNetwork C
constexpr int kCellsPerStage = 5;           // TinyNetwork N

// Gene position of edge from -> to in the canonical order (0->1),(0->2),(1->2),(0->3),(1->3),(2->3).
constexpr std::size_t edge_gene(int from, int to) { return static_cast<std::size_t>(to * (to - 1) / 2 + from); }

constexpr std::string_view kFormat = "|op~0|+|op~0|op~1|+|op~0|op~1|op~2|";

}  // namespace

const std::array<Nb201Edge, kNb201NumEdges>& nb201_edges() {
  static const std::array<Nb201Edge, kNb201NumEdges> edges{{{0, 1}, {0, 2}, {1, 2}, {0, 3}, {1, 3}, {2, 3}}};
  return edges;
}

const std::array<std::string_view, kNb201NumOps>& nb201_op_names() {
  static const std::array<std::string_view, kNb201NumOps> names{"none", "skip_connect", "nor_conv_1x1",
                                                                 "nor_conv_3x3", "avg_pool_3x3"};
  return names;
}

bool nb201_is_degenerate(const Arch& arch) {
  HWNAS_CHECK(arch.genes.size() == kNb201NumEdges, "nb201: architecture has {} genes, expected {}",
              arch.genes.size(), kNb201NumEdges);
  std::array<bool, kNb201NumNodes> reachable{true, false, false, false};
  for (const auto& e : nb201_edges())  // edges are sorted by target, so sources are final when read
    if (reachable[static_cast<std::size_t>(e.from)] && arch.genes[edge_gene(e.from, e.to)] != 0)
      reachable[static_cast<std::size_t>(e.to)] = true;
  return !reachable[kNb201NumNodes - 1];
}

std::string_view nb201_dataset_name(Nb201Dataset dataset) {
  switch (dataset) {
    case Nb201Dataset::kCifar10: return "cifar10";
    case Nb201Dataset::kCifar100: return "cifar100";
    case Nb201Dataset::kImageNet16_120: return "imagenet16-120";
  }
  HWNAS_ASSERT(false, "bad dataset");
  return "";
}

Nb201Options Nb201Options::from_map(const SpaceOptions& options) {
  reject_unknown_options("nb201", options, {"dataset"});
  Nb201Options out;
  if (auto it = options.find("dataset"); it != options.end()) {
    constexpr std::array all{Nb201Dataset::kCifar10, Nb201Dataset::kCifar100, Nb201Dataset::kImageNet16_120};
    const auto found = std::find_if(all.begin(), all.end(),
                                    [&](Nb201Dataset d) { return nb201_dataset_name(d) == it->second; });
    if (found == all.end())
      fail("nb201: unknown dataset '{}' (valid: cifar10, cifar100, imagenet16-120)", it->second);
    out.dataset = *found;
  }
  return out;
}

Nb201Space::Nb201Space(Nb201Options options) : options_(options) {}

std::string Nb201Space::description() const {
  return fmt::format("NAS-Bench-201 cell (6 edges x 5 ops, 15625 archs) in the C=16 N=5 TinyNetwork, dataset {}",
                     nb201_dataset_name(options_.dataset));
}

std::vector<int> Nb201Space::gene_choices() const { return std::vector<int>(kNb201NumEdges, kNb201NumOps); }

std::int64_t Nb201Space::num_classes() const {
  switch (options_.dataset) {
    case Nb201Dataset::kCifar10: return 10;
    case Nb201Dataset::kCifar100: return 100;
    case Nb201Dataset::kImageNet16_120: return 120;
  }
  return 0;
}

std::int64_t Nb201Space::resolution() const { return options_.dataset == Nb201Dataset::kImageNet16_120 ? 16 : 32; }

core::Shape Nb201Space::input_shape(std::int64_t batch) const { return {batch, 3, resolution(), resolution()}; }

std::string Nb201Space::to_string(const Arch& arch) const {
  validate(arch);
  std::string out;
  for (int to = 1; to < kNb201NumNodes; ++to) {
    if (to > 1) out += '+';
    out += '|';
    for (int from = 0; from < to; ++from)
      out += fmt::format("{}~{}|", nb201_op_names()[static_cast<std::size_t>(arch.genes[edge_gene(from, to)])], from);
  }
  return out;
}

Arch Nb201Space::from_string(std::string_view text) const {
  const std::string_view s = trim(text);
  const auto groups = split(s, '+');
  if (groups.size() != kNb201NumNodes - 1)
    fail("nb201: cell string '{}' has {} node groups separated by '+', expected {} ({})", s, groups.size(),
         kNb201NumNodes - 1, kFormat);
  Arch arch{std::vector<int>(kNb201NumEdges, 0)};
  for (int to = 1; to < kNb201NumNodes; ++to) {
    const std::string_view group = groups[static_cast<std::size_t>(to - 1)];
    if (group.size() < 2 || group.front() != '|' || group.back() != '|')
      fail("nb201: node group '{}' of '{}' must start and end with '|' ({})", group, s, kFormat);
    const auto tokens = split(group.substr(1, group.size() - 2), '|');
    if (tokens.size() != static_cast<std::size_t>(to))
      fail("nb201: node group '{}' (node {}) has {} edges, expected {} ({})", group, to, tokens.size(), to, kFormat);
    for (int from = 0; from < to; ++from) {
      const std::string_view token = tokens[static_cast<std::size_t>(from)];
      const std::size_t tilde = token.find('~');
      if (tilde == std::string_view::npos)
        fail("nb201: token '{}' (node {}) is not 'op~source' ({})", token, to, kFormat);
      const std::string_view op = token.substr(0, tilde);
      const auto& names = nb201_op_names();
      const auto it = std::find(names.begin(), names.end(), op);
      if (it == names.end())
        fail("nb201: unknown op '{}' in token '{}' (valid ops: {})", op, token, fmt::join(names, ", "));
      if (token.substr(tilde + 1) != std::to_string(from))
        fail("nb201: token '{}' has source '{}', expected {} (node {} lists its inputs 0..{} in order)", token,
             token.substr(tilde + 1), from, to, to - 1);
      arch.genes[edge_gene(from, to)] = static_cast<int>(it - names.begin());
    }
  }
  return arch;
}

namespace {

using core::NodeId;
using core::OpKind;

// ReLU -> Conv (no bias) -> BN(affine): NB201's ReLUConvBN, used by nor_conv_* and the reduction blocks.
NodeId relu_conv_bn(core::Graph& g, NodeId x, std::int64_t cout, std::int64_t k, std::int64_t stride,
                    const std::string& at) {
  x = g.unary(OpKind::kRelu, x, at + "/relu");
  x = g.conv2d(x, {.out_channels = cout, .kernel = k, .stride = stride, .padding = k / 2}, at + "/conv");
  return g.batch_norm(x, {}, at + "/bn");
}

NodeId edge_op(core::Graph& g, NodeId x, int op, const std::string& at) {
  const std::int64_t c = g.shape(x)[1];
  switch (static_cast<Nb201Op>(op)) {
    case Nb201Op::kNone: return g.unary(OpKind::kZero, x, at + "/zero");  // x.mul(0.) in the original
    case Nb201Op::kSkipConnect: return x;                                 // identity: no node
    case Nb201Op::kNorConv1x1: return relu_conv_bn(g, x, c, 1, 1, at);
    case Nb201Op::kNorConv3x3: return relu_conv_bn(g, x, c, 3, 1, at);
    case Nb201Op::kAvgPool3x3:
      return g.avg_pool(x, {.kernel = 3, .stride = 1, .padding = 1, .count_include_pad = false}, at + "/pool");
  }
  HWNAS_ASSERT(false, "bad nb201 op {}", op);
  return x;
}

// InferCell: node j = sum_{i<j} op_ij(node i), summed in edge order. (Python's sum() also adds a leading
// scalar 0, which is not an op of the network and is left out.)
NodeId infer_cell(core::Graph& g, NodeId x, const Arch& arch, std::size_t index) {
  std::array<NodeId, kNb201NumNodes> nodes{x, -1, -1, -1};
  for (int to = 1; to < kNb201NumNodes; ++to) {
    NodeId sum = -1;
    for (int from = 0; from < to; ++from) {
      const std::string at = fmt::format("cell{}/edge{}->{}", index, from, to);
      const NodeId v = edge_op(g, nodes[static_cast<std::size_t>(from)], arch.genes[edge_gene(from, to)], at);
      sum = sum < 0 ? v : g.add(sum, v, fmt::format("cell{}/node{}/add{}", index, to, from));
    }
    nodes[static_cast<std::size_t>(to)] = sum;
  }
  return nodes[kNb201NumNodes - 1];
}

// ResNetBasicblock(stride 2): residual (AvgPool 2x2 s2 -> Conv1x1, no BN) + two ReLUConvBN.
NodeId reduction_block(core::Graph& g, NodeId x, std::int64_t cout, std::size_t index) {
  const std::string at = fmt::format("cell{}", index);
  NodeId y = relu_conv_bn(g, x, cout, 3, 2, at + "/conv_a");
  y = relu_conv_bn(g, y, cout, 3, 1, at + "/conv_b");
  NodeId r = g.avg_pool(x, {.kernel = 2, .stride = 2}, at + "/downsample/pool");
  r = g.conv2d(r, {.out_channels = cout, .kernel = 1}, at + "/downsample/conv");
  return g.add(r, y, at + "/add");
}

// TinyNetwork as pieces: the stem, then each of TinyNetwork.cells[0..16] (the 15 searched cells and, at
// 5 and 11, the reduction blocks), the head joined to the last cell. Every cut is then at a tensor with
// several readers (a cell's or a reduction block's input), which no fused kernel can cross; the last
// cell's output has the head's bn as its only reader, and a platform fusing add-bn would fuse across it.
constexpr std::size_t kCells = 3 * kCellsPerStage + 2;
constexpr std::size_t kPieces = 1 + kCells;
constexpr bool is_reduction(std::size_t cell) { return (cell + 1) % (kCellsPerStage + 1) == 0; }
constexpr int stage_of(std::size_t cell) { return static_cast<int>((cell + 1) / (kCellsPerStage + 1)); }

}  // namespace

void Nb201Space::piece_keys(const Arch& arch, std::vector<std::string>& keys) const {
  // Called for every candidate a predictor prices: keys are short (no heap) and built by hand.
  if (arch.genes.size() != kNb201NumEdges ||
      std::any_of(arch.genes.begin(), arch.genes.end(), [](int g) { return g < 0 || g >= kNb201NumOps; }))
    validate(arch);  // throws, naming the bad gene
  keys.resize(kPieces);
  keys[0] = "stem";
  for (std::size_t cell = 0; cell < kCells; ++cell) {
    std::string& key = keys[cell + 1];
    const char stage = static_cast<char>('0' + stage_of(cell));
    if (is_reduction(cell)) {
      key = {'r', stage};
      continue;
    }
    key = {'c', stage, ':'};
    for (int g : arch.genes) key += static_cast<char>('0' + g);
    if (cell + 1 == kCells) key += "+head";
  }
}

core::Graph Nb201Space::piece_graph(const Arch& arch, std::size_t index, std::int64_t batch) const {
  validate(arch);
  HWNAS_CHECK(index < kPieces, "nb201: piece {} asked for, the network has {} (0..{})", index, kPieces, kPieces - 1);
  core::Shape in = input_shape(batch);
  if (index > 0) {
    const std::size_t cell = index - 1;
    const int stage = stage_of(cell) - (is_reduction(cell) ? 1 : 0);  // a reduction block reads the stage before
    in = {batch, kStemChannels << stage, resolution() >> stage, resolution() >> stage};
  }
  return chain_of_pieces(fmt::format("nb201_{}_piece{}", nb201_dataset_name(options_.dataset), index), in, index,
                         index + 1,
                         [&](core::Graph& g, NodeId x, std::size_t piece) { return append_piece(g, x, arch, piece); });
}

core::Graph Nb201Space::to_graph(const Arch& arch, std::int64_t batch) const {
  validate(arch);
  return chain_of_pieces(fmt::format("nb201_{}", nb201_dataset_name(options_.dataset)), input_shape(batch), 0, kPieces,
                         [&](core::Graph& g, NodeId x, std::size_t piece) { return append_piece(g, x, arch, piece); });
}

core::NodeId Nb201Space::append_piece(core::Graph& g, core::NodeId x, const Arch& arch, std::size_t index) const {
  if (index == 0) {
    x = g.conv2d(x, {.out_channels = kStemChannels, .kernel = 3, .padding = 1}, "stem/conv");
    return g.batch_norm(x, {}, "stem/bn");
  }
  const std::size_t cell = index - 1;  // position in TinyNetwork.cells
  if (is_reduction(cell)) return reduction_block(g, x, kStemChannels << stage_of(cell), cell);
  x = infer_cell(g, x, arch, cell);
  if (cell + 1 < kCells) return x;
  x = g.batch_norm(x, {}, "lastact/bn");
  x = g.unary(OpKind::kRelu, x, "lastact/relu");
  x = g.global_avg_pool(x, "global_pool");
  x = g.flatten(x, "flatten");
  x = g.linear(x, {.out_features = num_classes()}, "classifier");
  return x;
}

void register_nb201(SpaceRegistry& registry) {
  registry.add(
      "nb201",
      [](const SpaceOptions& options) { return std::make_unique<Nb201Space>(Nb201Options::from_map(options)); },
      "NAS-Bench-201 cell space (15625 archs); options: dataset=cifar10|cifar100|imagenet16-120");
}

}  // namespace hwnas::spaces
