#pragma once
/// A small TorchScript graph interpreter that exposes every executed node. INTERNAL torch header.
///
/// The JIT interpreter runs a graph as a whole; the importer needs, for each op that actually runs, the
/// concrete values it consumed and produced (shapes, weights, list lengths). This executor walks the
/// graph itself: prim::If runs only the taken block, prim::Loop unrolls, every other node runs through
/// its registered torch::jit::Operation, and the observer sees each such node after it ran. Convolutions
/// and matrix products whose operand shapes fit are not computed: their outputs are zeros of the right
/// shape (see shape_kernels.h), as only shapes and control flow matter to the importer.

#include <stdexcept>
#include <string>
#include <vector>

#include <torch/script.h>

namespace hwnas::frontends {

class NodeObserver {
 public:
  virtual ~NodeObserver() = default;
  /// Called after `node` ran with `inputs` and produced `outputs` (one value per node output).
  virtual void on_node(const torch::jit::Node& node, const std::vector<c10::IValue>& inputs,
                       const std::vector<c10::IValue>& outputs) = 0;
};

/// An op failed while running, e.g. a conv given the wrong number of channels.
class NodeExecutionError : public std::runtime_error {
 public:
  /// `message`: "<describe_node> failed on inputs <shapes>: <torch's reason>".
  explicit NodeExecutionError(const std::string& message) : std::runtime_error(message) {}
};

/// Runs `graph` on `inputs` (one per graph input, the module itself first for a method graph) and returns
/// its outputs. Throws NodeExecutionError when an op fails; exceptions of the observer pass through.
std::vector<c10::IValue> execute_graph(const torch::jit::Graph& graph, const std::vector<c10::IValue>& inputs,
                                       NodeObserver& observer);

/// "1x3x224x224" for a tensor, "[1x3, 2x2]" for a list, "3" for an int ...: a short text for messages.
std::string describe_value(const c10::IValue& value);

}  // namespace hwnas::frontends
