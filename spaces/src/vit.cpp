#include "hwnas/spaces/vit.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <type_traits>

#include "hwnas/core/error.h"
#include "hwnas/core/text.h"

namespace hwnas::spaces {
namespace {

using core::detail::trim;
using core::detail::split;

using core::NodeId;
using core::OpKind;

constexpr std::int64_t kNumPatches = (kVitResolution / kVitPatchSize) * (kVitResolution / kVitPatchSize);
constexpr std::int64_t kNumTokens = kNumPatches + 1;  // + class token
constexpr double kRatioTolerance = 1e-9;

// The whole of `text` as a non-negative decimal integer, or -1.
std::int64_t parse_int(std::string_view text) {
  std::int64_t value = -1;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) return -1;
  return value;
}

// The whole of `text` as a plain decimal number, or NaN.
double parse_number(std::string_view text) {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, std::chars_format::fixed);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nan("");
  return value;
}

template <typename T>
int index_of(const std::vector<T>& values, T value) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    if constexpr (std::is_floating_point_v<T>) {
      if (std::abs(values[i] - value) < kRatioTolerance) return static_cast<int>(i);
    } else if (values[i] == value) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

std::string ratio_text(double ratio) { return fmt::format("{:.1f}", ratio); }

std::string ratio_list(const std::vector<double>& ratios, std::string_view sep = ", ") {
  std::vector<std::string> out;
  for (double r : ratios) out.push_back(ratio_text(r));
  return fmt::format("{}", fmt::join(out, sep));
}

int heads_gene(int layer) { return 2 + 2 * layer; }
int ratio_gene(int layer) { return 3 + 2 * layer; }

// int(E * ratio) as AutoFormer computes the MLP width (exact here: E is a multiple of 8, ratios of 0.5).
std::int64_t mlp_width(std::int64_t embed_dim, double ratio) {
  return static_cast<std::int64_t>(std::floor(static_cast<double>(embed_dim) * ratio + kRatioTolerance));
}

}  // namespace

const VitVariantSpec& vit_variant_spec(VitVariant variant) {
  static const VitVariantSpec tiny{"tiny", {192, 216, 240}, {12, 13, 14}, {3, 4}, {3.5, 4.0}};
  static const VitVariantSpec small{"small", {320, 384, 448}, {12, 13, 14}, {5, 6, 7}, {3.0, 3.5, 4.0}};
  static const VitVariantSpec base{"base", {528, 576, 624}, {14, 15, 16}, {9, 10}, {3.0, 3.5, 4.0}};
  switch (variant) {
    case VitVariant::kTiny:
      return tiny;
    case VitVariant::kSmall:
      return small;
    case VitVariant::kBase:
      return base;
  }
  HWNAS_ASSERT(false, "unknown ViT variant");
  return tiny;
}

VitOptions VitOptions::from_map(const SpaceOptions& options) {
  reject_unknown_options("vit", options, {"variant"});
  VitOptions out;
  if (auto it = options.find("variant"); it != options.end()) {
    if (it->second == "tiny")
      out.variant = VitVariant::kTiny;
    else if (it->second == "small")
      out.variant = VitVariant::kSmall;
    else if (it->second == "base")
      out.variant = VitVariant::kBase;
    else
      fail("vit: unknown variant '{}' (valid: tiny, small, base)", it->second);
  }
  return out;
}

VitSpace::VitSpace(VitOptions options) : options_(options) {}

std::string VitSpace::description() const {
  const auto& sp = spec();
  return fmt::format("AutoFormer ViT ({}): embed {{{}}}, depth {{{}}}, per layer heads {{{}}} x MLP ratio {{{}}}",
                     sp.name, fmt::join(sp.embed_dims, ","), fmt::join(sp.depths, ","), fmt::join(sp.num_heads, ","),
                     ratio_list(sp.mlp_ratios, ","));
}

