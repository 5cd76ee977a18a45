#include "hwnas/spaces/fbnet.h"

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

FbnetSpace::FbnetSpace(FbnetOptions options) : options_(options) {}

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

core::Graph FbnetSpace::to_graph(const Arch& arch, std::int64_t batch) const {
  validate(arch);
  using core::NodeId;
  using core::OpKind;
  core::Graph g(fmt::format("fbnet_{}", fbnet_dataset_name(options_.dataset)));

  // Conv (no bias) -> BN [-> ReLU].
  auto conv_bn = [&](NodeId x, core::Conv2dAttrs attrs, bool relu, const std::string& at) {
    x = g.conv2d(x, attrs, at + "/conv");
    x = g.batch_norm(x, {}, at + "/bn");
    return relu ? g.unary(OpKind::kRelu, x, at + "/relu") : x;
  };

  NodeId x = g.input(input_shape(batch), "input");
  x = conv_bn(x, {.out_channels = kStemChannels, .kernel = 3, .stride = stem_stride(options_.dataset), .padding = 1},
              true, "stem");

  const auto layers = fbnet_layers(options_.dataset);
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const FbnetLayer& layer = layers[l];
    const FbnetCandidate& c = fbnet_candidates()[static_cast<std::size_t>(arch.genes[l])];
    const std::string at = fmt::format("layer{}", l);
    const bool same_shape = layer.in_channels == layer.out_channels && layer.stride == 1;
    if (c.skip) {
      if (!same_shape)
        x = conv_bn(x, {.out_channels = layer.out_channels, .kernel = 1, .stride = layer.stride}, true, at + "/skip");
      continue;  // identity otherwise: no node
    }
    const std::int64_t mid = layer.in_channels * c.expansion;  // expansion is on Cin
    NodeId y = conv_bn(x, {.out_channels = mid, .kernel = 1, .groups = c.groups}, true, at + "/expand");
    if (c.groups > 1) y = g.channel_shuffle(y, c.groups, at + "/shuffle");
    // pad = ceil((k - s) / 2): 1 for k=3 and 2 for k=5 at either stride.
    y = conv_bn(y, {.out_channels = mid, .kernel = c.kernel, .stride = layer.stride,
                    .padding = (c.kernel - layer.stride + 1) / 2, .groups = mid},
                true, at + "/dw");
    y = conv_bn(y, {.out_channels = layer.out_channels, .kernel = 1, .groups = c.groups}, false, at + "/project");
    x = same_shape ? g.add(y, x, at + "/add") : y;  // no ReLU after the add
  }

  x = conv_bn(x, {.out_channels = header_channels(), .kernel = 1}, true, "header");
  x = g.global_avg_pool(x, "global_pool");
  x = g.flatten(x, "flatten");
  x = g.linear(x, {.out_features = num_classes()}, "classifier");
  g.mark_output(x);
  return g;
}

void register_fbnet(SpaceRegistry& registry) {
  registry.add(
      "fbnet", [](const SpaceOptions& options) { return std::make_unique<FbnetSpace>(FbnetOptions::from_map(options)); },
      "FBNet space of HW-NAS-Bench (22 layers x 9 blocks); options: dataset=cifar100|imagenet");
}

}  // namespace hwnas::spaces
