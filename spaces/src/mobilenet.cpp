#include "hwnas/spaces/mobilenet.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "hwnas/core/error.h"
#include "hwnas/core/text.h"

namespace hwnas::spaces {
namespace {

using core::detail::trim;
using core::detail::split;

using core::NodeId;
using core::OpKind;

constexpr std::int64_t kFirstConvChannels = 16;  // also the fixed first block's width
constexpr std::int64_t kFinalExpandChannels = 960;
constexpr std::int64_t kFeatureMixChannels = 1280;
constexpr std::int64_t kNumClasses = 1000;
constexpr int kChannelDivisor = 8;  // MyNetwork.CHANNEL_DIVISIBLE
constexpr int kSeReduction = 4;

// OFA's make_divisible(v, 8): round to the nearest multiple of 8 (at least 8), never dropping more than 10%.
std::int64_t make_divisible(double v) {
  std::int64_t out = std::max<std::int64_t>(
      kChannelDivisor, static_cast<std::int64_t>(v + kChannelDivisor / 2.0) / kChannelDivisor * kChannelDivisor);
  if (static_cast<double>(out) < 0.9 * v) out += kChannelDivisor;
  return out;
}

// The whole of `text` as a non-negative decimal integer, or -1.
int parse_int(std::string_view text) {
  int value = -1;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) return -1;
  return value;
}

template <std::size_t N>
int index_of(const std::array<int, N>& values, int value) {
  const auto it = std::find(values.begin(), values.end(), value);
  return it == values.end() ? -1 : static_cast<int>(it - values.begin());
}

int stage_of_slot(int slot) { return slot / kMobilenetMaxDepth; }
int block_of_slot(int slot) { return slot % kMobilenetMaxDepth; }

}  // namespace

const std::vector<int>& mobilenet_resolutions() {
  static const std::vector<int> resolutions = [] {
    std::vector<int> out;
    for (int r = 128; r <= 224; r += 4) out.push_back(r);
    return out;
  }();
  return resolutions;
}

const std::array<MobilenetStage, kMobilenetNumStages>& mobilenet_stages() {
  static const std::array<MobilenetStage, kMobilenetNumStages> stages{{
      {24, 2, OpKind::kRelu, false},
      {40, 2, OpKind::kRelu, true},
      {80, 2, OpKind::kHardswish, false},
      {112, 1, OpKind::kHardswish, true},
      {160, 2, OpKind::kHardswish, true},
  }};
  return stages;
}

MobilenetSubnet MobilenetSubnet::uniform(int depth, int kernel, int expand, int resolution) {
  MobilenetSubnet s;
  s.depths.fill(depth);
  s.kernels.fill(kernel);
  s.expands.fill(expand);
  s.resolution = resolution;
  return s;
}

std::string MobilenetSpace::description() const {
  return "OFA MobileNetV3 (ofa_mbv3_d234_e346_k357_w1.0): 5 stages x depth {2,3,4}, per block kernel {3,5,7} "
         "x expand {3,4,6}, resolution 128..224 step 4 (~5.5e20 archs)";
}

std::vector<int> MobilenetSpace::gene_choices() const {
  std::vector<int> choices(kMobilenetNumGenes, 3);
  choices[kMobilenetResolutionGene] = static_cast<int>(mobilenet_resolutions().size());
  return choices;
}

core::Shape MobilenetSpace::input_shape(std::int64_t batch) const { return {batch, 3, 224, 224}; }

bool MobilenetSpace::is_active(const Arch& arch, int gene) const {
  HWNAS_CHECK(static_cast<int>(arch.genes.size()) == kMobilenetNumGenes && gene >= 0 && gene < kMobilenetNumGenes,
              "mobilenet: no gene {} in an architecture of {} genes (expected {})", gene, arch.genes.size(),
              kMobilenetNumGenes);
  if (gene < kMobilenetNumStages || gene == kMobilenetResolutionGene) return true;
  const int slot = (gene - kMobilenetNumStages) / 2;
  const int depth_index = arch.genes[static_cast<std::size_t>(stage_of_slot(slot))];
  HWNAS_CHECK(depth_index >= 0 && depth_index < 3, "mobilenet: depth gene {} is {}, expected 0..2", stage_of_slot(slot),
              depth_index);
  return block_of_slot(slot) < kMobilenetDepths[static_cast<std::size_t>(depth_index)];
}

