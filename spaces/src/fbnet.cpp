#include "hwnas/spaces/fbnet.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "hwnas/core/error.h"
#include "hwnas/core/text.h"

namespace hwnas::spaces {
namespace {

using core::detail::trim;

constexpr std::array<int, 7> kStageLayers{1, 4, 4, 4, 4, 4, 1};
constexpr std::array<std::int64_t, 7> kStageChannels{16, 24, 32, 64, 112, 184, 352};
constexpr std::array<std::int64_t, 7> kCifarStrides{1, 1, 2, 2, 1, 2, 1};
constexpr std::array<std::int64_t, 7> kImageNetStrides{1, 2, 2, 2, 1, 2, 1};
constexpr std::int64_t kStemChannels = 16;

std::string candidate_list() {
  std::string out;
  for (std::size_t i = 0; i < fbnet_candidates().size(); ++i)
    out += fmt::format("{}{} {}", i ? ", " : "", i, fbnet_candidates()[i].name);
  return out;
}

std::int64_t stem_stride(FbnetDataset dataset) { return dataset == FbnetDataset::kImageNet ? 2 : 1; }

}  // namespace

const std::array<FbnetCandidate, kFbnetNumCandidates>& fbnet_candidates() {
  static const std::array<FbnetCandidate, kFbnetNumCandidates> candidates{{
      {"k3_e1", 1, 3, 1, false},
      {"k3_e1_g2", 1, 3, 2, false},
      {"k3_e3", 3, 3, 1, false},
      {"k3_e6", 6, 3, 1, false},
      {"k5_e1", 1, 5, 1, false},
      {"k5_e1_g2", 1, 5, 2, false},
      {"k5_e3", 3, 5, 1, false},
      {"k5_e6", 6, 5, 1, false},
      {"skip", 1, 1, 1, true},
  }};
  return candidates;
}

std::string_view fbnet_dataset_name(FbnetDataset dataset) {
  return dataset == FbnetDataset::kImageNet ? "imagenet" : "cifar100";
}

std::vector<FbnetLayer> fbnet_layers(FbnetDataset dataset) {
  const auto& strides = dataset == FbnetDataset::kImageNet ? kImageNetStrides : kCifarStrides;
  std::int64_t resolution = (dataset == FbnetDataset::kImageNet ? 224 : 32) / stem_stride(dataset);
  std::int64_t channels = kStemChannels;
  std::vector<FbnetLayer> layers;
  for (std::size_t stage = 0; stage < kStageLayers.size(); ++stage) {
    for (int i = 0; i < kStageLayers[stage]; ++i) {
      const std::int64_t stride = i == 0 ? strides[stage] : 1;  // only a stage's first layer strides
      layers.push_back({static_cast<int>(stage), channels, kStageChannels[stage], stride, resolution});
      channels = kStageChannels[stage];
      resolution /= stride;  // every resolution here is even before a stride-2 layer
    }
  }
  HWNAS_ASSERT(layers.size() == kFbnetNumLayers);
  return layers;
}

FbnetOptions FbnetOptions::from_map(const SpaceOptions& options) {
  reject_unknown_options("fbnet", options, {"dataset"});
  FbnetOptions out;
  if (auto it = options.find("dataset"); it != options.end()) {
    if (it->second == "cifar100")
      out.dataset = FbnetDataset::kCifar100;
    else if (it->second == "imagenet")
      out.dataset = FbnetDataset::kImageNet;
    else
      fail("fbnet: unknown dataset '{}' (valid: cifar100, imagenet)", it->second);
  }
  return out;
}

FbnetSpace::FbnetSpace(FbnetOptions options) : options_(options), layers_(fbnet_layers(options.dataset)) {}

std::string FbnetSpace::description() const {
  return fmt::format("FBNet (HW-NAS-Bench): 22 layers x 9 blocks (9^22 archs), dataset {}",
                     fbnet_dataset_name(options_.dataset));
}

std::vector<int> FbnetSpace::gene_choices() const { return std::vector<int>(kFbnetNumLayers, kFbnetNumCandidates); }

std::int64_t FbnetSpace::num_classes() const { return options_.dataset == FbnetDataset::kImageNet ? 1000 : 100; }
std::int64_t FbnetSpace::resolution() const { return options_.dataset == FbnetDataset::kImageNet ? 224 : 32; }
std::int64_t FbnetSpace::header_channels() const { return options_.dataset == FbnetDataset::kImageNet ? 1984 : 1504; }

core::Shape FbnetSpace::input_shape(std::int64_t batch) const { return {batch, 3, resolution(), resolution()}; }

std::string FbnetSpace::to_string(const Arch& arch) const {
  validate(arch);
  std::string out;
  for (int g : arch.genes) out += static_cast<char>('0' + g);
  return out;
}

Arch FbnetSpace::from_string(std::string_view text) const {
  const std::string_view s = trim(text);
  if (s.size() != kFbnetNumLayers)
    fail("fbnet: architecture '{}' has {} characters, expected {} digits 0-8 ({})", s, s.size(), kFbnetNumLayers,
         candidate_list());
  Arch arch;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] >= '0' + kFbnetNumCandidates)
      fail("fbnet: character '{}' at position {} of '{}' is not a digit 0-8 ({})", s[i], i, s, candidate_list());
    arch.genes.push_back(s[i] - '0');
  }
  return arch;
}

