#include "graph_executor.h"

#include <unordered_map>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/csrc/jit/ir/constants.h>

#include "hwnas/core/error.h"
#include "node_site.h"
#include "shape_kernels.h"

namespace hwnas::frontends {
namespace {

using torch::jit::Block;
using torch::jit::Node;
using torch::jit::Value;

class Executor {
 public:
  explicit Executor(NodeObserver& observer) : observer_(observer) {}

  std::vector<c10::IValue> run(const torch::jit::Graph& graph, const std::vector<c10::IValue>& inputs) {
    HWNAS_ASSERT(inputs.size() == graph.inputs().size(), "graph takes {} inputs, given {}", graph.inputs().size(),
                 inputs.size());
    for (std::size_t i = 0; i < inputs.size(); ++i) env_[graph.inputs()[i]] = inputs[i];
    run_block(*graph.block());
    std::vector<c10::IValue> outputs;
    for (const Value* v : graph.outputs()) outputs.push_back(get(v));
    return outputs;
  }

 private:
  const c10::IValue& get(const Value* v) const {
    auto it = env_.find(v);
    HWNAS_ASSERT(it != env_.end(), "value %{} used before it was computed", v->debugName());
    return it->second;
  }

  void run_block(const Block& block) {
    for (const Node* node : block.nodes()) run_node(*node);
  }

  void run_if(const Node& node) {
    const Block& taken = *node.blocks()[get(node.input(0)).toBool() ? 0 : 1];
    run_block(taken);
    for (std::size_t i = 0; i < node.outputs().size(); ++i) env_[node.outputs()[i]] = get(taken.outputs()[i]);
  }

  // prim::Loop(max_trip_count, condition, carried...); body(i, carried...) -> (condition, carried...).
  void run_loop(const Node& node) {
    const Block& body = *node.blocks()[0];
    const std::int64_t max_trips = get(node.input(0)).toInt();
    bool condition = get(node.input(1)).toBool();
    std::vector<c10::IValue> carried;
    for (std::size_t i = 2; i < node.inputs().size(); ++i) carried.push_back(get(node.inputs()[i]));
    for (std::int64_t trip = 0; condition && trip < max_trips; ++trip) {
      env_[body.inputs()[0]] = trip;
      for (std::size_t i = 0; i < carried.size(); ++i) env_[body.inputs()[i + 1]] = carried[i];
      run_block(body);
      condition = get(body.outputs()[0]).toBool();
      for (std::size_t i = 0; i < carried.size(); ++i) carried[i] = get(body.outputs()[i + 1]);
    }
    for (std::size_t i = 0; i < carried.size(); ++i) env_[node.outputs()[i]] = carried[i];
  }

  // The prim ops that the JIT interpreter runs as its own instructions and that therefore have no
  // registered Operation: building and taking apart lists, tuples and dicts. Returns false for others.
  static bool run_structural(const Node& node, torch::jit::Stack& stack) {
    const auto kind = node.kind();
    if (kind == c10::prim::ListConstruct) {
      c10::List<c10::IValue> list(node.output()->type()->expectRef<c10::ListType>().getElementType());
      list.reserve(stack.size());
      for (auto& v : stack) list.push_back(std::move(v));
      stack.clear();
      stack.emplace_back(std::move(list));
    } else if (kind == c10::prim::ListUnpack) {
      const auto list = stack.back().toList();
      HWNAS_CHECK(list.size() == node.outputs().size(), "{}: a list of {} values unpacked into {}", describe_node(node),
                  list.size(), node.outputs().size());
      stack.pop_back();
      for (std::size_t i = 0; i < list.size(); ++i) stack.push_back(list.get(i));
    } else if (kind == c10::prim::TupleConstruct) {
      std::vector<c10::IValue> elements(std::make_move_iterator(stack.begin()), std::make_move_iterator(stack.end()));
      stack.clear();
      auto type = node.output()->type()->cast<c10::TupleType>();
      if (type && type->schema())  // a NamedTuple such as googlenet's GoogLeNetOutputs
        stack.emplace_back(c10::ivalue::Tuple::createNamed(std::move(elements), type));
      else
        stack.emplace_back(c10::ivalue::Tuple::create(std::move(elements)));
    } else if (kind == c10::prim::TupleUnpack) {
      const auto tuple = stack.back().toTuple();
      stack.pop_back();
      for (const auto& v : tuple->elements()) stack.push_back(v);
    } else if (kind == c10::prim::DictConstruct) {
      const auto& type = node.output()->type()->expectRef<c10::DictType>();
      c10::impl::GenericDict dict(type.getKeyType(), type.getValueType());
      for (std::size_t i = 0; i + 1 < stack.size(); i += 2) dict.insert_or_assign(stack[i], stack[i + 1]);
      stack.clear();
      stack.emplace_back(std::move(dict));
    } else if (kind == c10::prim::Uninitialized) {
      stack.emplace_back();
    } else if (kind == c10::prim::unchecked_cast) {
      // the value passes through unchanged
    } else {
      return false;
    }
    return true;
  }

