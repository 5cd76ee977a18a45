// Reading a YAML space file into a YamlSpaceSpec: every key checked, every value range-checked, and the
// shapes of every architecture checked before the space is used.

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <set>

#include "hwnas/core/error.h"
#include "hwnas/core/yaml_reader.h"
#include "yaml_space_spec.h"

namespace hwnas::plugin::detail {
namespace {

using core::OpKind;

constexpr std::array<std::string_view, 4> kBlockTypeNames{"conv", "resnet_basic", "resnet_bottleneck", "mbconv"};
constexpr std::array<std::string_view, 2> kHeadPoolNames{"global_avg", "flatten"};
constexpr std::array<OpKind, 6> kActivations{OpKind::kRelu, OpKind::kRelu6, OpKind::kHardswish,
                                             OpKind::kSilu, OpKind::kGelu,  OpKind::kSigmoid};
// The order of a block's keys is also the order of its genes.
const std::vector<std::string> kBlockKeys{"type", "channels", "kernel", "expand", "stride", "repeat", "se", "act"};
const std::vector<std::string> kHeadKeys{"pool", "channels", "hidden", "act"};
const std::vector<std::string> kTopKeys{"name", "description", "input", "classes", "stem", "blocks", "head"};

constexpr std::int64_t kDefaultKernel = 3;
constexpr std::int64_t kDefaultBottleneckExpand = 4;
constexpr std::int64_t kDefaultMbconvExpand = 6;

int line_of(const YAML::Node& node) { return node.Mark().line + 1; }

std::string text(bool v) { return v ? "true" : "false"; }
std::string text(std::int64_t v) { return fmt::format("{}", v); }
std::string text(BlockType v) { return std::string(block_type_name(v)); }
std::string text(HeadPool v) { return std::string(head_pool_name(v)); }
std::string text(OpKind v) { return std::string(core::op_name(v)); }

/// Reads one file; every error is "source:line: message".
class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  template <typename... Args>
  [[noreturn]] void fail_at(int line, fmt::format_string<Args...> format, Args&&... args) const {
    hwnas::fail("{}:{}: {}", source_, line, fmt::format(format, std::forward<Args>(args)...));
  }

  /// The entries of a map, with unknown and repeated keys rejected.
  std::vector<std::pair<std::string, YAML::Node>> map_entries(const YAML::Node& node, const std::string& what,
                                                              const std::vector<std::string>& known) const {
    if (!node.IsMap()) fail_at(line_of(node), "{}: expected a map of {}", what, fmt::join(known, ", "));
    std::vector<std::pair<std::string, YAML::Node>> out;
    std::set<std::string> seen;
    for (const auto& entry : node) {
      if (!entry.first.IsScalar()) fail_at(line_of(entry.first), "{}: keys must be plain names", what);
      const std::string key = entry.first.Scalar();
      if (std::find(known.begin(), known.end(), key) == known.end())
        fail_at(line_of(entry.first), "unknown key '{}' in {} (valid: {})", key, what, fmt::join(known, ", "));
      if (!seen.insert(key).second) fail_at(line_of(entry.first), "key '{}' appears twice in {}", key, what);
      out.emplace_back(key, entry.second);
    }
    return out;
  }

  std::int64_t integer(const YAML::Node& node, const std::string& what) const {
    if (!node.IsScalar()) fail_at(line_of(node), "{}: expected an integer", what);
    try {
      return node.as<std::int64_t>();
    } catch (const YAML::Exception&) {
      fail_at(line_of(node), "{}: '{}' is not an integer", what, node.Scalar());
    }
  }

  bool boolean(const YAML::Node& node, const std::string& what) const {
    if (!node.IsScalar()) fail_at(line_of(node), "{}: expected true or false", what);
    try {
      return node.as<bool>();
    } catch (const YAML::Exception&) {
      fail_at(line_of(node), "{}: '{}' is not true or false", what, node.Scalar());
    }
  }

  template <std::size_t N>
  std::size_t name_index(const YAML::Node& node, const std::string& what,
                         const std::array<std::string_view, N>& names) const {
    if (node.IsScalar())
      for (std::size_t i = 0; i < N; ++i)
        if (node.Scalar() == names[i]) return i;
    fail_at(line_of(node), "{}: '{}' is not valid (valid: {})", what, node.IsScalar() ? node.Scalar() : "a non-scalar",
            fmt::join(names, ", "));
  }