std::vector<int> VitSpace::gene_choices() const {
  const auto& sp = spec();
  std::vector<int> choices{static_cast<int>(sp.embed_dims.size()), static_cast<int>(sp.depths.size())};
  for (int l = 0; l < sp.max_depth(); ++l) {
    choices.push_back(static_cast<int>(sp.num_heads.size()));
    choices.push_back(static_cast<int>(sp.mlp_ratios.size()));
  }
  return choices;
}

core::Shape VitSpace::input_shape(std::int64_t batch) const { return {batch, 3, kVitResolution, kVitResolution}; }

bool VitSpace::is_active(const Arch& arch, int gene) const {
  const int n = 2 + 2 * spec().max_depth();
  HWNAS_CHECK(static_cast<int>(arch.genes.size()) == n && gene >= 0 && gene < n,
              "vit ({}): no gene {} in an architecture of {} genes (expected {})", spec().name, gene, arch.genes.size(),
              n);
  HWNAS_CHECK(arch.genes[1] >= 0 && arch.genes[1] < static_cast<int>(spec().depths.size()),
              "vit ({}): depth gene is {}, expected 0..{}", spec().name, arch.genes[1], spec().depths.size() - 1);
  if (gene < 2) return true;
  return (gene - 2) / 2 < spec().depths[static_cast<std::size_t>(arch.genes[1])];
}

Arch VitSpace::normalize(const Arch& arch) const {
  validate(arch);
  Arch out = arch;
  for (std::size_t g = 0; g < out.genes.size(); ++g)
    if (!is_active(arch, static_cast<int>(g))) out.genes[g] = 0;
  return out;
}

VitSubnet VitSpace::decode(const Arch& arch) const {
  validate(arch);
  const auto& sp = spec();
  const auto gene = [&](int i) { return static_cast<std::size_t>(arch.genes[static_cast<std::size_t>(i)]); };
  VitSubnet s;
  s.embed_dim = sp.embed_dims[gene(0)];
  s.depth = sp.depths[gene(1)];
  for (int l = 0; l < s.depth; ++l) {
    s.num_heads.push_back(sp.num_heads[gene(heads_gene(l))]);
    s.mlp_ratios.push_back(sp.mlp_ratios[gene(ratio_gene(l))]);
  }
  return s;
}

Arch VitSpace::encode(const VitSubnet& subnet) const {
  const auto& sp = spec();
  Arch arch{std::vector<int>(gene_choices().size(), 0)};
  const int e = index_of(sp.embed_dims, subnet.embed_dim);
  if (e < 0)
    fail("vit ({}): embed dim {} is not a valid choice (valid: {})", sp.name, subnet.embed_dim,
         fmt::join(sp.embed_dims, ", "));
  const int d = index_of(sp.depths, subnet.depth);
  if (d < 0)
    fail("vit ({}): depth {} is not a valid choice (valid: {})", sp.name, subnet.depth, fmt::join(sp.depths, ", "));
  if (subnet.num_heads.size() != static_cast<std::size_t>(subnet.depth) ||
      subnet.mlp_ratios.size() != static_cast<std::size_t>(subnet.depth))
    fail("vit ({}): depth {} needs {} heads and MLP ratios, got {} and {}", sp.name, subnet.depth, subnet.depth,
         subnet.num_heads.size(), subnet.mlp_ratios.size());
  arch.genes[0] = e;
  arch.genes[1] = d;
  for (int l = 0; l < subnet.depth; ++l) {
    const auto heads = subnet.num_heads[static_cast<std::size_t>(l)];
    const double ratio = subnet.mlp_ratios[static_cast<std::size_t>(l)];
    const int h = index_of(sp.num_heads, heads);
    if (h < 0)
      fail("vit ({}): {} heads in layer {} is not a valid choice (valid: {})", sp.name, heads, l,
           fmt::join(sp.num_heads, ", "));
    const int r = index_of(sp.mlp_ratios, ratio);
    if (r < 0)
      fail("vit ({}): MLP ratio {} in layer {} is not a valid choice (valid: {})", sp.name, ratio, l,
           ratio_list(sp.mlp_ratios));
    arch.genes[static_cast<std::size_t>(heads_gene(l))] = h;
    arch.genes[static_cast<std::size_t>(ratio_gene(l))] = r;
  }
  return arch;
}

