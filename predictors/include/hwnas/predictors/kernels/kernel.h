#pragma once
/// A kernel: the unit an inference engine really runs (one op, or a fused op sequence), cut from a graph.

#include <cstdint>
#include <string>
#include <vector>

#include "hwnas/core/graph.h"

namespace hwnas::predictors {

/// The short name of one op inside kernel types and fusion rules (nn-Meter's vocabulary):
/// conv, dwconv (groups == in channels), bn, relu, relu6, hswish, hsigmoid, sigmoid, swish, gelu, add,
/// mul, concat, shuffle, maxpool, avgpool, gap, fc, flatten, reshape, permute, ln, matmul, softmax,
/// zero, mean, slice, param. Identity ops have no token: they run nothing.
std::string kernel_token(const core::Graph& graph, core::NodeId id);

/// Every token kernel_token() can return, for validating rule files.
const std::vector<std::string>& kernel_tokens();

/// The shape parameters of a kernel, read from its leading op (the first op of the fused sequence).
/// Images: h, w, cin, cout; token sequences: seq_len, cin, cout; matmul: seq_len = rows, cin = inner dim,
/// cout = columns, groups = batch*heads.
struct KernelConfig {
  std::int64_t h = 0;
  std::int64_t w = 0;
  std::int64_t cin = 0;
  std::int64_t cout = 0;
  std::int64_t kernel = 0;
  std::int64_t stride = 0;
  std::int64_t groups = 0;
  std::int64_t seq_len = 0;
  std::int64_t inputs = 0;  ///< number of external input tensors
  double flops = 0;
  double params = 0;
  double bytes_read = 0;
  double bytes_written = 0;
};

struct Kernel {
  std::string type;                 ///< tokens joined by '-', e.g. "conv-bn-relu"
  std::vector<core::NodeId> nodes;  ///< the ops of the source graph it covers, in order
  KernelConfig config;
  /// Canonical text of the kernel's ops, attributes and input shapes: equal keys mean the same
  /// computation, so it keys measurements and the prediction cache.
  std::string key;
  /// 64-bit FNV-1a of `key` (0 when unset): what the prediction cache is keyed by, so a warm lookup
  /// hashes 8 bytes instead of a hundred-character key. Two distinct kernels of a network collide
  /// with probability ~n²/2^65, negligible for any cache hwnas keeps.
  std::uint64_t key_hash = 0;
};

/// The kernel as a standalone graph: its external inputs become graph inputs, so it can be measured
/// on a platform exactly as it runs inside the network.
core::Graph kernel_graph(const core::Graph& source, const Kernel& kernel);

}  // namespace hwnas::predictors