  OpKind activation(const YAML::Node& node, const std::string& what) const {
    std::array<std::string_view, kActivations.size()> names;
    for (std::size_t i = 0; i < kActivations.size(); ++i) names[i] = core::op_name(kActivations[i]);
    return kActivations[name_index(node, what, names)];
  }

  /// A scalar is fixed; a list is a choice (a gene, numbered later). Each value read by `one`.
  template <typename T, typename One>
  Field<T> field(const YAML::Node& node, const std::string& what, One&& one) const {
    Field<T> f;
    f.line = line_of(node);
    if (!node.IsSequence()) {
      f.values.push_back(one(node, what));
      return f;
    }
    if (node.size() == 0) fail_at(f.line, "{}: an empty list offers no choice", what);
    std::set<std::string> seen;
    for (const auto& item : node) {
      if (!item.IsScalar()) fail_at(line_of(item), "{}: list entries must be single values", what);
      const T value = one(item, what);
      if (!seen.insert(text(value)).second) fail_at(line_of(item), "{}: the list has {} twice", what, text(value));
      f.values.push_back(value);
    }
    f.gene = 0;  // a choice; its index is assigned in gene order
    return f;
  }

  Field<std::int64_t> int_field(const YAML::Node& node, const std::string& what, std::int64_t min) const {
    auto f =
        field<std::int64_t>(node, what, [this](const YAML::Node& n, const std::string& w) { return integer(n, w); });
    for (std::int64_t v : f.values)
      if (v < min) fail_at(f.line, "{} {} must be at least {}", what, v, min);
    return f;
  }

  BlockSpec block(const YAML::Node& node, std::string label, std::string key, bool is_stem) const;
  HeadSpec head(const YAML::Node& node) const;