  void run_node(const Node& node) {
    const auto kind = node.kind();
    if (kind == c10::prim::Constant) {
      env_[node.output()] = torch::jit::toIValue(node.output()).value();
      return;
    }
    if (kind == c10::prim::If) return run_if(node);
    if (kind == c10::prim::Loop) return run_loop(node);
    // Runtime warnings (googlenet's "Scripted GoogleNet always returns ... Tuple") are noise here.
    if (kind == c10::aten::warn) return;
    if (kind == c10::prim::RaiseException) {  // a Python `raise` or torch._assert in the model
      const auto& message = get(node.input(0));
      throw NodeExecutionError(fmt::format("the model raised an exception ({}): {}", describe_node(node),
                                           message.isString() ? message.toStringRef() : "no message"));
    }
    if (!node.blocks().empty())
      fail("{} has sub-blocks the importer cannot run (only prim::If and prim::Loop)", describe_node(node));

    std::vector<c10::IValue> inputs;
    inputs.reserve(node.inputs().size());
    for (const Value* v : node.inputs()) inputs.push_back(get(v));
    if (auto outputs = run_shape_only(node, inputs)) return finish(node, inputs, std::move(*outputs));
    torch::jit::Stack stack(inputs.begin(), inputs.end());
    try {
      if (!run_structural(node, stack)) {
        // Vararg ops (aten::format) take their argument count on top of the stack, as the JIT pushes it.
        if (const auto* schema = node.maybeSchema(); schema && schema->is_vararg())
          stack.emplace_back(static_cast<std::int64_t>(inputs.size()));
        node.getOperation()(stack);
      }
    } catch (const std::exception& e) {
      std::vector<std::string> shapes;
      for (const auto& v : inputs)
        if (v.isTensor() || v.isTensorList()) shapes.push_back(describe_value(v));
      throw NodeExecutionError(
          fmt::format("{} failed on inputs {}: {}", describe_node(node), fmt::join(shapes, ", "), first_line(e)));
    }
    finish(node, inputs,
           std::vector<c10::IValue>(std::make_move_iterator(stack.begin()), std::make_move_iterator(stack.end())));
  }

  void finish(const Node& node, const std::vector<c10::IValue>& inputs, std::vector<c10::IValue> outputs) {
    HWNAS_ASSERT(outputs.size() == node.outputs().size(), "{} gave {} values for {} outputs",
                 node.kind().toQualString(), outputs.size(), node.outputs().size());
    for (std::size_t i = 0; i < outputs.size(); ++i) env_[node.outputs()[i]] = outputs[i];
    observer_.on_node(node, inputs, outputs);
  }

  NodeObserver& observer_;
  std::unordered_map<const Value*, c10::IValue> env_;
};

}  // namespace

std::vector<c10::IValue> execute_graph(const torch::jit::Graph& graph, const std::vector<c10::IValue>& inputs,
                                       NodeObserver& observer) {
  return Executor(observer).run(graph, inputs);
}

std::string describe_value(const c10::IValue& value) {
  if (value.isTensor()) {
    const auto& t = value.toTensor();
    if (!t.defined()) return "undefined";
    return t.dim() == 0 ? "scalar" : fmt::format("{}", fmt::join(t.sizes(), "x"));
  }
  if (value.isList()) {
    std::vector<std::string> parts;
    for (const auto& v : value.toListRef()) parts.push_back(describe_value(v));
    return fmt::format("[{}]", fmt::join(parts, ", "));
  }
  if (value.isTuple()) {
    std::vector<std::string> parts;
    for (const auto& v : value.toTupleRef().elements()) parts.push_back(describe_value(v));
    return fmt::format("({})", fmt::join(parts, ", "));
  }
  if (value.isNone()) return "None";
  if (value.isInt()) return std::to_string(value.toInt());
  if (value.isDouble()) return fmt::format("{}", value.toDouble());
  if (value.isBool()) return value.toBool() ? "True" : "False";
  return value.tagKind();
}

}  // namespace hwnas::frontends