Arch MobilenetSpace::normalize(const Arch& arch) const {
  validate(arch);
  Arch out = arch;
  for (int g = 0; g < kMobilenetNumGenes; ++g)
    if (!is_active(arch, g)) out.genes[static_cast<std::size_t>(g)] = 0;
  return out;
}

MobilenetSubnet MobilenetSpace::decode(const Arch& arch) {
  MobilenetSpace{}.validate(arch);
  const auto gene = [&](int i) { return static_cast<std::size_t>(arch.genes[static_cast<std::size_t>(i)]); };
  MobilenetSubnet s;
  for (int st = 0; st < kMobilenetNumStages; ++st)
    s.depths[static_cast<std::size_t>(st)] = kMobilenetDepths[gene(mobilenet_depth_gene(st))];
  for (int slot = 0; slot < kMobilenetNumSlots; ++slot) {
    s.kernels[static_cast<std::size_t>(slot)] = kMobilenetKernels[gene(mobilenet_kernel_gene(slot))];
    s.expands[static_cast<std::size_t>(slot)] = kMobilenetExpandRatios[gene(mobilenet_expand_gene(slot))];
  }
  s.resolution = mobilenet_resolutions()[gene(kMobilenetResolutionGene)];
  return s;
}

Arch MobilenetSpace::encode(const MobilenetSubnet& subnet) {
  Arch arch{std::vector<int>(kMobilenetNumGenes, 0)};
  const auto set = [&](int gene, int index, std::string_view what, int value, const auto& valid) {
    if (index < 0) fail("mobilenet: {} {} is not a valid choice (valid: {})", what, value, fmt::join(valid, ", "));
    arch.genes[static_cast<std::size_t>(gene)] = index;
  };
  for (int st = 0; st < kMobilenetNumStages; ++st) {
    const int d = subnet.depths[static_cast<std::size_t>(st)];
    set(mobilenet_depth_gene(st), index_of(kMobilenetDepths, d), "depth", d, kMobilenetDepths);
  }
  const MobilenetSpace space;
  for (int slot = 0; slot < kMobilenetNumSlots; ++slot) {
    if (!space.is_active(arch, mobilenet_kernel_gene(slot))) continue;  // depths are already set
    const int k = subnet.kernels[static_cast<std::size_t>(slot)];
    const int e = subnet.expands[static_cast<std::size_t>(slot)];
    set(mobilenet_kernel_gene(slot), index_of(kMobilenetKernels, k), "kernel size", k, kMobilenetKernels);
    set(mobilenet_expand_gene(slot), index_of(kMobilenetExpandRatios, e), "expand ratio", e, kMobilenetExpandRatios);
  }
  const auto& res = mobilenet_resolutions();
  const auto it = std::find(res.begin(), res.end(), subnet.resolution);
  if (it == res.end())
    fail("mobilenet: resolution {} is not a valid choice (valid: 128, 132, ..., 224)", subnet.resolution);
  arch.genes[kMobilenetResolutionGene] = static_cast<int>(it - res.begin());
  return arch;
}

std::string MobilenetSpace::to_string(const Arch& arch) const {
  const Arch a = normalize(arch);
  const MobilenetSubnet s = decode(a);
  std::vector<std::string> slots;
  for (int slot = 0; slot < kMobilenetNumSlots; ++slot)
    slots.push_back(is_active(a, mobilenet_kernel_gene(slot))
                        ? fmt::format("k{}e{}", s.kernels[static_cast<std::size_t>(slot)],
                                      s.expands[static_cast<std::size_t>(slot)])
                        : std::string("-"));
  return fmt::format("d{}:{}:r{}", fmt::join(s.depths, ","), fmt::join(slots, ","), s.resolution);
}

