#include "hwnas/predictors/sampling/kernel_builder.h"

#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "hwnas/core/error.h"
#include "hwnas/predictors/kernels/decomposer.h"

namespace hwnas::predictors {
namespace {

using core::NodeId;
using core::OpKind;

std::vector<std::string> split_type(const std::string& type) {
  std::vector<std::string> tokens;
  std::stringstream stream(type);
  for (std::string token; std::getline(stream, token, '-');) tokens.push_back(token);
  return tokens;
}

OpKind activation_kind(const std::string& token) {
  if (token == "relu") return OpKind::kRelu;
  if (token == "relu6") return OpKind::kRelu6;
  if (token == "hswish") return OpKind::kHardswish;
  if (token == "hsigmoid") return OpKind::kHardsigmoid;
  if (token == "sigmoid") return OpKind::kSigmoid;
  if (token == "swish") return OpKind::kSilu;
  if (token == "gelu") return OpKind::kGelu;
  if (token == "zero") return OpKind::kZero;
  return OpKind::kInput;  // not an activation
}

std::int64_t positive(std::int64_t value, std::int64_t fallback) { return value > 0 ? value : fallback; }

}  // namespace

KernelSample build_kernel(const std::string& type, const KernelConfig& c) {
  const auto tokens = split_type(type);
  HWNAS_CHECK(!tokens.empty() && !tokens[0].empty(), "empty kernel type");
  core::Graph g(type);
  const std::int64_t cin = positive(c.cin, 1);
  const core::Shape image = {1, cin, positive(c.h, 1), positive(c.w, positive(c.h, 1))};
  const core::Shape tokens_shape = {1, positive(c.seq_len, 1), cin};
  const bool sequence = c.seq_len > 0 && c.h == 0;
  const core::Shape& plain = sequence ? tokens_shape : image;
  const std::int64_t same_padding = c.kernel / 2;

  NodeId x = -1;
  const std::string& lead = tokens[0];
  if (lead == "conv" || lead == "dwconv") {
    const std::int64_t groups = lead == "dwconv" ? cin : positive(c.groups, 1);
    const std::int64_t cout = lead == "dwconv" ? cin : positive(c.cout, 1);
    x = g.conv2d(g.input(image), {.out_channels = cout, .kernel = positive(c.kernel, 1), .stride = positive(c.stride, 1),
                                  .padding = same_padding, .groups = groups});
  } else if (lead == "maxpool" || lead == "avgpool") {
    const core::PoolAttrs pool{.kernel = positive(c.kernel, 2), .stride = positive(c.stride, 2),
                               .padding = (positive(c.kernel, 2) - 1) / 2};
    x = lead == "maxpool" ? g.max_pool(g.input(image), pool) : g.avg_pool(g.input(image), pool);
  } else if (lead == "gap") {
    x = g.global_avg_pool(g.input(image));
  } else if (lead == "fc") {
    const core::Shape in = c.seq_len > 0 ? tokens_shape : core::Shape{1, cin};
    x = g.linear(g.input(in), {.out_features = positive(c.cout, 1)});
  } else if (lead == "add") {
    x = g.add(g.input(plain), g.input(plain));
  } else if (lead == "mul") {  // squeeze-excitation scaling: a per-channel factor broadcast over HxW
    x = g.mul(g.input(image), g.input({1, cin, 1, 1}));
  } else if (lead == "concat") {
    std::vector<NodeId> parts;
    for (std::int64_t i = 0; i < positive(c.inputs, 2); ++i) parts.push_back(g.input(image));
    x = g.concat(parts, 1);
  } else if (lead == "shuffle") {
    x = g.channel_shuffle(g.input(image), positive(c.groups, 2));
  } else if (lead == "bn") {
    x = g.batch_norm(g.input(image));
  } else if (lead == "ln") {
    x = g.layer_norm(g.input(tokens_shape));
  } else if (lead == "softmax") {
    x = g.softmax(g.input(plain), -1);
  } else if (lead == "flatten") {
    x = g.flatten(g.input(image));
  } else if (lead == "matmul") {
    const std::int64_t heads = positive(c.groups, 1);
    x = g.matmul(g.input({1, heads, positive(c.seq_len, 1), cin}), g.input({1, heads, cin, positive(c.cout, 1)}));
  } else if (activation_kind(lead) != OpKind::kInput) {
    x = g.unary(activation_kind(lead), g.input(plain));
  } else {
    fail("cannot build a kernel led by '{}' (type '{}'; buildable leaders: conv, dwconv, maxpool, avgpool, gap, fc, "
         "add, mul, concat, shuffle, bn, ln, softmax, flatten, matmul, relu, relu6, hswish, hsigmoid, sigmoid, swish, "
         "gelu, zero)",
         lead, type);
  }

  for (std::size_t i = 1; i < tokens.size(); ++i) {
    const std::string& t = tokens[i];
    if (t == "bn") {
      x = g.batch_norm(x);
    } else if (t == "add") {
      x = g.add(x, g.input(g.shape(x)));
    } else if (t == "shuffle") {
      x = g.channel_shuffle(x, positive(c.groups, 2));
    } else if (activation_kind(t) != OpKind::kInput) {
      x = g.unary(activation_kind(t), x);
    } else {
      fail("cannot build kernel type '{}': '{}' cannot follow another op (followers: bn, add, shuffle, activations)",
           type, t);
    }
  }
  g.mark_output(x);

  // Describe the kernel exactly as decompose() does inside a network, so keys and features agree.
  FusionRules whole{"", "", {}};
  if (tokens.size() > 1) whole.patterns.push_back(tokens);
  auto kernels = decompose(g, whole);
  HWNAS_ASSERT(kernels.size() == 1 && kernels[0].type == type, "kernel '{}' built as {} kernels", type, kernels.size());
  return KernelSample{std::move(kernels[0]), std::move(g)};
}

}  // namespace hwnas::predictors
