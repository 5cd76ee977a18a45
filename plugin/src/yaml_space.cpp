// The search space of a YAML declaration: genes, the key=value string form, and lowering to the graph IR.

#include "hwnas/plugin/yaml_space.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "hwnas/core/error.h"
#include "yaml_space_spec.h"

namespace hwnas::plugin {
namespace detail {
namespace {

using core::NodeId;
using core::OpKind;

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

/// Emits the ops of one architecture into a graph.
class Builder {
 public:
  Builder(core::Graph& g, const spaces::Arch& arch) : g_(g), arch_(arch) {}

  NodeId stage(NodeId x, const BlockSpec& b) {
    const BlockType type = b.type.at(arch_);
    const std::int64_t repeat = b.repeat.at(arch_);
    for (std::int64_t j = 0; j < repeat; ++j) {
      Block block{type,
                  b.channels.at(arch_),
                  b.kernel.at(arch_),
                  b.expand.values.empty() ? default_expand(type) : b.expand.at(arch_),
                  j == 0 ? b.stride.at(arch_) : 1,
                  b.se.at(arch_),
                  b.act.at(arch_),
                  fmt::format("{}.{}", b.key, j)};
      x = emit(x, block);
    }
    return x;
  }

  NodeId head(NodeId x, const HeadSpec& h, std::int64_t classes) {
    const OpKind act = h.act.at(arch_);
    if (const std::int64_t channels = h.channels.at(arch_); channels > 0)
      x = conv_bn(x, {.out_channels = channels, .kernel = 1}, act, "head/conv");
    if (h.pool.at(arch_) == HeadPool::kGlobalAvg) x = g_.global_avg_pool(x, "head/pool");
    x = g_.flatten(x, "head/flatten");
    if (const std::int64_t hidden = h.hidden.at(arch_); hidden > 0) {
      x = g_.linear(x, {.out_features = hidden}, "head/hidden");
      x = g_.unary(act, x, "head/hidden_act");
    }
    return g_.linear(x, {.out_features = classes}, "head/classifier");
  }

 private:
  struct Block {
    BlockType type;
    std::int64_t channels, kernel, expand, stride;
    bool se;
    OpKind act;
    std::string at;
  };

  NodeId conv_bn(NodeId x, core::Conv2dAttrs attrs, OpKind act, const std::string& at) {
    x = g_.conv2d(x, attrs, at + "/conv");
    x = g_.batch_norm(x, {}, at + "/bn");
    return act == OpKind::kIdentity ? x : g_.unary(act, x, at + "/act");
  }

  NodeId squeeze_excite(NodeId x, OpKind act, const std::string& at) {
    const std::int64_t channels = g_.shape(x)[1];
    NodeId y = g_.global_avg_pool(x, at + "/pool");
    y = g_.conv2d(y, {.out_channels = std::max<std::int64_t>(1, channels / 4), .kernel = 1, .bias = true},
                  at + "/reduce");
    y = g_.unary(OpKind::kRelu, y, at + "/relu");
    y = g_.conv2d(y, {.out_channels = channels, .kernel = 1, .bias = true}, at + "/expand");
    y = g_.unary(act == OpKind::kHardswish ? OpKind::kHardsigmoid : OpKind::kSigmoid, y, at + "/gate");
    return g_.mul(x, y, at + "/scale");
  }

  // The resnet shortcut: identity when the shape is kept, else a strided 1x1 projection.
  NodeId shortcut(NodeId x, const Block& b) {
    if (b.stride == 1 && g_.shape(x)[1] == b.channels) return x;
    return conv_bn(x, {.out_channels = b.channels, .kernel = 1, .stride = b.stride}, OpKind::kIdentity,
                   b.at + "/shortcut");
  }

  NodeId emit(NodeId x, const Block& b) {
    const std::int64_t in_channels = g_.shape(x)[1];
    const std::int64_t pad = b.kernel / 2;
    switch (b.type) {
      case BlockType::kConv:
        return conv_bn(x, {.out_channels = b.channels, .kernel = b.kernel, .stride = b.stride, .padding = pad}, b.act,
                       b.at);
      case BlockType::kResnetBasic: {
        NodeId y = conv_bn(x, {.out_channels = b.channels, .kernel = b.kernel, .stride = b.stride, .padding = pad},
                           b.act, b.at + "/conv1");
        y = conv_bn(y, {.out_channels = b.channels, .kernel = b.kernel, .padding = pad}, OpKind::kIdentity,
                    b.at + "/conv2");
        if (b.se) y = squeeze_excite(y, b.act, b.at + "/se");
        return g_.unary(b.act, g_.add(y, shortcut(x, b), b.at + "/add"), b.at + "/act");
      }
      case BlockType::kResnetBottleneck: {
        const std::int64_t mid = b.channels / b.expand;
        NodeId y = conv_bn(x, {.out_channels = mid, .kernel = 1}, b.act, b.at + "/reduce");
        y = conv_bn(y, {.out_channels = mid, .kernel = b.kernel, .stride = b.stride, .padding = pad}, b.act,
                    b.at + "/conv");
        y = conv_bn(y, {.out_channels = b.channels, .kernel = 1}, OpKind::kIdentity, b.at + "/expand");
        if (b.se) y = squeeze_excite(y, b.act, b.at + "/se");
        return g_.unary(b.act, g_.add(y, shortcut(x, b), b.at + "/add"), b.at + "/act");
      }
      case BlockType::kMbconv: {
        const std::int64_t mid = in_channels * b.expand;
        NodeId y = x;
        if (b.expand != 1) y = conv_bn(y, {.out_channels = mid, .kernel = 1}, b.act, b.at + "/expand");
        y = conv_bn(y, {.out_channels = mid, .kernel = b.kernel, .stride = b.stride, .padding = pad, .groups = mid},
                    b.act, b.at + "/dw");
        if (b.se) y = squeeze_excite(y, b.act, b.at + "/se");
        y = conv_bn(y, {.out_channels = b.channels, .kernel = 1}, OpKind::kIdentity, b.at + "/project");
        return b.stride == 1 && in_channels == b.channels ? g_.add(y, x, b.at + "/add") : y;
      }
    }
    HWNAS_ASSERT(false, "unhandled block type");
    return x;
  }