 private:
  std::string source_;
};

template <typename T>
Field<T> fixed(T value, int line) {
  Field<T> f;
  f.values = {value};
  f.line = line;
  return f;
}

bool has_type(const BlockSpec& b, BlockType t) {
  return std::find(b.type.values.begin(), b.type.values.end(), t) != b.type.values.end();
}

BlockSpec Reader::block(const YAML::Node& node, std::string label, std::string key, bool is_stem) const {
  BlockSpec b;
  b.label = std::move(label);
  b.key = std::move(key);
  b.line = line_of(node);
  const auto entries = map_entries(node, b.label, kBlockKeys);
  b.type = fixed(BlockType::kConv, b.line);
  b.kernel = fixed<std::int64_t>(kDefaultKernel, b.line);
  b.stride = fixed<std::int64_t>(1, b.line);
  b.repeat = fixed<std::int64_t>(1, b.line);
  b.se = fixed(false, b.line);
  b.act = fixed(OpKind::kRelu, b.line);
  b.expand.line = b.line;
  bool has_type_key = false, has_channels = false;
  int expand_line = 0, se_line = 0;
  for (const auto& [k, v] : entries) {
    const std::string what = fmt::format("{}: {}", b.label, k);
    if (k == "type") {
      has_type_key = true;
      b.type = field<BlockType>(v, what, [this](const YAML::Node& n, const std::string& w) {
        return static_cast<BlockType>(name_index(n, w, kBlockTypeNames));
      });
    } else if (k == "channels") {
      has_channels = true;
      b.channels = int_field(v, what, 1);
    } else if (k == "kernel") {
      b.kernel = int_field(v, what, 1);
      for (std::int64_t kernel : b.kernel.values)
        if (kernel % 2 == 0) fail_at(b.kernel.line, "{} {} must be odd (padding k/2 keeps the shape)", what, kernel);
    } else if (k == "expand") {
      b.expand = int_field(v, what, 1);
      expand_line = b.expand.line;
    } else if (k == "stride") {
      b.stride = int_field(v, what, 1);
    } else if (k == "repeat") {
      b.repeat = int_field(v, what, 1);
    } else if (k == "se") {
      b.se = field<bool>(v, what, [this](const YAML::Node& n, const std::string& w) { return boolean(n, w); });
      se_line = b.se.line;
    } else if (k == "act") {
      b.act = field<OpKind>(v, what, [this](const YAML::Node& n, const std::string& w) { return activation(n, w); });
    }
  }
  if (!has_type_key && !is_stem)
    fail_at(b.line, "{}: 'type' is required (one of {}, or a list of them)", b.label, fmt::join(kBlockTypeNames, ", "));
  if (!has_channels) fail_at(b.line, "{}: 'channels' is required", b.label);
  if (expand_line > 0 && !has_type(b, BlockType::kResnetBottleneck) && !has_type(b, BlockType::kMbconv))
    fail_at(expand_line, "{}: 'expand' applies only to resnet_bottleneck and mbconv blocks", b.label);
  if (se_line > 0 && b.type.values == std::vector<BlockType>{BlockType::kConv})
    fail_at(se_line, "{}: 'se' applies only to resnet_basic, resnet_bottleneck and mbconv blocks", b.label);
  return b;
}

HeadSpec Reader::head(const YAML::Node& node) const {
  HeadSpec h;
  h.line = line_of(node);
  h.pool = fixed(HeadPool::kGlobalAvg, h.line);
  h.channels = fixed<std::int64_t>(0, h.line);
  h.hidden = fixed<std::int64_t>(0, h.line);
  h.act = fixed(OpKind::kRelu, h.line);
  for (const auto& [k, v] : map_entries(node, "head", kHeadKeys)) {
    const std::string what = fmt::format("head: {}", k);
    if (k == "pool") {
      h.pool = field<HeadPool>(v, what, [this](const YAML::Node& n, const std::string& w) {
        return static_cast<HeadPool>(name_index(n, w, kHeadPoolNames));
      });
    } else if (k == "channels") {
      h.channels = int_field(v, what, 0);
    } else if (k == "hidden") {
      h.hidden = int_field(v, what, 0);
    } else if (k == "act") {
      h.act = field<OpKind>(v, what, [this](const YAML::Node& n, const std::string& w) { return activation(n, w); });
    }
  }
  return h;
}

template <typename T>
void number_gene(Field<T>& f, const std::string& key, std::vector<GeneSpec>& genes) {
  if (f.gene < 0) return;
  f.gene = static_cast<int>(genes.size());
  GeneSpec g{key, {}};
  for (const auto& v : f.values) g.values.push_back(text(v));
  genes.push_back(std::move(g));
}

void number_block_genes(BlockSpec& b, std::vector<GeneSpec>& genes) {
  number_gene(b.type, b.key + ".type", genes);
  number_gene(b.channels, b.key + ".channels", genes);
  number_gene(b.kernel, b.key + ".kernel", genes);
  number_gene(b.expand, b.key + ".expand", genes);
  number_gene(b.stride, b.key + ".stride", genes);
  number_gene(b.repeat, b.key + ".repeat", genes);
  number_gene(b.se, b.key + ".se", genes);
  number_gene(b.act, b.key + ".act", genes);
}

template <typename T>
T max_of(const Field<T>& f) {
  return *std::max_element(f.values.begin(), f.values.end());
}

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

// Follows the smallest feature map any architecture can reach (every stride at its largest choice) and
// checks the largest kernel and stride of each block against it, so every architecture is well formed.
void check_shapes(const YamlSpaceSpec& spec, const Reader& reader) {
  std::int64_t h = spec.height, w = spec.width;
  const auto check_block = [&](const BlockSpec& b) {
    const std::int64_t stride = max_of(b.stride), kernel = max_of(b.kernel);
    if (stride > std::min(h, w))
      reader.fail_at(b.stride.line, "{}: stride {} would take the {}x{} feature map below one pixel", b.label, stride,
                     h, w);
    if (kernel > std::min(h, w))
      reader.fail_at(b.kernel.line, "{}: kernel {} is larger than the {}x{} feature map it runs on", b.label, kernel, h,
                     w);
    h = ceil_div(h, stride);
    w = ceil_div(w, stride);
    // The second k x k conv of a basic block, and every later block of the stage, run after the stride.
    if ((has_type(b, BlockType::kResnetBasic) || max_of(b.repeat) > 1) && kernel > std::min(h, w))
      reader.fail_at(b.kernel.line, "{}: kernel {} is larger than the {}x{} feature map after its stride {}", b.label,
                     kernel, h, w, stride);
    if (has_type(b, BlockType::kResnetBottleneck)) {
      const std::int64_t channels = *std::min_element(b.channels.values.begin(), b.channels.values.end());
      const std::int64_t expand = b.expand.values.empty() ? kDefaultBottleneckExpand : max_of(b.expand);
      if (channels / expand < 1)
        reader.fail_at(b.channels.line, "{}: channels {} / expand {} leaves a resnet_bottleneck of 0 channels", b.label,
                       channels, expand);
    }
  };
  if (spec.stem) check_block(*spec.stem);
  for (const auto& b : spec.blocks) check_block(b);
}

bool is_valid_name(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
}

}  // namespace