namespace {

using core::NodeId;
using core::OpKind;

// Conv (no bias) -> BN [-> ReLU].
NodeId conv_bn(core::Graph& g, NodeId x, core::Conv2dAttrs attrs, bool relu, const std::string& at) {
  x = g.conv2d(x, attrs, at + "/conv");
  x = g.batch_norm(x, {}, at + "/bn");
  return relu ? g.unary(OpKind::kRelu, x, at + "/relu") : x;
}

// Pieces: the stem, one per searchable layer, the header (with pooling and classifier).
constexpr std::size_t kPieces = 1 + kFbnetNumLayers + 1;

}  // namespace

void FbnetSpace::piece_keys(const Arch& arch, std::vector<std::string>& keys) const {
  // Called for every candidate a predictor prices: keys are short (no heap) and built by hand.
  if (arch.genes.size() != kFbnetNumLayers ||
      std::any_of(arch.genes.begin(), arch.genes.end(), [](int g) { return g < 0 || g >= kFbnetNumCandidates; }))
    validate(arch);  // throws, naming the bad gene
  keys.resize(kPieces);
  keys.front() = "stem";
  for (std::size_t l = 0; l < kFbnetNumLayers; ++l) {
    std::string& key = keys[l + 1];
    key = {'L', static_cast<char>('0' + l / 10), static_cast<char>('0' + l % 10), ':',
           static_cast<char>('0' + arch.genes[l])};
  }
  keys.back() = "header";
}

core::Graph FbnetSpace::piece_graph(const Arch& arch, std::size_t index, std::int64_t batch) const {
  validate(arch);
  HWNAS_CHECK(index < kPieces, "fbnet: piece {} asked for, the network has {} (0..{})", index, kPieces, kPieces - 1);
  core::Shape in = input_shape(batch);
  if (index > kFbnetNumLayers) {
    const FbnetLayer& last = layers_.back();
    in = {batch, last.out_channels, last.input_resolution / last.stride, last.input_resolution / last.stride};
  } else if (index > 0) {
    const FbnetLayer& layer = layers_[index - 1];
    in = {batch, layer.in_channels, layer.input_resolution, layer.input_resolution};
  }
  return chain_of_pieces(fmt::format("fbnet_{}_piece{}", fbnet_dataset_name(options_.dataset), index), in, index,
                         index + 1,
                         [&](core::Graph& g, NodeId x, std::size_t piece) { return append_piece(g, x, arch, piece); });
}

core::Graph FbnetSpace::to_graph(const Arch& arch, std::int64_t batch) const {
  validate(arch);
  return chain_of_pieces(fmt::format("fbnet_{}", fbnet_dataset_name(options_.dataset)), input_shape(batch), 0, kPieces,
                         [&](core::Graph& g, NodeId x, std::size_t piece) { return append_piece(g, x, arch, piece); });
}

core::NodeId FbnetSpace::append_piece(core::Graph& g, core::NodeId x, const Arch& arch, std::size_t index) const {
  if (index == 0) {
    const std::int64_t stride = stem_stride(options_.dataset);
    return conv_bn(g, x, {.out_channels = kStemChannels, .kernel = 3, .stride = stride, .padding = 1}, true, "stem");
  }
  if (index > kFbnetNumLayers) {
    x = conv_bn(g, x, {.out_channels = header_channels(), .kernel = 1}, true, "header");
    x = g.global_avg_pool(x, "global_pool");
    x = g.flatten(x, "flatten");
    return g.linear(x, {.out_features = num_classes()}, "classifier");
  }
  const std::size_t l = index - 1;
  const FbnetLayer& layer = layers_[l];
  const FbnetCandidate& c = fbnet_candidates()[static_cast<std::size_t>(arch.genes[l])];
  const std::string at = fmt::format("layer{}", l);
  const bool same_shape = layer.in_channels == layer.out_channels && layer.stride == 1;
  if (c.skip)  // identity when the shapes agree: no node
    return same_shape ? x
                      : conv_bn(g, x, {.out_channels = layer.out_channels, .kernel = 1, .stride = layer.stride}, true,
                                at + "/skip");
  const std::int64_t mid = layer.in_channels * c.expansion;  // expansion is on Cin
  NodeId y = conv_bn(g, x, {.out_channels = mid, .kernel = 1, .groups = c.groups}, true, at + "/expand");
  if (c.groups > 1) y = g.channel_shuffle(y, c.groups, at + "/shuffle");
  // pad = ceil((k - s) / 2): 1 for k=3 and 2 for k=5 at either stride.
  y = conv_bn(g, y, {.out_channels = mid, .kernel = c.kernel, .stride = layer.stride,
                     .padding = (c.kernel - layer.stride + 1) / 2, .groups = mid},
              true, at + "/dw");
  y = conv_bn(g, y, {.out_channels = layer.out_channels, .kernel = 1, .groups = c.groups}, false, at + "/project");
  return same_shape ? g.add(y, x, at + "/add") : y;  // no ReLU after the add
}

void register_fbnet(SpaceRegistry& registry) {
  registry.add(
      "fbnet", [](const SpaceOptions& options) { return std::make_unique<FbnetSpace>(FbnetOptions::from_map(options)); },
      "FBNet space of HW-NAS-Bench (22 layers x 9 blocks); options: dataset=cifar100|imagenet");
}

}  // namespace hwnas::spaces
