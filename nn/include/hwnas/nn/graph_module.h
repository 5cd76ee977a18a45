#pragma once
/// GraphModule: a torch::nn::Module built from a core::Graph. INTERNAL torch header: include it only
/// from code that compiles against LibTorch (zero-cost proxies need gradients through it).
///
/// forward() interprets the graph node by node with the aten ops PyTorch eager would run for the
/// equivalent nn.Module, so timings and numerics match a hand-written PyTorch model. Like every
/// torch::nn::Module it starts in train mode (batch norm then uses batch statistics and updates its
/// running stats); call eval() for inference.

#include <cstdint>
#include <functional>
#include <vector>

#include <torch/torch.h>

#include "hwnas/core/graph.h"

namespace hwnas::nn {

/// The learned tensors and buffers of one node; undefined tensors where the node has none.
struct NodeTensors {
  torch::Tensor weight;        ///< conv/linear weight, norm scale, or the parameter node's tensor
  torch::Tensor bias;          ///< conv/linear bias, norm shift
  torch::Tensor running_mean;  ///< batch norm buffer
  torch::Tensor running_var;   ///< batch norm buffer
};

/// Called after each node is computed with the node, its input values and its output; the returned
/// tensor replaces the output downstream (return `output` to only observe).
using NodeHook = std::function<torch::Tensor(const core::Node& node, const std::vector<torch::Tensor>& inputs,
                                             torch::Tensor output)>;

class GraphModuleImpl : public torch::nn::Module {
 public:
  /// Registers one set of parameters per node, initialised as PyTorch does by default
  /// (kaiming-uniform conv/linear, norm scale 1 shift 0, parameter nodes N(0, 0.02^2)), from `seed`.
  explicit GraphModuleImpl(core::Graph graph, std::uint64_t seed = 0);

  /// The graph outputs for `inputs` (one tensor per input node, in node-id order).
  std::vector<torch::Tensor> forward(std::vector<torch::Tensor> inputs);
  /// Every node's value (index = node id), with an optional hook after each node.
  std::vector<torch::Tensor> forward_all(std::vector<torch::Tensor> inputs, const NodeHook& hook = {});

  /// Re-initialises every parameter and buffer as the constructor does.
  void reset_parameters(std::uint64_t seed);
  /// Random N(0,1) inputs of the graph's input shapes, from `seed`.
  std::vector<torch::Tensor> make_inputs(std::uint64_t seed) const;

  const core::Graph& graph() const { return graph_; }
  /// The graph's marked outputs, or its sinks (nodes nobody reads) when none is marked.
  const std::vector<core::NodeId>& output_ids() const { return output_ids_; }
  const NodeTensors& tensors(core::NodeId id) const;

 private:
  torch::Tensor compute(const core::Node& node, const std::vector<torch::Tensor>& in) const;

  core::Graph graph_;
  std::vector<core::NodeId> output_ids_;
  std::vector<NodeTensors> tensors_;  // index = node id
};

TORCH_MODULE(GraphModule);

/// "graph 'g', node 3 'conv' (conv2d)": how messages name a node.
std::string describe_node(const core::Graph& graph, const core::Node& node);

}  // namespace hwnas::nn
