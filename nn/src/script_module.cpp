#include "hwnas/nn/script_module.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/csrc/jit/frontend/resolver.h>
#include <torch/csrc/jit/frontend/sugared_value.h>
#include <torch/library.h>

#include "hwnas/core/error.h"

namespace hwnas::nn {
namespace {

using core::Node;
using core::NodeId;
using core::OpKind;

// LibTorch 1.13 bug worked around here: optimize_for_inference pulls hardtanh/hardswish/hardsigmoid into
// oneDNN groups as prim::MKLDNNHardTanh/HardSwish/HardSigmoid, which apply the op to only numel()
// elements of the oneDNN buffer. When the channel count is not a multiple of the oneDNN block (16 on
// AVX-512, 8 on AVX2) that buffer is padded and blocked, so part of the tensor is left untouched and
// the output is wrong (it also logs "An output with one or more elements was resized"). Our TorchScript
// calls these activations through opaque wrappers of the same aten kernels instead: the oneDNN group
// ends before them (to_dense), they run dense exactly as in eager, and the results are right.
at::Tensor relu6_op(const at::Tensor& x) { return at::hardtanh(x, 0.0, 6.0); }
at::Tensor hardswish_op(const at::Tensor& x) { return at::hardswish(x); }
at::Tensor hardsigmoid_op(const at::Tensor& x) { return at::hardsigmoid(x); }

TORCH_LIBRARY(hwnas_nn, m) {
  m.def("relu6(Tensor self) -> Tensor", &relu6_op);
  m.def("hardswish(Tensor self) -> Tensor", &hardswish_op);
  m.def("hardsigmoid(Tensor self) -> Tensor", &hardsigmoid_op);
}

// `torch.x` resolves to aten::x as usual; `hwnas_nn.x` to the wrappers above.
struct Resolver : torch::jit::Resolver {
  std::shared_ptr<torch::jit::SugaredValue> resolveValue(const std::string& name, torch::jit::GraphFunction& m,
                                                         const torch::jit::SourceRange& loc) override {
    if (name == "hwnas_nn") return std::make_shared<torch::jit::BuiltinModule>("hwnas_nn");
    return torch::jit::nativeResolver()->resolveValue(name, m, loc);
  }
};

// A float literal TorchScript parses as float (never as int): "1e-05", "6.0".
std::string float_literal(double value) {
  std::string text = fmt::format("{}", value);
  if (text.find_first_of(".eEn") == std::string::npos) text += ".0";
  return text;
}

std::string bool_literal(bool value) { return value ? "True" : "False"; }

std::string pair(std::int64_t v) { return fmt::format("[{}, {}]", v, v); }

std::string list(const std::vector<std::int64_t>& v) { return fmt::format("[{}]", fmt::join(v, ", ")); }

std::string value(NodeId id) { return fmt::format("v{}", id); }

// "self.n3_weight" or "None" when the node has no such tensor.
std::string attr(const torch::Tensor& tensor, NodeId id, const char* what) {
  return tensor.defined() ? fmt::format("self.n{}_{}", id, what) : "None";
}

std::string expression(const GraphModuleImpl& module, const Node& node) {
  const NodeTensors& t = module.tensors(node.id);
  const auto x = [&](std::size_t k = 0) { return value(node.inputs.at(k)); };
  switch (node.kind) {
    case OpKind::kConv2d: {
      const auto& a = std::get<core::Conv2dAttrs>(node.attrs);
      return fmt::format("torch.conv2d({}, {}, {}, {}, {}, {}, {})", x(), attr(t.weight, node.id, "weight"),
                         attr(t.bias, node.id, "bias"), pair(a.stride), pair(a.padding), pair(a.dilation), a.groups);
    }
    case OpKind::kBatchNorm: {
      const auto& a = std::get<core::NormAttrs>(node.attrs);
      return fmt::format("torch.batch_norm({}, {}, {}, {}, {}, False, 0.1, {}, True)", x(),
                         attr(t.weight, node.id, "weight"), attr(t.bias, node.id, "bias"),
                         attr(t.running_mean, node.id, "running_mean"), attr(t.running_var, node.id, "running_var"),
                         float_literal(a.eps));
    }
    case OpKind::kLayerNorm: {
      const auto& a = std::get<core::NormAttrs>(node.attrs);
      return fmt::format("torch.layer_norm({}, [{}], {}, {}, {})", x(), module.graph().shape(node.inputs[0]).back(),
                         attr(t.weight, node.id, "weight"), attr(t.bias, node.id, "bias"), float_literal(a.eps));
    }
    case OpKind::kRelu: return fmt::format("torch.relu({})", x());
    case OpKind::kRelu6: return fmt::format("hwnas_nn.relu6({})", x());
    case OpKind::kHardswish: return fmt::format("hwnas_nn.hardswish({})", x());
    case OpKind::kHardsigmoid: return fmt::format("hwnas_nn.hardsigmoid({})", x());
    case OpKind::kSigmoid: return fmt::format("torch.sigmoid({})", x());
    case OpKind::kSilu: return fmt::format("torch.silu({})", x());
    case OpKind::kGelu: return fmt::format("torch.gelu({})", x());
    case OpKind::kZero: return fmt::format("torch.mul({}, 0.0)", x());
    case OpKind::kIdentity: return x();
    case OpKind::kAdd: return fmt::format("torch.add({}, {})", x(0), x(1));
    case OpKind::kMul: return fmt::format("torch.mul({}, {})", x(0), x(1));
    case OpKind::kConcat: {
      std::vector<std::string> parts;
      for (NodeId i : node.inputs) parts.push_back(value(i));
      return fmt::format("torch.cat([{}], {})", fmt::join(parts, ", "), std::get<core::AxisAttrs>(node.attrs).axis);
    }
    case OpKind::kChannelShuffle: {
      const auto& s = node.shape;
      const std::int64_t g = std::get<core::AxisAttrs>(node.attrs).groups;
      return fmt::format("torch.reshape({}, [{}, {}, {}, {}, {}]).transpose(1, 2).contiguous().view([{}, {}, {}, {}])",
                         x(), s[0], g, s[1] / g, s[2], s[3], s[0], s[1], s[2], s[3]);
    }
    case OpKind::kMaxPool: {
      const auto& a = std::get<core::PoolAttrs>(node.attrs);
      return fmt::format("torch.max_pool2d({}, {}, {}, {}, [1, 1], {})", x(), pair(a.kernel), pair(a.stride),
                         pair(a.padding), bool_literal(a.ceil_mode));
    }
    case OpKind::kAvgPool: {
      const auto& a = std::get<core::PoolAttrs>(node.attrs);
      return fmt::format("torch.avg_pool2d({}, {}, {}, {}, {}, {})", x(), pair(a.kernel), pair(a.stride),
                         pair(a.padding), bool_literal(a.ceil_mode), bool_literal(a.count_include_pad));
    }
    case OpKind::kGlobalAvgPool: return fmt::format("torch.adaptive_avg_pool2d({}, [1, 1])", x());
    case OpKind::kLinear:
      return fmt::format("torch.linear({}, {}, {})", x(), attr(t.weight, node.id, "weight"),
                         attr(t.bias, node.id, "bias"));
    case OpKind::kFlatten: return fmt::format("torch.flatten({}, 1)", x());
    case OpKind::kReshape: return fmt::format("torch.reshape({}, {})", x(), list(std::get<core::DimsAttrs>(node.attrs).dims));
    case OpKind::kPermute: return fmt::format("{}.permute({})", x(), list(std::get<core::DimsAttrs>(node.attrs).dims));
    case OpKind::kMatmul: return fmt::format("torch.matmul({}, {})", x(0), x(1));
    case OpKind::kSoftmax: return fmt::format("torch.softmax({}, {})", x(), std::get<core::AxisAttrs>(node.attrs).axis);
    case OpKind::kMean: return fmt::format("torch.mean({}, [{}])", x(), std::get<core::AxisAttrs>(node.attrs).axis);
    case OpKind::kSlice: {
      const auto& a = std::get<core::AxisAttrs>(node.attrs);
      return fmt::format("torch.narrow({}, {}, {}, {})", x(), a.axis, a.start, a.end - a.start);
    }
    case OpKind::kParameter: {
      const auto& a = std::get<core::ParameterAttrs>(node.attrs);
      const std::string p = attr(t.weight, node.id, "param");
      if (a.concat_axis < 0) return fmt::format("torch.add({}, {})", x(), p);
      std::vector<std::int64_t> sizes(a.shape.size(), -1);
      sizes[0] = node.shape[0];
      return fmt::format("torch.cat([{}.expand({}), {}], {})", p, list(sizes), x(), a.concat_axis);
    }
    default:
      break;
  }
  fail("{}: op '{}' has no TorchScript form", describe_node(module.graph(), node), core::op_name(node.kind));
}

}  // namespace

std::string torchscript_source(const GraphModuleImpl& module) {
  const core::Graph& graph = module.graph();
  std::vector<std::string> args{"self"};
  for (NodeId id : graph.inputs()) args.push_back(fmt::format("{}: Tensor", value(id)));
  std::string src = fmt::format("def forward({}):\n", fmt::join(args, ", "));
  for (const Node& node : graph.nodes()) {
    if (node.kind == OpKind::kInput) continue;
    src += fmt::format("    {} = {}\n", value(node.id), expression(module, node));
  }
  std::vector<std::string> outs;
  for (NodeId id : module.output_ids()) outs.push_back(value(id));
  // A one-element tuple needs the trailing comma; a single output is returned bare.
  src += outs.size() == 1 ? fmt::format("    return {}\n", outs[0]) : fmt::format("    return ({},)\n", fmt::join(outs, ", "));
  return src;
}

torch::jit::Module build_script_module(const GraphModuleImpl& module, ScriptOptions options) {
  const std::string source = torchscript_source(module);
  torch::jit::Module script("hwnas_graph");
  try {
    for (const auto& p : module.named_parameters(/*recurse=*/false))
      script.register_parameter(p.key(), p.value().detach().clone(), /*is_buffer=*/false);
    for (const auto& b : module.named_buffers(/*recurse=*/false))
      script.register_buffer(b.key(), b.value().detach().clone());
    script.define(source, std::make_shared<Resolver>());
    script.eval();
    if (options.freeze) script = torch::jit::freeze(script);
    if (options.optimize_for_inference) script = torch::jit::optimize_for_inference(script);
  } catch (const c10::Error& e) {
    fail("graph '{}': TorchScript rejected the generated module: {}\n{}", module.graph().name(),
         e.what_without_backtrace(), source);
  } catch (const hwnas::Error&) {
    throw;
  } catch (const std::exception& e) {  // torch::jit::ErrorReport (compile errors) is not a c10::Error
    fail("graph '{}': TorchScript rejected the generated module: {}\n{}", module.graph().name(), e.what(), source);
  }
  return script;
}

}  // namespace hwnas::nn
