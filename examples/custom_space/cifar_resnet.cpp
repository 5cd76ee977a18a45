// An example search-space plugin: CIFAR ResNets (He et al., "Deep Residual Learning for Image Recognition",
// CVPR 2016, section 4.2) with a depth and a width choice per stage, plus the same networks without
// shortcuts (the paper's "plain" baselines). Build it as a shared library and load it with
// `hwnas --plugin libcifar_resnet_plugin.so spaces`.
//
// Network: conv3x3(16)-BN-ReLU, three stages of basic blocks (two conv3x3-BN, ReLU after the add) at
// strides 1, 2, 2, global average pool, linear to 10 classes. A block whose shape changes gets a 1x1
// conv-BN projection shortcut (the paper's option B). d3,3,3:w16,32,64 is ResNet-20.
//
// Genotype (6 genes): genes 0..2 = stage depth index into {1, 2, 3}; genes 3..5 = stage width index into
// that stage's widths {8, 16, 24}, {16, 32, 48}, {32, 64, 96}. String form: `d<3 depths>:w<3 widths>`,
// e.g. `d3,3,3:w16,32,64`.
//
// The plugin also adds an objective kind, `resnet_depth`: the number of weighted layers the paper counts
// (6n+2 for n blocks per stage: stem conv, two convs per block, the classifier), optionally with the 1x1
// projection convs of the shortcuts. A search config uses it as
//     objectives: [{name: depth, kind: resnet_depth, direction: maximize, count_projections: false}]
// (see depth_search.yaml).

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <array>
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hwnas/core/error.h"
#include "hwnas/plugin/objective_plugin.h"
#include "hwnas/spaces/search_space.h"

namespace cifar {

using hwnas::core::Graph;
using hwnas::core::NodeId;
using hwnas::core::OpKind;
using hwnas::spaces::Arch;

constexpr int kStages = 3;
constexpr std::array<int, 3> kDepths{1, 2, 3};
constexpr std::array<std::array<int, 3>, kStages> kWidths{{{8, 16, 24}, {16, 32, 48}, {32, 64, 96}}};
constexpr std::array<std::int64_t, kStages> kStrides{1, 2, 2};
constexpr std::int64_t kStemChannels = 16;
constexpr std::int64_t kClasses = 10;

class CifarResNet : public hwnas::spaces::SearchSpace {
 public:
  std::string name() const override { return "cifar_resnet"; }
  std::string description() const override {
    return "CIFAR ResNet (He et al. 2016): 3 stages x depth {1,2,3} x width {0.5,1,1.5}x(16,32,64), 32x32 input, "
           "10 classes (example plugin)";
  }
  std::vector<int> gene_choices() const override { return std::vector<int>(2 * kStages, 3); }
  hwnas::core::Shape input_shape(std::int64_t batch) const override { return {batch, 3, 32, 32}; }

  std::string to_string(const Arch& arch) const override {
    validate(arch);
    std::vector<int> depths, widths;
    for (int s = 0; s < kStages; ++s) {
      depths.push_back(kDepths[static_cast<std::size_t>(arch.genes[static_cast<std::size_t>(s)])]);
      widths.push_back(kWidths[static_cast<std::size_t>(s)]
                              [static_cast<std::size_t>(arch.genes[static_cast<std::size_t>(kStages + s)])]);
    }
    return fmt::format("d{}:w{}", fmt::join(depths, ","), fmt::join(widths, ","));
  }

  Arch from_string(std::string_view text) const override {
    const auto colon = text.find(':');
    if (text.size() < 2 || text[0] != 'd' || colon == std::string_view::npos || colon + 1 >= text.size() ||
        text[colon + 1] != 'w')
      hwnas::fail("{}: '{}' is not of the form d<3 depths>:w<3 widths> (e.g. d3,3,3:w16,32,64)", name(), text);
    const auto depths = numbers(text.substr(1, colon - 1));
    const auto widths = numbers(text.substr(colon + 2));
    if (depths.size() != kStages || widths.size() != kStages)
      hwnas::fail("{}: '{}' needs 3 depths and 3 widths", name(), text);
    Arch arch{std::vector<int>(2 * kStages)};
    for (int s = 0; s < kStages; ++s) {
      const auto& valid_widths = kWidths[static_cast<std::size_t>(s)];
      arch.genes[static_cast<std::size_t>(s)] = index_of(kDepths, depths[static_cast<std::size_t>(s)], "depth", s);
      arch.genes[static_cast<std::size_t>(kStages + s)] =
          index_of(valid_widths, widths[static_cast<std::size_t>(s)], "width", s);
    }
    return arch;
  }

