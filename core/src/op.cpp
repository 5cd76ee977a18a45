#include "hwnas/core/op.h"

#include <array>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "hwnas/core/error.h"

namespace hwnas::core {
namespace {

constexpr std::array<std::pair<OpKind, std::string_view>, 29> kNames{{
    {OpKind::kInput, "input"},
    {OpKind::kConv2d, "conv2d"},
    {OpKind::kBatchNorm, "batch_norm"},
    {OpKind::kRelu, "relu"},
    {OpKind::kRelu6, "relu6"},
    {OpKind::kHardswish, "hardswish"},
    {OpKind::kHardsigmoid, "hardsigmoid"},
    {OpKind::kSigmoid, "sigmoid"},
    {OpKind::kSilu, "silu"},
    {OpKind::kGelu, "gelu"},
    {OpKind::kAdd, "add"},
    {OpKind::kMul, "mul"},
    {OpKind::kConcat, "concat"},
    {OpKind::kChannelShuffle, "channel_shuffle"},
    {OpKind::kMaxPool, "max_pool"},
    {OpKind::kAvgPool, "avg_pool"},
    {OpKind::kGlobalAvgPool, "global_avg_pool"},
    {OpKind::kLinear, "linear"},
    {OpKind::kFlatten, "flatten"},
    {OpKind::kReshape, "reshape"},
    {OpKind::kPermute, "permute"},
    {OpKind::kLayerNorm, "layer_norm"},
    {OpKind::kMatmul, "matmul"},
    {OpKind::kSoftmax, "softmax"},
    {OpKind::kZero, "zero"},
    {OpKind::kIdentity, "identity"},
    {OpKind::kMean, "mean"},
    {OpKind::kSlice, "slice"},
    {OpKind::kParameter, "parameter"},
}};

}  // namespace

const std::vector<OpKind>& all_op_kinds() {
  static const std::vector<OpKind> kinds = [] {
    std::vector<OpKind> out;
    for (const auto& [kind, name] : kNames) out.push_back(kind);
    return out;
  }();
  return kinds;
}

std::string_view op_name(OpKind kind) {
  for (const auto& [k, name] : kNames)
    if (k == kind) return name;
  HWNAS_ASSERT(false, "OpKind {} has no name", static_cast<int>(kind));
  return {};
}

OpKind op_kind_from_name(std::string_view name) {
  for (const auto& [kind, n] : kNames)
    if (n == name) return kind;
  std::vector<std::string_view> names;
  for (const auto& [kind, n] : kNames) names.push_back(n);
  fail("unknown op '{}' (valid: {})", name, fmt::join(names, ", "));
}

bool is_unary_elementwise(OpKind kind) {
  switch (kind) {
    case OpKind::kRelu:
    case OpKind::kRelu6:
    case OpKind::kHardswish:
    case OpKind::kHardsigmoid:
    case OpKind::kSigmoid:
    case OpKind::kSilu:
    case OpKind::kGelu:
    case OpKind::kZero:
    case OpKind::kIdentity:
      return true;
    default:
      return false;
  }
}

}  // namespace hwnas::core