std::string VitSpace::to_string(const Arch& arch) const {
  const VitSubnet s = decode(arch);
  std::vector<std::string> layers;
  for (int l = 0; l < spec().max_depth(); ++l)
    layers.push_back(l < s.depth ? fmt::format("h{}m{}", s.num_heads[static_cast<std::size_t>(l)],
                                               ratio_text(s.mlp_ratios[static_cast<std::size_t>(l)]))
                                 : std::string("-"));
  return fmt::format("e{}:d{}:{}", s.embed_dim, s.depth, fmt::join(layers, ","));
}

Arch VitSpace::from_string(std::string_view text) const {
  const auto& sp = spec();
  const std::string_view s = trim(text);
  const auto parts = split(s, ':');
  if (parts.size() != 3)
    fail(
        "vit ({}): architecture '{}' has {} ':'-separated parts, expected 3: e<embed>:d<depth>:<{} layer tokens> "
        "(e.g. e{}:d{}:h{}m{},...)",
        sp.name, s, parts.size(), sp.max_depth(), sp.embed_dims[0], sp.depths[0], sp.num_heads[0],
        ratio_text(sp.mlp_ratios[0]));

  VitSubnet subnet;
  subnet.embed_dim = parts[0].size() > 1 && parts[0][0] == 'e' ? parse_int(parts[0].substr(1)) : -1;
  if (index_of(sp.embed_dims, subnet.embed_dim) < 0)
    fail("vit ({}): embed token '{}' is not valid (expected e<N>, N in {})", sp.name, parts[0],
         fmt::join(sp.embed_dims, ", "));
  const std::int64_t depth = parts[1].size() > 1 && parts[1][0] == 'd' ? parse_int(parts[1].substr(1)) : -1;
  if (index_of(sp.depths, static_cast<int>(depth)) < 0 || depth > sp.max_depth())
    fail("vit ({}): depth token '{}' is not valid (expected d<N>, N in {})", sp.name, parts[1],
         fmt::join(sp.depths, ", "));
  subnet.depth = static_cast<int>(depth);

  const auto layers = split(parts[2], ',');
  if (layers.size() != static_cast<std::size_t>(sp.max_depth()))
    fail(
        "vit ({}): layer part of '{}' has {} tokens, expected {} (one per layer up to the maximum depth, '-' beyond "
        "the depth)",
        sp.name, s, layers.size(), sp.max_depth());
  for (int l = 0; l < sp.max_depth(); ++l) {
    const auto token = layers[static_cast<std::size_t>(l)];
    const bool active = l < subnet.depth;
    if (token == "-") {
      if (active)
        fail("vit ({}): layer token '-' at layer {} is inside the depth {}; expected h<heads>m<ratio>", sp.name, l,
             subnet.depth);
      continue;
    }
    const auto m_pos = token.find('m');
    const std::int64_t heads = token.size() > 1 && token[0] == 'h' && m_pos != std::string_view::npos
                                   ? parse_int(token.substr(1, m_pos - 1))
                                   : -1;
    const double ratio = m_pos != std::string_view::npos ? parse_number(token.substr(m_pos + 1)) : std::nan("");
    if (index_of(sp.num_heads, heads) < 0 || std::isnan(ratio) || index_of(sp.mlp_ratios, ratio) < 0)
      fail("vit ({}): layer token '{}' at layer {} is not valid (expected h<{}>m<{}>{})", sp.name, token, l,
           fmt::join(sp.num_heads, "|"), ratio_list(sp.mlp_ratios, "|"), active ? "" : " or '-'");
    if (active) {
      subnet.num_heads.push_back(heads);
      subnet.mlp_ratios.push_back(ratio);
    }
  }
  return encode(subnet);
}