  core::Graph& g_;
  const spaces::Arch& arch_;
};

}  // namespace

std::vector<int> YamlSpace::gene_choices() const {
  std::vector<int> out;
  for (const auto& g : spec_->genes) out.push_back(static_cast<int>(g.values.size()));
  return out;
}

core::Shape YamlSpace::input_shape(std::int64_t batch) const {
  return {batch, spec_->in_channels, spec_->height, spec_->width};
}

std::string YamlSpace::to_string(const spaces::Arch& arch) const {
  validate(arch);
  std::vector<std::string> tokens;
  for (std::size_t i = 0; i < spec_->genes.size(); ++i)
    tokens.push_back(spec_->genes[i].key + "=" + spec_->genes[i].values[static_cast<std::size_t>(arch.genes[i])]);
  return fmt::format("{}", fmt::join(tokens, ","));
}

spaces::Arch YamlSpace::from_string(std::string_view text) const {
  const auto& genes = spec_->genes;
  spaces::Arch arch{std::vector<int>(genes.size(), -1)};
  std::string_view rest = trim(text);
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const std::string_view token = trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    const auto eq = token.find('=');
    if (eq == std::string_view::npos)
      fail("{}: token '{}' of '{}' is not key=value (e.g. {}=...)", name(), token, text,
           genes.empty() ? "b1.channels" : genes[0].key);
    const std::string_view key = trim(token.substr(0, eq));
    const std::string_view value = trim(token.substr(eq + 1));
    const auto gene = std::find_if(genes.begin(), genes.end(), [&](const GeneSpec& g) { return g.key == key; });
    if (gene == genes.end()) {
      std::vector<std::string> keys;
      for (const auto& g : genes) keys.push_back(g.key);
      fail("{}: '{}' is not a choice of this space (choices: {})", name(), key,
           keys.empty() ? std::string("none") : fmt::format("{}", fmt::join(keys, ", ")));
    }
    const auto index = static_cast<std::size_t>(gene - genes.begin());
    if (arch.genes[index] >= 0) fail("{}: '{}' is given twice in '{}'", name(), key, text);
    const auto value_it = std::find(gene->values.begin(), gene->values.end(), value);
    if (value_it == gene->values.end())
      fail("{}: {}={} is not a valid choice (valid: {})", name(), key, value, fmt::join(gene->values, ", "));
    arch.genes[index] = static_cast<int>(value_it - gene->values.begin());
  }
  std::vector<std::string> missing;
  for (std::size_t i = 0; i < genes.size(); ++i)
    if (arch.genes[i] < 0) missing.push_back(genes[i].key);
  if (!missing.empty()) fail("{}: '{}' does not set {}", name(), text, fmt::join(missing, ", "));
  return arch;
}

core::Graph YamlSpace::to_graph(const spaces::Arch& arch, std::int64_t batch) const {
  validate(arch);
  core::Graph g(spec_->name);
  NodeId x = g.input(input_shape(batch), "input");
  Builder builder(g, arch);
  if (spec_->stem) x = builder.stage(x, *spec_->stem);
  for (const auto& b : spec_->blocks) x = builder.stage(x, b);
  g.mark_output(builder.head(x, spec_->head, spec_->classes));
  return g;
}

}  // namespace detail

std::unique_ptr<spaces::SearchSpace> parse_yaml_space(const std::string& text, const std::string& source) {
  return std::make_unique<detail::YamlSpace>(
      std::make_shared<const detail::YamlSpaceSpec>(detail::parse_yaml_space_spec(text, source)));
}

std::unique_ptr<spaces::SearchSpace> load_yaml_space(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in)
    fail("YAML space file '{}' cannot be read ({})", path.string(),
         std::filesystem::exists(path) ? "permission denied or a directory" : "it does not exist");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_yaml_space(text.str(), path.string());
}

}  // namespace hwnas::plugin
