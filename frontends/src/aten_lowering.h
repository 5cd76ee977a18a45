#pragma once
/// Lowering of executed TorchScript ops to the hwnas graph IR. INTERNAL torch header.

#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <torch/script.h>

#include "graph_executor.h"
#include "hwnas/core/graph.h"

namespace hwnas::frontends {

/// Follows the executor: tracks which runtime tensors depend on the model input (by tensor identity,
/// so values flowing through lists, tuples and in-place ops are followed for free) and emits IR nodes
/// for each op that consumes such a tensor. Ops on constants only are constant-folded by the executor
/// and leave no trace. The IR may hold dead nodes (a rewritten channel shuffle, an unused chunk):
/// compact() removes them.
class AtenLowering final : public NodeObserver {
 public:
  /// Lowers into `graph`. `parameter_storages` are the storages of the module's learned parameters: a
  /// constant tensor added to / multiplied with / concatenated to activations becomes an IR `parameter`
  /// node only if it is (a view of) one of them.
  AtenLowering(core::Graph& graph, std::unordered_set<const c10::StorageImpl*> parameter_storages);

  /// Declares `tensor` to be the value of IR node `id` (used for the graph input).
  void bind(const at::Tensor& tensor, core::NodeId id);
  /// The IR node that computes `tensor`, or nullopt for a tensor that does not depend on the input.
  std::optional<core::NodeId> node_of(const at::Tensor& tensor) const;

  void on_node(const torch::jit::Node& node, const std::vector<c10::IValue>& inputs,
               const std::vector<c10::IValue>& outputs) override;

  struct Call;
  using Rule = void (AtenLowering::*)(const Call&);
  /// aten op name ("aten::conv2d") -> the rule lowering it.
  static const std::map<std::string, Rule, std::less<>>& rules();

 private:
  // One rule per family of aten ops; each binds the op's output tensors to the IR nodes it emits.
  void lower_alias(const Call& c);
  void lower_constant(const Call& c);
  void lower_unary(const Call& c);
  void lower_clamp(const Call& c);
  void lower_binary(const Call& c);
  void lower_conv(const Call& c);
  void lower_batch_norm(const Call& c);
  void lower_layer_norm(const Call& c);
  void lower_linear(const Call& c);
  void lower_addmm(const Call& c);
  void lower_matmul(const Call& c);
  void lower_baddbmm(const Call& c);
  void lower_pool(const Call& c);
  void lower_adaptive_pool(const Call& c);
  void lower_mean(const Call& c);
  void lower_softmax(const Call& c);
  void lower_cat(const Call& c);
  void lower_stack(const Call& c);
  void lower_select(const Call& c);
  void lower_slice(const Call& c);
  void lower_split(const Call& c);
  void lower_reshape(const Call& c);
  void lower_flatten(const Call& c);
  void lower_permute(const Call& c);
  void lower_multi_head_attention(const Call& c);
  void lower_scaled_dot_product_attention(const Call& c);
  void lower_transformer_encoder_layer(const Call& c);

  core::NodeId required(const Call& c, const c10::IValue& value, const char* what) const;
  bool is_parameter(const at::Tensor& tensor) const;
  /// Binds an op output to `id` after checking that the IR shape equals the shape PyTorch computed.
  void bind_output(const Call& c, const at::Tensor& output, core::NodeId id);
  core::NodeId reshape_to(core::NodeId x, const core::Shape& target, const std::string& name);
  /// Packed-projection multi-head self-attention on (N, L, E), as PyTorch's fast path computes it.
  core::NodeId self_attention(core::NodeId x, std::int64_t heads, bool qkv_bias, bool proj_bias,
                              const std::string& name, core::NodeId* weights);
  core::NodeId attention_core(core::NodeId q, core::NodeId k, core::NodeId v, const std::string& name,
                              core::NodeId* weights);

  struct Bound {
    core::NodeId id;
    // Keeps the TensorImpl's memory (not its data) alive so its address is never reused by a new tensor.
    c10::weak_intrusive_ptr<c10::TensorImpl> keep;
  };
  core::Graph& graph_;
  std::unordered_set<const c10::StorageImpl*> parameter_storages_;
  std::unordered_map<const c10::TensorImpl*, Bound> nodes_;
};

/// The ops that AtenLowering understands, sorted.
const std::vector<std::string>& supported_ops();

/// A copy of `graph` without the nodes no output depends on (ids renumbered, names kept).
core::Graph compact(const core::Graph& graph);

}  // namespace hwnas::frontends
