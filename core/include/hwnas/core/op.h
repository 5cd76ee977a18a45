#pragma once
/// Operator kinds of the graph IR and their attributes.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "hwnas/core/shape.h"

namespace hwnas::core {

enum class OpKind {
  kInput,
  kConv2d,
  kBatchNorm,
  kRelu,
  kRelu6,
  kHardswish,
  kHardsigmoid,
  kSigmoid,
  kSilu,
  kGelu,
  kAdd,
  kMul,
  kConcat,
  kChannelShuffle,
  kMaxPool,
  kAvgPool,
  kGlobalAvgPool,  ///< adaptive average pool to 1x1 (keeps NCHW rank)
  kLinear,         ///< on the last dim of any-rank input
  kFlatten,        ///< (N, ...) -> (N, prod)
  kReshape,
  kPermute,
  kLayerNorm,      ///< over the last dim
  kMatmul,         ///< batched a @ b over the last two dims
  kSoftmax,
  kZero,           ///< x * 0 (NB201 `none`)
  kIdentity,
  kMean,           ///< mean over one dim, dim dropped
  kSlice,          ///< [start, end) on one dim
  kParameter,      ///< a learned tensor broadcast-added or concatenated (class token, position embedding)
};

/// Every OpKind, in declaration order.
const std::vector<OpKind>& all_op_kinds();
/// Stable snake_case name ("conv2d", "batch_norm", ...), used in JSON, fusion rules and messages.
std::string_view op_name(OpKind kind);
/// Inverse of op_name; throws hwnas::Error listing valid names.
OpKind op_kind_from_name(std::string_view name);
/// True for ops applied element by element to one input (relu, gelu, ...).
bool is_unary_elementwise(OpKind kind);

struct Conv2dAttrs {
  std::int64_t out_channels = 0;
  std::int64_t kernel = 1;  ///< square kernels only
  std::int64_t stride = 1;
  std::int64_t padding = 0;
  std::int64_t dilation = 1;
  std::int64_t groups = 1;
  bool bias = false;
  bool operator==(const Conv2dAttrs&) const = default;
};

struct PoolAttrs {
  std::int64_t kernel = 2;
  std::int64_t stride = 2;
  std::int64_t padding = 0;
  bool count_include_pad = true;  ///< avg pool only
  bool ceil_mode = false;
  bool operator==(const PoolAttrs&) const = default;
};

struct LinearAttrs {
  std::int64_t out_features = 0;
  bool bias = true;
  bool operator==(const LinearAttrs&) const = default;
};

struct NormAttrs {
  double eps = 1e-5;
  bool affine = true;  ///< batch norm: learned scale/shift; layer norm: elementwise affine
  bool operator==(const NormAttrs&) const = default;
};

/// Channel shuffle groups, concat/softmax/mean/slice dim, flatten start dim.
struct AxisAttrs {
  std::int64_t axis = 1;
  std::int64_t start = 0;  ///< slice only
  std::int64_t end = 0;    ///< slice only (exclusive)
  std::int64_t groups = 1; ///< channel shuffle only
  bool operator==(const AxisAttrs&) const = default;
};

/// Target shape of a reshape (batch included, -1 allowed once) or the permutation of a permute.
struct DimsAttrs {
  std::vector<std::int64_t> dims;
  bool operator==(const DimsAttrs&) const = default;
};

/// A learned tensor of `shape` (batch dim 1) combined with the input: `concat_axis < 0` adds it
/// (broadcast over batch), otherwise prepends it along that axis (class token).
struct ParameterAttrs {
  Shape shape;
  std::int64_t concat_axis = -1;
  bool operator==(const ParameterAttrs&) const = default;
};

using OpAttrs = std::variant<std::monostate, Conv2dAttrs, PoolAttrs, LinearAttrs, NormAttrs, AxisAttrs,
                             DimsAttrs, ParameterAttrs>;

}  // namespace hwnas::core