  Graph to_graph(const Arch& arch, std::int64_t batch) const override {
    validate(arch);
    Graph g(name());
    auto conv_bn = [&](NodeId x, std::int64_t channels, std::int64_t kernel, std::int64_t stride,
                       const std::string& at) {
      x = g.conv2d(x, {.out_channels = channels, .kernel = kernel, .stride = stride, .padding = kernel / 2},
                   at + "/conv");
      return g.batch_norm(x, {}, at + "/bn");
    };
    NodeId x = g.input(input_shape(batch));
    x = g.unary(OpKind::kRelu, conv_bn(x, kStemChannels, 3, 1, "stem"), "stem/relu");
    for (int s = 0; s < kStages; ++s) {
      const int depth = kDepths[static_cast<std::size_t>(arch.genes[static_cast<std::size_t>(s)])];
      const std::int64_t width = kWidths[static_cast<std::size_t>(s)]
                                        [static_cast<std::size_t>(arch.genes[static_cast<std::size_t>(kStages + s)])];
      for (int b = 0; b < depth; ++b) {
        const std::string at = fmt::format("stage{}/block{}", s + 1, b);
        const std::int64_t stride = b == 0 ? kStrides[static_cast<std::size_t>(s)] : 1;
        NodeId y = g.unary(OpKind::kRelu, conv_bn(x, width, 3, stride, at + "/conv1"), at + "/relu1");
        y = conv_bn(y, width, 3, 1, at + "/conv2");
        if (residual_) {
          const bool same_shape = stride == 1 && g.shape(x)[1] == width;
          y = g.add(y, same_shape ? x : conv_bn(x, width, 1, stride, at + "/shortcut"), at + "/add");
        }
        x = g.unary(OpKind::kRelu, y, at + "/relu2");
      }
    }
    x = g.flatten(g.global_avg_pool(x, "pool"), "flatten");
    g.mark_output(g.linear(x, {.out_features = kClasses}, "fc"));
    return g;
  }

 protected:
  bool residual_ = true;

 private:
  std::vector<int> numbers(std::string_view list) const {
    std::vector<int> out;
    while (true) {
      const auto comma = list.find(',');
      const std::string_view token = list.substr(0, comma);
      int value = 0;
      const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
      if (ec != std::errc() || end != token.data() + token.size())
        hwnas::fail("{}: '{}' is not a number", name(), token);
      out.push_back(value);
      if (comma == std::string_view::npos) return out;
      list.remove_prefix(comma + 1);
    }
  }

  int index_of(const std::array<int, 3>& values, int value, const char* what, int stage) const {
    for (std::size_t i = 0; i < values.size(); ++i)
      if (values[i] == value) return static_cast<int>(i);
    hwnas::fail("{}: {} {} of stage {} is not a choice (valid: {})", name(), what, value, stage + 1,
                fmt::join(values, ", "));
  }
};

/// The same networks without shortcuts.
class CifarPlainNet : public CifarResNet {
 public:
  CifarPlainNet() { residual_ = false; }
  std::string name() const override { return "cifar_plainnet"; }
  std::string description() const override {
    return "CIFAR plain net (He et al. 2016, no shortcuts): the cifar_resnet space without residuals (example plugin)";
  }
};

/// Weighted layers of cifar_resnet / cifar_plainnet architectures: 2 + 2 * (total blocks), plus, with
/// option `count_projections: true`, one per projection shortcut (cifar_resnet only: each stage whose
/// first block changes the width or the stride).
class ResNetDepth : public hwnas::plugin::PluginObjective {
 public:
  std::string name() const override { return "resnet_depth"; }
  std::string description() const override {
    return "weighted layers of a cifar_resnet/cifar_plainnet network (6n+2 counting; option count_projections)";
  }
  hwnas::plugin::DefaultDirection default_direction() const override {
    return hwnas::plugin::DefaultDirection::kMaximize;  // deeper CIFAR ResNets were more accurate, up to 110
  }

  std::vector<double> evaluate(std::string_view space, const std::vector<std::string>& archs,
                               const hwnas::core::Options& options) const override {
    const bool count_projections = options.get_bool("count_projections", false);
    const bool residual = space == "cifar_resnet";
    if (!residual && space != "cifar_plainnet")
      hwnas::fail("resnet_depth scores cifar_resnet and cifar_plainnet architectures, not '{}'", space);
    const CifarResNet parser;  // both spaces share the string form
    std::vector<double> out;
    for (const auto& text : archs) {
      const Arch arch = parser.from_string(text);
      int layers = 2;
      int width_in = static_cast<int>(kStemChannels);
      for (std::size_t s = 0; s < kStages; ++s) {
        layers += 2 * kDepths[static_cast<std::size_t>(arch.genes[s])];
        const int width = kWidths[s][static_cast<std::size_t>(arch.genes[kStages + s])];
        if (residual && count_projections && (kStrides[s] != 1 || width != width_in)) ++layers;
        width_in = width;
      }
      out.push_back(layers);
    }
    return out;
  }
};

}  // namespace cifar

HWNAS_EXPORT_PLUGIN(hwnas::plugin::Spaces<cifar::CifarResNet, cifar::CifarPlainNet>,
                    hwnas::plugin::Objectives<cifar::ResNetDepth>)