Arch MobilenetSpace::from_string(std::string_view text) const {
  const std::string_view s = trim(text);
  const auto parts = split(s, ':');
  if (parts.size() != 3)
    fail(
        "mobilenet: architecture '{}' has {} ':'-separated parts, expected 3: d<5 depths>:<20 blocks>:r<resolution> "
        "(e.g. d4,4,4,4,4:k7e6,...:r224)",
        s, parts.size());

  MobilenetSubnet subnet = MobilenetSubnet::uniform(2, 3, 3);
  if (parts[0].empty() || parts[0][0] != 'd')
    fail("mobilenet: depth part '{}' of '{}' must start with 'd' (e.g. d2,3,4,2,3)", parts[0], s);
  const auto depths = split(parts[0].substr(1), ',');
  if (depths.size() != kMobilenetNumStages)
    fail("mobilenet: depth part '{}' has {} values, expected {} (one per stage)", parts[0], depths.size(),
         kMobilenetNumStages);
  for (int st = 0; st < kMobilenetNumStages; ++st) {
    const auto token = depths[static_cast<std::size_t>(st)];
    const int d = parse_int(token);
    if (index_of(kMobilenetDepths, d) < 0)
      fail("mobilenet: depth '{}' of stage {} in '{}' is not valid (valid: {})", token, st + 1, parts[0],
           fmt::join(kMobilenetDepths, ", "));
    subnet.depths[static_cast<std::size_t>(st)] = d;
  }

  const auto blocks = split(parts[1], ',');
  if (blocks.size() != kMobilenetNumSlots)
    fail("mobilenet: block part of '{}' has {} tokens, expected {} (4 per stage, '-' beyond a stage's depth)", s,
         blocks.size(), kMobilenetNumSlots);
  for (int slot = 0; slot < kMobilenetNumSlots; ++slot) {
    const auto token = blocks[static_cast<std::size_t>(slot)];
    const int stage = stage_of_slot(slot);
    const bool active = block_of_slot(slot) < subnet.depths[static_cast<std::size_t>(stage)];
    const std::string where = fmt::format("block {} of stage {}", block_of_slot(slot) + 1, stage + 1);
    if (token == "-") {
      if (active)
        fail("mobilenet: block token '-' at {} is inside the stage's depth {}; expected k<3|5|7>e<3|4|6>", where,
             subnet.depths[static_cast<std::size_t>(stage)]);
      continue;
    }
    const auto e_pos = token.find('e');
    const int k = token.size() > 1 && token[0] == 'k' && e_pos != std::string_view::npos
                      ? parse_int(token.substr(1, e_pos - 1))
                      : -1;
    const int e = e_pos != std::string_view::npos ? parse_int(token.substr(e_pos + 1)) : -1;
    if (index_of(kMobilenetKernels, k) < 0 || index_of(kMobilenetExpandRatios, e) < 0)
      fail("mobilenet: block token '{}' at {} is not valid (expected k<{}>e<{}>{})", token, where,
           fmt::join(kMobilenetKernels, "|"), fmt::join(kMobilenetExpandRatios, "|"), active ? "" : " or '-'");
    subnet.kernels[static_cast<std::size_t>(slot)] = k;
    subnet.expands[static_cast<std::size_t>(slot)] = e;
  }

  const auto& res = mobilenet_resolutions();
  const int r = parts[2].size() > 1 && parts[2][0] == 'r' ? parse_int(parts[2].substr(1)) : -1;
  if (std::find(res.begin(), res.end(), r) == res.end())
    fail("mobilenet: resolution token '{}' is not valid (expected r<N>, N in 128, 132, ..., 224)", parts[2]);
  subnet.resolution = r;
  return encode(subnet);
}

