#include "hwnas/frontends/torchscript_import.h"

#include <algorithm>
#include <system_error>
#include <unordered_set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/csrc/jit/passes/freeze_module.h>
#include <torch/script.h>

#include "aten_lowering.h"
#include "graph_executor.h"
#include "hwnas/core/error.h"
#include "node_site.h"

namespace hwnas::frontends {
namespace {

torch::jit::Module load_module(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) fail("TorchScript file {} does not exist", file.string());
  if (!std::filesystem::is_regular_file(file, ec)) fail("{} is not a file", file.string());
  try {
    return torch::jit::load(file.string(), torch::kCPU);
  } catch (const std::exception& e) {
    fail("{} is not a TorchScript file: {}", file.string(), first_line(e));
  }
}

std::unordered_set<const c10::StorageImpl*> parameter_storages(const torch::jit::Module& module) {
  std::unordered_set<const c10::StorageImpl*> out;
  for (const auto& p : module.parameters(/*recurse=*/true))
    if (p.defined() && p.has_storage()) out.insert(p.storage().unsafeGetStorageImpl());
  return out;
}

// Eval mode, then freezing: attributes (weights, `training`, submodules) become constants and every
// method call is inlined, so one flat graph remains. Freezing keeps only forward unless told otherwise.
const torch::jit::Graph& frozen_graph(torch::jit::Module& module, const std::filesystem::path& file,
                                      const std::string& method_name) {
  module.eval();
  if (!module.find_method(method_name)) {
    std::vector<std::string> names;
    for (const auto& m : module.get_methods()) names.push_back(m.name());
    fail("{} has no method '{}' (methods: {})", file.string(), method_name, fmt::join(names, ", "));
  }
  try {
    std::vector<std::string> preserved;
    if (method_name != "forward") preserved.push_back(method_name);
    torch::jit::freeze_module_inplace(&module, preserved);
  } catch (const std::exception& e) {
    fail("{}: cannot freeze the model for import: {}", file.string(), first_line(e));
  }
  auto method = module.find_method(method_name);
  HWNAS_ASSERT(method.has_value(), "freezing dropped method {}", method_name);
  const auto& graph = *method->graph();
  // Input 0 is the module itself.
  if (graph.inputs().size() != 2 || !graph.inputs()[1]->type()->cast<c10::TensorType>())
    fail("{}: {}() takes {} arguments; hwnas imports models taking one tensor", file.string(), method_name,
         graph.inputs().size() - 1);
  return graph;
}

// Marks every input-dependent tensor of the method's result (a tensor, or tensors in tuples and lists) as
// a graph output, once each, in order.
void mark_outputs(const c10::IValue& value, const AtenLowering& lowering, core::Graph& ir) {
  if (value.isTensor()) {
    const auto id = lowering.node_of(value.toTensor());
    if (id && std::find(ir.outputs().begin(), ir.outputs().end(), *id) == ir.outputs().end()) ir.mark_output(*id);
  } else if (value.isTuple()) {
    for (const auto& e : value.toTupleRef().elements()) mark_outputs(e, lowering, ir);
  } else if (value.isList()) {
    for (const auto& e : value.toListRef()) mark_outputs(e, lowering, ir);
  }
}

}  // namespace

core::Graph import_torchscript(const std::filesystem::path& file, const core::Shape& input_shape,
                               const ImportOptions& options) {
  if (input_shape.empty() || std::any_of(input_shape.begin(), input_shape.end(), [](std::int64_t d) { return d <= 0; }))
    fail("{}: input shape '{}' must have positive dims, e.g. 1,3,224,224", file.string(), fmt::join(input_shape, ","));
  torch::jit::Module module = load_module(file);
  // Recorded before freezing, which keeps the tensors but forgets which attributes were parameters.
  const auto learned = parameter_storages(module);
  const torch::jit::Graph& graph = frozen_graph(module, file, options.method);

  core::Graph ir(options.graph_name.empty() ? file.stem().string() : options.graph_name);
  AtenLowering lowering(ir, learned);
  torch::NoGradGuard no_grad;  // inference, as deployed: also selects PyTorch's fused attention paths
  const at::Tensor x = torch::zeros(input_shape);
  lowering.bind(x, ir.input(input_shape, "input"));

  std::vector<c10::IValue> outputs;
  try {
    outputs = execute_graph(graph, {module._ivalue(), x}, lowering);
  } catch (const NodeExecutionError& e) {
    fail("{}: input shape {} does not fit the model: {}", file.string(), core::to_string(input_shape), e.what());
  } catch (const Error& e) {
    fail("{}: {}", file.string(), e.what());
  } catch (const std::exception& e) {  // LibTorch rejecting a value the importer did not expect
    fail("{}: import failed: {}", file.string(), first_line(e));
  }
  for (const auto& v : outputs) mark_outputs(v, lowering, ir);
  if (ir.outputs().empty()) fail("{}: no output of {}() depends on the input", file.string(), options.method);
  return compact(ir);
}

const std::vector<std::string>& lowered_aten_ops() { return supported_ops(); }

}  // namespace hwnas::frontends
