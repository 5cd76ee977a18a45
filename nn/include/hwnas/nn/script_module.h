#pragma once
/// TorchScript realisation of a GraphModule. INTERNAL torch header (see graph_module.h).

#include <string>

#include <torch/script.h>

#include "hwnas/nn/graph_module.h"

namespace hwnas::nn {

/// TorchScript source of `forward` for the module's graph: one statement per node, calling the same
/// aten ops as GraphModule::forward in eval mode; weights are read from attributes named like the
/// module's parameters and buffers ("n3_weight").
std::string torchscript_source(const GraphModuleImpl& module);

struct ScriptOptions {
  bool freeze = true;                  ///< torch::jit::freeze: weights become constants, conv-bn folding
  bool optimize_for_inference = true;  ///< torch::jit::optimize_for_inference: oneDNN conversion and fusions
};

/// A TorchScript module "hwnas_graph" holding copies of the module's parameters and buffers, with
/// `forward` defined from torchscript_source(), in eval mode, then frozen and optimised as asked.
/// Its forward takes one tensor per graph input and returns a tensor (one output) or a tuple.
torch::jit::Module build_script_module(const GraphModuleImpl& module, ScriptOptions options = {});

}  // namespace hwnas::nn
