#pragma once
// The parsed form of a YAML-declared space (format in hwnas/plugin/yaml_space.h) and the space itself.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hwnas/core/op.h"
#include "hwnas/spaces/search_space.h"

namespace hwnas::plugin::detail {

enum class BlockType { kConv, kResnetBasic, kResnetBottleneck, kMbconv };
enum class HeadPool { kGlobalAvg, kFlatten };

/// A field's value list: one entry when fixed, the choices (gene >= 0) when given as a YAML list.
template <typename T>
struct Field {
  std::vector<T> values;
  int gene = -1;  ///< index in the genotype, -1 when fixed
  int line = 0;   ///< where it was given (the block's line for a default)

  T at(const spaces::Arch& arch) const {
    return values[gene < 0 ? 0 : static_cast<std::size_t>(arch.genes[static_cast<std::size_t>(gene)])];
  }
};

/// The stem or one stage.
struct BlockSpec {
  std::string label;  ///< "stem", "block 2" (messages)
  std::string key;    ///< "stem", "b2" (string form and node names)
  int line = 0;
  Field<BlockType> type;
  Field<std::int64_t> channels;
  Field<std::int64_t> kernel;
  Field<std::int64_t> expand;  ///< empty values: the type's default (mbconv 6, bottleneck 4)
  Field<std::int64_t> stride;
  Field<std::int64_t> repeat;
  Field<bool> se;
  Field<core::OpKind> act;
};

struct HeadSpec {
  int line = 0;
  Field<HeadPool> pool;
  Field<std::int64_t> channels;
  Field<std::int64_t> hidden;
  Field<core::OpKind> act;
};

/// One gene: its string-form key and the printed form of each value.
struct GeneSpec {
  std::string key;  ///< "b1.channels"
  std::vector<std::string> values;
};

struct YamlSpaceSpec {
  std::string name;
  std::string description;
  std::string source;  ///< file name for messages
  std::int64_t in_channels = 0, height = 0, width = 0;
  std::int64_t classes = 0;
  std::optional<BlockSpec> stem;
  std::vector<BlockSpec> blocks;
  HeadSpec head;
  std::vector<GeneSpec> genes;
};

/// Parses and checks; throws hwnas::Error "source:line: what".
YamlSpaceSpec parse_yaml_space_spec(const std::string& text, const std::string& source);

std::string_view block_type_name(BlockType type);
/// `expand` when a block does not give it: mbconv 6, resnet_bottleneck 4.
std::int64_t default_expand(BlockType type);
std::string_view head_pool_name(HeadPool pool);

class YamlSpace final : public spaces::SearchSpace {
 public:
  explicit YamlSpace(std::shared_ptr<const YamlSpaceSpec> spec) : spec_(std::move(spec)) {}

  std::string name() const override { return spec_->name; }
  std::string description() const override { return spec_->description; }
  std::vector<int> gene_choices() const override;
  core::Shape input_shape(std::int64_t batch = 1) const override;
  std::string to_string(const spaces::Arch& arch) const override;
  spaces::Arch from_string(std::string_view text) const override;
  core::Graph to_graph(const spaces::Arch& arch, std::int64_t batch = 1) const override;

  const std::shared_ptr<const YamlSpaceSpec>& spec() const { return spec_; }

 private:
  std::shared_ptr<const YamlSpaceSpec> spec_;
};

}  // namespace hwnas::plugin::detail