std::string_view block_type_name(BlockType type) { return kBlockTypeNames[static_cast<std::size_t>(type)]; }
std::string_view head_pool_name(HeadPool pool) { return kHeadPoolNames[static_cast<std::size_t>(pool)]; }

std::int64_t default_expand(BlockType type) {
  return type == BlockType::kMbconv ? kDefaultMbconvExpand : kDefaultBottleneckExpand;
}

YamlSpaceSpec parse_yaml_space_spec(const std::string& yaml, const std::string& source) {
  const Reader reader(source);
  const YAML::Node root = core::parse_yaml(yaml, source);  // names source, line and column of a syntax error
  if (!root.IsMap())
    reader.fail_at(line_of(root), "a YAML space file is a map with keys {}", fmt::join(kTopKeys, ", "));

  YamlSpaceSpec spec;
  spec.source = source;
  bool has_input = false, has_classes = false, has_blocks = false;
  for (const auto& [key, value] : reader.map_entries(root, "the space file", kTopKeys)) {
    if (key == "name") {
      if (!value.IsScalar() || !is_valid_name(value.Scalar()))
        reader.fail_at(line_of(value), "name: '{}' is not a valid space name (letters, digits, '_', '-', '.')",
                       value.IsScalar() ? value.Scalar() : "a non-scalar");
      spec.name = value.Scalar();
    } else if (key == "description") {
      if (!value.IsScalar()) reader.fail_at(line_of(value), "description: expected one line of text");
      spec.description = value.Scalar();
    } else if (key == "input") {
      has_input = true;
      if (!value.IsSequence() || value.size() != 3)
        reader.fail_at(line_of(value), "input: expected [channels, height, width] (a fixed shape, not a choice)");
      std::array<std::int64_t, 3> dims{};
      for (std::size_t i = 0; i < 3; ++i) {
        dims[i] = reader.integer(value[i], "input");
        if (dims[i] < 1) reader.fail_at(line_of(value[i]), "input: {} must be at least 1", dims[i]);
      }
      spec.in_channels = dims[0];
      spec.height = dims[1];
      spec.width = dims[2];
    } else if (key == "classes") {
      has_classes = true;
      spec.classes = reader.integer(value, "classes");
      if (spec.classes < 1) reader.fail_at(line_of(value), "classes: {} must be at least 1", spec.classes);
    } else if (key == "stem") {
      spec.stem = reader.block(value, "stem", "stem", true);
    } else if (key == "blocks") {
      has_blocks = true;
      if (!value.IsSequence() || value.size() == 0)
        reader.fail_at(line_of(value), "blocks: expected a list of at least one stage");
      for (std::size_t i = 0; i < value.size(); ++i)
        spec.blocks.push_back(reader.block(value[i], fmt::format("block {}", i + 1), fmt::format("b{}", i + 1), false));
    } else if (key == "head") {
      spec.head = reader.head(value);
    }
  }
  if (spec.name.empty()) reader.fail_at(1, "'name' is required");
  if (!has_input) reader.fail_at(1, "'input' is required ([channels, height, width])");
  if (!has_classes) reader.fail_at(1, "'classes' is required");
  if (!has_blocks) reader.fail_at(1, "'blocks' is required (a list of stages)");
  if (spec.head.line == 0) {  // no head: defaults
    spec.head.pool = fixed(HeadPool::kGlobalAvg, 1);
    spec.head.channels = fixed<std::int64_t>(0, 1);
    spec.head.hidden = fixed<std::int64_t>(0, 1);
    spec.head.act = fixed(OpKind::kRelu, 1);
  }

  check_shapes(spec, reader);

  if (spec.stem) number_block_genes(*spec.stem, spec.genes);
  for (auto& b : spec.blocks) number_block_genes(b, spec.genes);
  number_gene(spec.head.pool, "head.pool", spec.genes);
  number_gene(spec.head.channels, "head.channels", spec.genes);
  number_gene(spec.head.hidden, "head.hidden", spec.genes);
  number_gene(spec.head.act, "head.act", spec.genes);

  if (spec.description.empty())
    spec.description = fmt::format("YAML space from {}: {}{} stages, {} genes", source, spec.stem ? "stem + " : "",
                                   spec.blocks.size(), spec.genes.size());
  return spec;
}

}  // namespace hwnas::plugin::detail