core::Graph VitSpace::to_graph(const Arch& arch, std::int64_t batch) const {
  const VitSubnet s = decode(arch);
  const std::int64_t E = s.embed_dim;
  const std::int64_t N = batch;
  const std::int64_t L = kNumTokens;
  core::Graph g(fmt::format("autoformer_{}", spec().name));

  NodeId x = g.input(input_shape(batch), "input");
  x = g.conv2d(x, {.out_channels = E, .kernel = kVitPatchSize, .stride = kVitPatchSize, .bias = true},
               "patch_embed/conv");
  x = g.reshape(x, {N, E, kNumPatches}, "patch_embed/reshape");  // flatten(2)
  x = g.permute(x, {0, 2, 1}, "patch_embed/permute");            // transpose(1, 2)
  x = g.parameter(x, {.shape = {1, 1, E}, .concat_axis = 1}, "cls_token");
  x = g.parameter(x, {.shape = {1, L, E}}, "pos_embed");

  for (int l = 0; l < s.depth; ++l) {
    const std::int64_t H = s.num_heads[static_cast<std::size_t>(l)];
    const std::int64_t D = kVitHeadDim;
    const std::string at = fmt::format("block{}", l);
    // Attention (AttentionSuper.forward, relative positions omitted, scale folded into the q weights).
    const std::string attn = at + "/attn";
    NodeId y = g.layer_norm(x, {.eps = 1e-5}, attn + "/norm");
    y = g.linear(y, {.out_features = 3 * H * D}, attn + "/qkv");
    y = g.reshape(y, {N, L, 3, H, D}, attn + "/reshape");
    y = g.permute(y, {2, 0, 3, 1, 4}, attn + "/permute");  // (3, N, H, L, D)
    const auto head = [&](int i, const char* part) {
      NodeId t = g.slice(y, 0, i, i + 1, fmt::format("{}/{}", attn, part));
      return g.reshape(t, {N, H, L, D}, fmt::format("{}/{}_reshape", attn, part));
    };
    const NodeId q = head(0, "q");
    const NodeId k = head(1, "k");
    const NodeId v = head(2, "v");
    NodeId scores = g.matmul(q, g.permute(k, {0, 1, 3, 2}, attn + "/k_transpose"), attn + "/scores");
    scores = g.softmax(scores, -1, attn + "/softmax");
    NodeId ctx = g.matmul(scores, v, attn + "/context");            // (N, H, L, D)
    ctx = g.permute(ctx, {0, 2, 1, 3}, attn + "/context_permute");  // (N, L, H, D)
    ctx = g.reshape(ctx, {N, L, H * D}, attn + "/context_reshape");
    ctx = g.linear(ctx, {.out_features = E}, attn + "/proj");
    x = g.add(x, ctx, at + "/attn_add");
    // MLP: E -> int(E * ratio) -> E with GELU.
    const std::string mlp = at + "/mlp";
    y = g.layer_norm(x, {.eps = 1e-5}, mlp + "/norm");
    y = g.linear(y, {.out_features = mlp_width(E, s.mlp_ratios[static_cast<std::size_t>(l)])}, mlp + "/fc1");
    y = g.unary(OpKind::kGelu, y, mlp + "/gelu");
    y = g.linear(y, {.out_features = E}, mlp + "/fc2");
    x = g.add(x, y, at + "/mlp_add");
  }

  x = g.layer_norm(x, {.eps = 1e-5}, "norm");
  x = g.slice(x, 1, 1, L, "pool/tokens");  // --gp: mean over the patch tokens, class token excluded
  x = g.mean(x, 1, "pool/mean");
  x = g.linear(x, {.out_features = kVitNumClasses}, "head");
  g.mark_output(x);
  return g;
}

void register_vit(SpaceRegistry& registry) {
  registry.add(
      "vit", [](const SpaceOptions& options) { return std::make_unique<VitSpace>(VitOptions::from_map(options)); },
      "AutoFormer vision-transformer space; options: variant=tiny|small|base");
}

}  // namespace hwnas::spaces