core::Graph MobilenetSpace::to_graph(const Arch& arch, std::int64_t batch) const {
  const Arch a = normalize(arch);
  const MobilenetSubnet s = decode(a);
  core::Graph g("ofa_mbv3_w1.0");

  // Conv (no bias) -> BN [-> activation], OFA's ConvLayer / the parts of MBConvLayer.
  auto conv_bn = [&](NodeId x, core::Conv2dAttrs attrs, OpKind act, const std::string& at) {
    x = g.conv2d(x, attrs, at + "/conv");
    x = g.batch_norm(x, {}, at + "/bn");
    return act == OpKind::kIdentity ? x : g.unary(act, x, at + "/act");
  };
  // SEModule: reduce to make_divisible(C // 4) with bias, ReLU, expand back with bias, h_sigmoid, scale.
  auto squeeze_excite = [&](NodeId x, const std::string& at) {
    const std::int64_t channels = g.shape(x)[1];
    const std::int64_t reduced = make_divisible(static_cast<double>(channels / kSeReduction));
    NodeId y = g.global_avg_pool(x, at + "/pool");
    y = g.conv2d(y, {.out_channels = reduced, .kernel = 1, .bias = true}, at + "/reduce");
    y = g.unary(OpKind::kRelu, y, at + "/relu");
    y = g.conv2d(y, {.out_channels = channels, .kernel = 1, .bias = true}, at + "/expand");
    y = g.unary(OpKind::kHardsigmoid, y, at + "/hsigmoid");
    return g.mul(x, y, at + "/scale");
  };

  NodeId x = g.input({batch, 3, s.resolution, s.resolution}, "input");
  x = conv_bn(x, {.out_channels = kFirstConvChannels, .kernel = 3, .stride = 2, .padding = 1}, OpKind::kHardswish,
              "first_conv");

  // Fixed first block: MBConv e=1 (no expand conv), k3 s1, ReLU, no SE, identity shortcut.
  {
    NodeId y = conv_bn(x, {.out_channels = kFirstConvChannels, .kernel = 3, .padding = 1, .groups = kFirstConvChannels},
                       OpKind::kRelu, "block0/dw");
    y = conv_bn(y, {.out_channels = kFirstConvChannels, .kernel = 1}, OpKind::kIdentity, "block0/project");
    x = g.add(y, x, "block0/add");
  }

  std::int64_t channels = kFirstConvChannels;
  for (int st = 0; st < kMobilenetNumStages; ++st) {
    const MobilenetStage& stage = mobilenet_stages()[static_cast<std::size_t>(st)];
    for (int j = 0; j < s.depths[static_cast<std::size_t>(st)]; ++j) {
      const int slot = st * kMobilenetMaxDepth + j;
      const std::int64_t kernel = s.kernels[static_cast<std::size_t>(slot)];
      const std::int64_t stride = j == 0 ? stage.stride : 1;
      // DynamicMBConvLayer.active_middle_channel: the expansion is on the block's input channels.
      const std::int64_t mid =
          make_divisible(static_cast<double>(channels * s.expands[static_cast<std::size_t>(slot)]));
      const std::string at = fmt::format("block{}", 1 + slot);
      NodeId y = conv_bn(x, {.out_channels = mid, .kernel = 1}, stage.activation, at + "/expand");
      y = conv_bn(y, {.out_channels = mid, .kernel = kernel, .stride = stride, .padding = kernel / 2, .groups = mid},
                  stage.activation, at + "/dw");
      if (stage.squeeze_excite) y = squeeze_excite(y, at + "/se");
      y = conv_bn(y, {.out_channels = stage.out_channels, .kernel = 1}, OpKind::kIdentity, at + "/project");
      x = stride == 1 && channels == stage.out_channels ? g.add(y, x, at + "/add") : y;
      channels = stage.out_channels;
    }
  }

  x = conv_bn(x, {.out_channels = kFinalExpandChannels, .kernel = 1}, OpKind::kHardswish, "final_expand");
  x = g.global_avg_pool(x, "global_pool");
  x = g.conv2d(x, {.out_channels = kFeatureMixChannels, .kernel = 1}, "feature_mix/conv");  // no BN, no bias
  x = g.unary(OpKind::kHardswish, x, "feature_mix/act");
  x = g.flatten(x, "flatten");
  x = g.linear(x, {.out_features = kNumClasses}, "classifier");
  g.mark_output(x);
  return g;
}

void register_mobilenet(SpaceRegistry& registry) {
  registry.add(
      "mobilenet",
      [](const SpaceOptions& options) {
        if (!options.empty())
          fail("search space 'mobilenet' has no option '{}' (it takes no options)", options.begin()->first);
        return std::make_unique<MobilenetSpace>();
      },
      "OFA MobileNetV3 space (ofa_mbv3_d234_e346_k357_w1.0) with elastic resolution; no options");
}

}  // namespace hwnas::spaces
