#include "aten_lowering.h"

#include <algorithm>
#include <map>
#include <numeric>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "hwnas/core/error.h"
#include "node_site.h"

// How aten ops map to the IR, and where the mapping is not exact:
//  * conv2d/_convolution/convolution -> conv2d (square kernels, equal stride/padding/dilation on H and W);
//    batch_norm -> batch_norm; layer_norm over the last dim -> layer_norm; linear, addmm and mm/matmul with a
//    constant 2-D right operand -> linear; matmul/bmm of two activations -> matmul.
//  * relu, relu6, hardtanh(0, 6), clamp(0[, 6]), hardswish, hardsigmoid, sigmoid, silu, gelu -> unary ops.
//  * add/sub/mul/div of two activations -> add (sub) or mul (div), lower ranks reshaped with leading 1s.
//    With a constant operand: a learned parameter (ViT position embedding, ConvNeXt layer scale) becomes a
//    `parameter` node, which the IR defines as an add; a scale by a parameter has the same FLOPs and params,
//    so it is lowered the same way. A scalar or a non-learned constant (x * 0.5, x + 3) is dropped: the
//    IR has no scalar op, and such ops are fused into neighbouring kernels by every inference engine.
//  * cat/concat -> concat; a learned tensor concatenated to activations (ViT class token) -> `parameter`
//    with concat_axis. stack -> reshapes + concat.
//  * max/avg_pool2d -> max/avg_pool; adaptive_avg_pool2d to 1x1 -> global_avg_pool, to the input size ->
//    dropped, to an exact divisor -> avg_pool with kernel = stride; mean over H and W -> global_avg_pool;
//    mean over one dim -> mean.
//  * view/reshape/flatten/unflatten/(un)squeeze -> reshape (or flatten for flatten(1, -1)); permute,
//    transpose, t -> permute; the reshape-transpose-reshape of a channel shuffle -> channel_shuffle.
//  * select/slice/narrow -> slice (+ reshape dropping the dim for select); chunk/split/unbind -> one slice
//    per piece (the IR has no multi-output split).
//  * _native_multi_head_attention (nn.MultiheadAttention's inference fast path) -> linear(3E), reshape and
//    permute to heads, slices, matmul, softmax, matmul, permute, reshape, linear(E); the 1/sqrt(d) scaling
//    is a scalar op and dropped. _scaled_dot_product_attention -> matmul, softmax, matmul.
//  * _transformer_encoder_layer_fwd (nn.TransformerEncoderLayer's fast path) -> the same attention, linear,
//    relu/gelu, linear, with adds and layer norms in the layer's norm_first order.
//  * contiguous, clone, detach, dropout (inference), to: dropped. Ops that create tensors whose values do
//    not depend on the input (zeros_like, new_zeros, ...) are constants.

namespace hwnas::frontends {

using core::NodeId;
using core::OpKind;
using core::Shape;

struct AtenLowering::Call {
  const torch::jit::Node& node;
  const std::vector<c10::IValue>& in;
  const std::vector<c10::IValue>& out;
  std::string name;  // IR node name: "<module path>:<op>" or "" for the IR's default

  const c10::IValue& arg(std::string_view arg_name) const {
    const auto* schema = node.maybeSchema();
    const auto index =
        schema ? schema->argumentIndexWithName(c10::string_view(arg_name.data(), arg_name.size())) : c10::nullopt;
    if (!index)
      fail("{}: the importer expected an argument '{}' in {}", describe_node(node), arg_name,
           schema ? c10::toString(*schema) : "an op without schema");
    return in.at(static_cast<std::size_t>(*index));
  }
  bool has_arg(std::string_view arg_name) const {
    const auto* schema = node.maybeSchema();
    return schema && schema->argumentIndexWithName(c10::string_view(arg_name.data(), arg_name.size())).has_value();
  }
  std::string op() const { return node.kind().toQualString(); }
  std::string where() const { return describe_node(node); }
  std::string sub(std::string_view suffix) const { return name.empty() ? "" : fmt::format("{}.{}", name, suffix); }
};

namespace {

Shape shape_of(const at::Tensor& t) { return Shape(t.sizes().begin(), t.sizes().end()); }

std::int64_t normalize_dim(std::int64_t dim, std::int64_t rank) { return dim < 0 ? dim + rank : dim; }

// Calls `visit` on every defined tensor inside `value` (tensors, lists, tuples, optionals).
template <typename F>
void for_each_tensor(const c10::IValue& value, F&& visit) {
  if (value.isTensor()) {
    if (value.toTensor().defined()) visit(value.toTensor());
  } else if (value.isList()) {
    for (const auto& v : value.toListRef()) for_each_tensor(v, visit);
  } else if (value.isTuple()) {
    for (const auto& v : value.toTupleRef().elements()) for_each_tensor(v, visit);
  } else if (value.isGenericDict()) {
    for (const auto& entry : value.toGenericDict()) for_each_tensor(entry.value(), visit);
  }
}

std::vector<std::int64_t> int_list(const c10::IValue& v) {
  if (v.isNone()) return {};
  if (v.isInt()) return {v.toInt()};
  return v.toIntVector();
}

// A square kernel/stride/padding argument: one value, or two equal values for H and W.
std::int64_t square(const AtenLowering::Call& c, std::string_view name, std::int64_t if_empty) {
  const auto list = int_list(c.arg(name));
  if (list.empty()) return if_empty;
  if (list.size() > 2 || (list.size() == 2 && list[0] != list[1]))
    fail("{}: {} [{}] differs between H and W; hwnas convs and pools are square (supported: equal values)", c.where(),
         name, fmt::join(list, ", "));
  return list[0];
}

const at::Tensor& tensor_arg(const AtenLowering::Call& c, std::string_view name) {
  const auto& v = c.arg(name);
  HWNAS_ASSERT(v.isTensor(), "{}: argument {} is not a tensor", c.op(), name);
  return v.toTensor();
}

bool defined_tensor(const c10::IValue& v) { return v.isTensor() && v.toTensor().defined(); }

const at::Tensor& out_tensor(const AtenLowering::Call& c, std::size_t i = 0) {
  HWNAS_ASSERT(i < c.out.size() && c.out[i].isTensor(), "{}: output {} is not a tensor", c.op(), i);
  return c.out[i].toTensor();
}

}  // namespace

const std::map<std::string, AtenLowering::Rule, std::less<>>& AtenLowering::rules() {
  using L = AtenLowering;
  static const auto table = [] {
    std::map<std::string, L::Rule, std::less<>> rules;
    const auto add = [&](std::initializer_list<const char*> names, L::Rule rule) {
      for (const char* n : names) rules.emplace(n, rule);
    };
    add({"aten::contiguous", "aten::clone", "aten::detach", "aten::detach_", "aten::dropout", "aten::dropout_",
         "aten::feature_dropout", "aten::feature_dropout_", "aten::alpha_dropout", "aten::alpha_dropout_",
         "aten::feature_alpha_dropout", "aten::feature_alpha_dropout_", "aten::to", "aten::type_as", "aten::alias",
         "aten::lift_fresh"},
        &L::lower_alias);
    add({"aten::zeros_like", "aten::ones_like", "aten::full_like", "aten::empty_like", "aten::rand_like",
         "aten::randn_like", "aten::new_zeros", "aten::new_ones", "aten::new_full", "aten::new_empty"},
        &L::lower_constant);
    add({"aten::relu", "aten::relu_", "aten::relu6", "aten::relu6_", "aten::hardswish", "aten::hardswish_",
         "aten::hardsigmoid", "aten::hardsigmoid_", "aten::sigmoid", "aten::sigmoid_", "aten::silu", "aten::silu_",
         "aten::gelu", "aten::gelu_"},
        &L::lower_unary);
    add({"aten::hardtanh", "aten::hardtanh_", "aten::clamp", "aten::clamp_", "aten::clamp_min", "aten::clamp_min_"},
        &L::lower_clamp);
    add({"aten::add", "aten::add_", "aten::sub", "aten::sub_", "aten::rsub", "aten::mul", "aten::mul_", "aten::div",
         "aten::div_"},
        &L::lower_binary);
    add({"aten::conv2d", "aten::_convolution", "aten::convolution"}, &L::lower_conv);
    add({"aten::batch_norm"}, &L::lower_batch_norm);
    add({"aten::layer_norm"}, &L::lower_layer_norm);
    add({"aten::linear"}, &L::lower_linear);
    add({"aten::addmm"}, &L::lower_addmm);
    add({"aten::matmul", "aten::mm", "aten::bmm"}, &L::lower_matmul);
    add({"aten::baddbmm"}, &L::lower_baddbmm);
    add({"aten::max_pool2d", "aten::max_pool2d_with_indices", "aten::avg_pool2d"}, &L::lower_pool);
    add({"aten::adaptive_avg_pool2d", "aten::adaptive_max_pool2d"}, &L::lower_adaptive_pool);
    add({"aten::mean"}, &L::lower_mean);
    add({"aten::softmax", "aten::_softmax", "aten::log_softmax"}, &L::lower_softmax);
    add({"aten::cat", "aten::concat"}, &L::lower_cat);
    add({"aten::stack"}, &L::lower_stack);
    add({"aten::select"}, &L::lower_select);
    add({"aten::slice", "aten::narrow"}, &L::lower_slice);
    add({"aten::chunk", "aten::unsafe_chunk", "aten::split", "aten::unsafe_split", "aten::split_with_sizes",
         "aten::unsafe_split_with_sizes", "aten::unbind"},
        &L::lower_split);
    add({"aten::view", "aten::reshape", "aten::_reshape_alias", "aten::unflatten", "aten::unsqueeze",
         "aten::unsqueeze_", "aten::squeeze", "aten::squeeze_", "aten::view_as", "aten::reshape_as", "aten::expand",
         "aten::expand_as"},
        &L::lower_reshape);
    add({"aten::flatten"}, &L::lower_flatten);
    add({"aten::permute", "aten::transpose", "aten::transpose_", "aten::t", "aten::numpy_T", "aten::swapaxes"},
        &L::lower_permute);
    add({"aten::_native_multi_head_attention"}, &L::lower_multi_head_attention);
    add({"aten::_scaled_dot_product_attention"}, &L::lower_scaled_dot_product_attention);
    add({"aten::_transformer_encoder_layer_fwd"}, &L::lower_transformer_encoder_layer);
    return rules;
  }();
  return table;
}

const std::vector<std::string>& supported_ops() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& [name, rule] : AtenLowering::rules()) out.push_back(name);
    return out;  // std::map keeps them sorted
  }();
  return names;
}

AtenLowering::AtenLowering(core::Graph& graph, std::unordered_set<const c10::StorageImpl*> parameter_storages)
    : graph_(graph), parameter_storages_(std::move(parameter_storages)) {}

void AtenLowering::bind(const at::Tensor& tensor, NodeId id) {
  HWNAS_ASSERT(tensor.defined(), "binding an undefined tensor to node {}", id);
  nodes_.insert_or_assign(tensor.unsafeGetTensorImpl(),
                          Bound{id, c10::weak_intrusive_ptr<c10::TensorImpl>(tensor.getIntrusivePtr())});
}

std::optional<NodeId> AtenLowering::node_of(const at::Tensor& tensor) const {
  if (!tensor.defined()) return std::nullopt;
  auto it = nodes_.find(tensor.unsafeGetTensorImpl());
  if (it == nodes_.end()) return std::nullopt;
  return it->second.id;
}

bool AtenLowering::is_parameter(const at::Tensor& tensor) const {
  return tensor.defined() && tensor.has_storage() &&
         parameter_storages_.count(tensor.storage().unsafeGetStorageImpl()) > 0;
}

NodeId AtenLowering::required(const Call& c, const c10::IValue& value, const char* what) const {
  if (value.isTensor())
    if (auto id = node_of(value.toTensor())) return *id;
  fail(
      "{}: its {} must be computed from the model input, got a constant {}; supported: constant weights "
      "only as the op's weight/bias arguments",
      c.where(), what, describe_value(value));
}

void AtenLowering::bind_output(const Call& c, const at::Tensor& output, NodeId id) {
  const Shape actual = shape_of(output);
  if (graph_.shape(id) != actual)
    fail("{}: lowered to {} of shape {} but PyTorch computed {} (an op configuration the IR cannot express)", c.where(),
         core::op_name(graph_.node(id).kind), core::to_string(graph_.shape(id)), core::to_string(actual));
  bind(output, id);
}

NodeId AtenLowering::reshape_to(NodeId x, const Shape& target, const std::string& name) {
  return graph_.shape(x) == target ? x : graph_.reshape(x, target, name);
}

void AtenLowering::on_node(const torch::jit::Node& node, const std::vector<c10::IValue>& inputs,
                           const std::vector<c10::IValue>& outputs) {
  bool depends = false;
  for (const auto& v : inputs)
    for_each_tensor(v, [&](const at::Tensor& t) { depends = depends || node_of(t).has_value(); });
  if (!depends) return;  // constant folding: weights, shapes, lists of ints

  const std::string op = node.kind().toQualString();
  const std::string path = module_path(node);
  // "layer1.0.conv1:conv2d", "features.0:relu" (for relu_), "conv1:convolution" (for _convolution).
  std::string short_op = op.substr(op.find("::") + 2);
  while (short_op.size() > 1 && short_op.front() == '_') short_op.erase(short_op.begin());
  while (short_op.size() > 1 && short_op.back() == '_') short_op.pop_back();
  Call call{node, inputs, outputs, path.empty() ? "" : fmt::format("{}:{}", path, short_op)};
  if (auto rule = rules().find(op); rule != rules().end()) {
    (this->*rule->second)(call);
    return;
  }

  // Ops that only move values around (lists, tuples, sizes, identity tests) need no IR node: they make
  // no new tensor and write none.
  bool writes = false;
  if (const auto* schema = node.maybeSchema()) {
    for (std::size_t i = 0; i < schema->arguments().size() && i < inputs.size(); ++i) {
      const auto* alias = schema->arguments()[i].alias_info();
      if (alias && alias->isWrite() && inputs[i].isTensor() && node_of(inputs[i].toTensor())) writes = true;
    }
  }
  std::unordered_set<const c10::TensorImpl*> passed;  // tensors that are only passed through
  for (const auto& v : inputs) for_each_tensor(v, [&](const at::Tensor& t) { passed.insert(t.unsafeGetTensorImpl()); });
  bool creates = false;
  for (const auto& v : outputs)
    for_each_tensor(v, [&](const at::Tensor& t) { creates = creates || !passed.count(t.unsafeGetTensorImpl()); });
  if (!writes && !creates) return;

  std::vector<std::string> shapes;
  for (const auto& v : inputs)
    if (v.isTensor() || v.isTensorList()) shapes.push_back(describe_value(v));
  fail("unsupported op {} (inputs {}): it has no lowering to the hwnas IR; supported ops: {}", describe_node(node),
       fmt::join(shapes, ", "), fmt::join(supported_ops(), ", "));
}

// ---- rules ----

void AtenLowering::lower_alias(const Call& c) {
  const NodeId x = required(c, c.in.at(0), "input");
  bind_output(c, out_tensor(c), x);
}

void AtenLowering::lower_constant(const Call&) {}  // the output's values do not depend on the input

void AtenLowering::lower_unary(const Call& c) {
  static const std::map<std::string, OpKind, std::less<>> kinds = {{"relu", OpKind::kRelu},
                                                                   {"relu6", OpKind::kRelu6},
                                                                   {"hardswish", OpKind::kHardswish},
                                                                   {"hardsigmoid", OpKind::kHardsigmoid},
                                                                   {"sigmoid", OpKind::kSigmoid},
                                                                   {"silu", OpKind::kSilu},
                                                                   {"gelu", OpKind::kGelu}};
  std::string base = c.node.kind().toUnqualString();
  if (base.back() == '_') base.pop_back();
  const NodeId x = required(c, c.in.at(0), "input");
  bind_output(c, out_tensor(c), graph_.unary(kinds.at(base), x, c.name));
}

void AtenLowering::lower_clamp(const Call& c) {
  const NodeId x = required(c, c.in.at(0), "input");
  const bool hardtanh = c.has_arg("min_val");
  const auto& lo = hardtanh ? c.arg("min_val") : c.arg("min");
  const c10::IValue hi = hardtanh ? c.arg("max_val") : (c.has_arg("max") ? c.arg("max") : c10::IValue());
  const auto number = [](const c10::IValue& v) -> std::optional<double> {
    if (v.isNone()) return std::nullopt;
    if (v.isTensor()) return v.toTensor().item<double>();
    return v.toScalar().toDouble();
  };
  const auto low = number(lo);
  const auto high = number(hi);
  OpKind kind;
  if (low == 0.0 && high == 6.0) {
    kind = OpKind::kRelu6;
  } else if (low == 0.0 && !high) {
    kind = OpKind::kRelu;
  } else {
    fail("{}: clamping to [{}, {}] has no IR op (supported: [0, 6] as relu6, [0, inf) as relu)", c.where(),
         low ? fmt::format("{}", *low) : "-inf", high ? fmt::format("{}", *high) : "inf");
  }
  bind_output(c, out_tensor(c), graph_.unary(kind, x, c.name));
}

void AtenLowering::lower_binary(const Call& c) {
  const std::string base = c.node.kind().toUnqualString();
  const bool multiplicative = base.rfind("mul", 0) == 0 || base.rfind("div", 0) == 0;
  const at::Tensor& out = out_tensor(c);
  const c10::IValue& a = c.in.at(0);
  const c10::IValue& b = c.in.at(1);
  // -1: not computed from the input (a scalar, a weight, a constant). Plain ids, as GCC 12 misreports
  // std::optional<int> here as maybe-uninitialized.
  const auto id_of = [&](const c10::IValue& v) -> NodeId {
    const auto id = v.isTensor() ? node_of(v.toTensor()) : std::nullopt;
    return id.value_or(-1);
  };
  const NodeId ida = id_of(a);
  const NodeId idb = id_of(b);

  if (ida >= 0 && idb >= 0) {
    NodeId x = ida;
    NodeId y = idb;
    // The IR broadcasts equal ranks only: give the lower-rank operand leading 1s, as PyTorch does.
    const auto rank = static_cast<std::size_t>(out.dim());
    for (NodeId* v : {&x, &y}) {
      Shape s = graph_.shape(*v);
      if (s.size() < rank) {
        s.insert(s.begin(), rank - s.size(), 1);
        *v = graph_.reshape(*v, s, c.sub("broadcast"));
      }
    }
    const NodeId id = multiplicative ? graph_.mul(x, y, c.name) : graph_.add(x, y, c.name);
    bind_output(c, out, id);
    return;
  }

  const NodeId x = ida >= 0 ? ida : idb;
  const c10::IValue& other = ida >= 0 ? b : a;
  if (other.isTensor() && is_parameter(other.toTensor())) {
    Shape shape = shape_of(other.toTensor());
    shape.insert(shape.begin(), graph_.shape(x).size() - std::min(shape.size(), graph_.shape(x).size()), 1);
    if (shape.size() != graph_.shape(x).size() || shape[0] != 1)
      fail("{}: learned tensor {} does not broadcast onto activation {} with batch 1", c.where(),
           core::to_string(shape_of(other.toTensor())), core::to_string(graph_.shape(x)));
    bind_output(c, out, graph_.parameter(x, core::ParameterAttrs{shape, -1}, c.name));
    return;
  }
  // A scalar or a constant that is not learned: dropped (see the top of this file).
  bind_output(c, out, x);
}

void AtenLowering::lower_conv(const Call& c) {
  const NodeId x = required(c, c.in.at(0), "input");
  const at::Tensor& w = tensor_arg(c, "weight");
  if (node_of(w)) fail("{}: a conv whose weight depends on the input has no IR op", c.where());
  if (c.has_arg("transposed") && c.arg("transposed").toBool())
    fail("{}: transposed convolution has no IR op (supported: conv2d)", c.where());
  if (w.dim() != 4)
    fail("{}: {}-d convolution (weight {}) has no IR op (supported: 2-d)", c.where(), w.dim() - 2,
         core::to_string(shape_of(w)));
  if (w.size(2) != w.size(3))
    fail("{}: kernel {}x{} is not square; hwnas convs are square", c.where(), w.size(2), w.size(3));
  core::Conv2dAttrs attrs;
  attrs.out_channels = w.size(0);
  attrs.kernel = w.size(2);
  attrs.stride = square(c, "stride", 1);
  attrs.dilation = square(c, "dilation", 1);
  attrs.groups = c.arg("groups").toInt();
  attrs.bias = defined_tensor(c.arg("bias"));
  const auto& padding = c.arg("padding");
  if (padding.isString()) {  // conv2d(..., padding="same" | "valid")
    const std::int64_t total = attrs.dilation * (attrs.kernel - 1);
    if (padding.toStringRef() == "valid") {
      attrs.padding = 0;
    } else if (total % 2 == 0) {
      attrs.padding = total / 2;
    } else {
      fail("{}: padding='same' with an even kernel pads unequally; hwnas convs pad equally", c.where());
    }
  } else {
    attrs.padding = square(c, "padding", 0);
  }
  bind_output(c, out_tensor(c), graph_.conv2d(x, attrs, c.name));
}

void AtenLowering::lower_batch_norm(const Call& c) {
  const NodeId x = required(c, c.in.at(0), "input");
  core::NormAttrs attrs;
  attrs.eps = c.arg("eps").toDouble();
  attrs.affine = defined_tensor(c.arg("weight"));
  bind_output(c, out_tensor(c), graph_.batch_norm(x, attrs, c.name));
}

void AtenLowering::lower_layer_norm(const Call& c) {
  const NodeId x = required(c, c.in.at(0), "input");
  const auto normalized = int_list(c.arg("normalized_shape"));
  if (normalized.size() != 1 || normalized[0] != graph_.shape(x).back())
    fail("{}: layer norm over [{}] of {} has no IR op (supported: over the last dim only)", c.where(),
         fmt::join(normalized, ", "), core::to_string(graph_.shape(x)));
  core::NormAttrs attrs;
  attrs.eps = c.arg("eps").toDouble();
  attrs.affine = defined_tensor(c.arg("weight"));
  bind_output(c, out_tensor(c), graph_.layer_norm(x, attrs, c.name));
}

void AtenLowering::lower_linear(const Call& c) {
  const NodeId x = required(c, c.in.at(0), "input");
  const at::Tensor& w = tensor_arg(c, "weight");
  if (node_of(w) || w.dim() != 2) fail("{}: linear needs a constant 2-d weight, got {}", c.where(), describe_value(w));
  bind_output(c, out_tensor(c),
              graph_.linear(x, {.out_features = w.size(0), .bias = defined_tensor(c.arg("bias"))}, c.name));
}

void AtenLowering::lower_addmm(const Call& c) {
  // addmm(bias, x, w) = bias + x @ w: the form older tracers give nn.Linear.
  const at::Tensor& bias = tensor_arg(c, "self");
  const at::Tensor& w = tensor_arg(c, "mat2");
  const NodeId x = required(c, c.arg("mat1"), "mat1");
  if (node_of(bias) || node_of(w) || w.dim() != 2)
    fail("{}: supported only as a linear layer (activation @ constant weight + constant bias)", c.where());
  bind_output(c, out_tensor(c), graph_.linear(x, {.out_features = w.size(1), .bias = true}, c.name));
}

void AtenLowering::lower_matmul(const Call& c) {
  const auto& a = c.in.at(0);
  const auto& b = c.in.at(1);
  const auto idb = node_of(b.toTensor());
  const NodeId x = required(c, a, "left operand");
  if (!idb) {  // activation @ constant weight: a linear layer without bias
    const at::Tensor& w = b.toTensor();
    if (w.dim() != 2)
      fail("{}: activation @ constant {} has no IR op (supported: a 2-d weight)", c.where(), describe_value(w));
    bind_output(c, out_tensor(c), graph_.linear(x, {.out_features = w.size(1), .bias = false}, c.name));
    return;
  }
  bind_output(c, out_tensor(c), graph_.matmul(x, *idb, c.name));
}

void AtenLowering::lower_baddbmm(const Call& c) {
  const NodeId x = required(c, c.arg("batch1"), "batch1");
  const NodeId y = required(c, c.arg("batch2"), "batch2");
  NodeId id = graph_.matmul(x, y, c.sub("matmul"));
  if (auto bias = node_of(tensor_arg(c, "self"))) id = graph_.add(id, *bias, c.name);  // else an additive mask: dropped
  bind_output(c, out_tensor(c), id);
}

void AtenLowering::lower_pool(const Call& c) {
  const NodeId x = required(c, c.in.at(0), "input");
  const bool max = c.node.kind() != c10::aten::avg_pool2d;
  core::PoolAttrs attrs;
  attrs.kernel = square(c, "kernel_size", 1);
  attrs.stride = square(c, "stride", attrs.kernel);
  attrs.padding = square(c, "padding", 0);
  attrs.ceil_mode = c.arg("ceil_mode").toBool();
  if (max) {
    if (square(c, "dilation", 1) != 1) fail("{}: dilated pooling has no IR op", c.where());
  } else {
    attrs.count_include_pad = c.arg("count_include_pad").toBool();
    if (!c.arg("divisor_override").isNone()) fail("{}: avg pool with divisor_override has no IR op", c.where());
  }
  const NodeId id = max ? graph_.max_pool(x, attrs, c.name) : graph_.avg_pool(x, attrs, c.name);
  bind_output(c, c.out.at(0).isTuple() ? c.out[0].toTupleRef().elements()[0].toTensor() : out_tensor(c), id);
}

void AtenLowering::lower_adaptive_pool(const Call& c) {
  const NodeId x = required(c, c.in.at(0), "input");
  const bool max = c.node.kind() == c10::aten::adaptive_max_pool2d;
  const at::Tensor& out = out_tensor(c);  // max also returns indices, which are not followed
  const Shape in = graph_.shape(x);       // a copy: adding nodes moves the graph's storage
  if (in.size() != 4) fail("{}: adaptive pooling of {} has no IR op (supported: NCHW)", c.where(), core::to_string(in));
  const std::int64_t oh = out.size(2);
  const std::int64_t ow = out.size(3);
  if (oh == 1 && ow == 1 && !max) return bind_output(c, out, graph_.global_avg_pool(x, c.name));
  if (oh == in[2] && ow == in[3]) return bind_output(c, out, x);  // a copy (VGG's 7x7 pool at 224x224)
  if (in[2] % oh == 0 && in[3] % ow == 0 && in[2] / oh == in[3] / ow) {
    const std::int64_t k = in[2] / oh;
    core::PoolAttrs attrs;
    attrs.kernel = k;
    attrs.stride = k;
    attrs.padding = 0;
    return bind_output(c, out, max ? graph_.max_pool(x, attrs, c.name) : graph_.avg_pool(x, attrs, c.name));
  }
  fail(
      "{}: adaptive pooling from {}x{} to {}x{} is not a fixed square window (supported: to 1x1, to the input "
      "size, or to an exact divisor of it; try another input size)",
      c.where(), in[2], in[3], oh, ow);
}

void AtenLowering::lower_mean(const Call& c) {
  const NodeId x = required(c, c.in.at(0), "input");
  const at::Tensor& out = out_tensor(c);
  const auto rank = static_cast<std::int64_t>(graph_.shape(x).size());
  if (!c.has_arg("dim")) fail("{}: a mean over all elements has no IR op (supported: over some dims)", c.where());
  auto dims = int_list(c.arg("dim"));
  for (auto& d : dims) d = normalize_dim(d, rank);
  std::sort(dims.begin(), dims.end());
  NodeId id = x;
  if (rank == 4 && dims == std::vector<std::int64_t>{2, 3}) {
    id = graph_.global_avg_pool(x, c.name);
  } else {
    for (auto it = dims.rbegin(); it != dims.rend(); ++it) id = graph_.mean(id, *it, c.name);
  }
  bind_output(c, out, reshape_to(id, shape_of(out), c.sub("keepdim")));
}

void AtenLowering::lower_softmax(const Call& c) {
  const NodeId x = required(c, c.in.at(0), "input");
  bind_output(c, out_tensor(c), graph_.softmax(x, c.arg("dim").toInt(), c.name));
}

void AtenLowering::lower_cat(const Call& c) {
  const auto parts = c.in.at(0).toTensorVector();
  const std::int64_t axis = normalize_dim(c.arg("dim").toInt(), out_tensor(c).dim());
  std::vector<NodeId> inputs;
  std::vector<at::Tensor> learned;
  for (const auto& t : parts) {
    if (t.numel() == 0) continue;  // legacy empty tensors are skipped by cat
    if (auto id = node_of(t)) {
      inputs.push_back(*id);
    } else if (is_parameter(t)) {
      learned.push_back(t);
    } else {
      fail("{}: concatenating a constant that is not a learned parameter ({}) has no IR op", c.where(),
           describe_value(t));
    }
  }
  NodeId id = inputs.size() == 1 ? inputs[0] : graph_.concat(inputs, axis, learned.empty() ? c.name : c.sub("concat"));
  for (const auto& t : learned) {  // class token: a learned tensor prepended along the axis
    Shape shape = shape_of(t);
    shape[0] = 1;  // expanded over the batch in the model; learned once
    id = graph_.parameter(id, core::ParameterAttrs{shape, axis}, c.name);
  }
  bind_output(c, out_tensor(c), id);
}

void AtenLowering::lower_stack(const Call& c) {
  const at::Tensor& out = out_tensor(c);
  const std::int64_t axis = normalize_dim(c.arg("dim").toInt(), out.dim());
  std::vector<NodeId> inputs;
  for (const auto& t : c.in.at(0).toTensorVector()) {
    const NodeId x = required(c, t, "stacked tensor");
    Shape s = graph_.shape(x);
    s.insert(s.begin() + axis, 1);
    inputs.push_back(graph_.reshape(x, s, c.sub("unsqueeze")));
  }
  bind_output(c, out, inputs.size() == 1 ? inputs[0] : graph_.concat(inputs, axis, c.name));
}

void AtenLowering::lower_select(const Call& c) {
  const NodeId x = required(c, c.in.at(0), "input");
  const Shape in = graph_.shape(x);  // a copy: adding nodes moves the graph's storage
  const std::int64_t dim = normalize_dim(c.arg("dim").toInt(), static_cast<std::int64_t>(in.size()));
  std::int64_t index = c.arg("index").toInt();
  if (index < 0) index += in[static_cast<std::size_t>(dim)];
  const NodeId slice = graph_.slice(x, dim, index, index + 1, c.sub("slice"));
  bind_output(c, out_tensor(c), graph_.reshape(slice, shape_of(out_tensor(c)), c.name));
}

void AtenLowering::lower_slice(const Call& c) {
  const NodeId x = required(c, c.in.at(0), "input");
  const Shape in = graph_.shape(x);  // a copy: adding nodes moves the graph's storage
  const std::int64_t dim = normalize_dim(c.arg("dim").toInt(), static_cast<std::int64_t>(in.size()));
  const std::int64_t size = in[static_cast<std::size_t>(dim)];
  std::int64_t start = 0;
  std::int64_t end = size;
  if (c.node.kind() == c10::aten::narrow) {
    start = c.arg("start").isTensor() ? c.arg("start").toTensor().item<std::int64_t>() : c.arg("start").toInt();
    if (start < 0) start += size;
    end = start + c.arg("length").toInt();
  } else {
    if (c.arg("step").toInt() != 1)
      fail("{}: slicing with step {} has no IR op (supported: step 1)", c.where(), c.arg("step").toInt());
    const auto clamp = [size](std::int64_t v) { return std::clamp(v < 0 ? v + size : v, std::int64_t{0}, size); };
    if (!c.arg("start").isNone()) start = clamp(c.arg("start").toInt());
    if (!c.arg("end").isNone()) end = clamp(c.arg("end").toInt());
  }
  if (start == 0 && end == size) return bind_output(c, out_tensor(c), x);
  if (start >= end) fail("{}: an empty slice [{}, {}) has no IR op", c.where(), start, end);
  bind_output(c, out_tensor(c), graph_.slice(x, dim, start, end, c.name));
}

void AtenLowering::lower_split(const Call& c) {
  const NodeId x = required(c, c.in.at(0), "input");
  const Shape in = graph_.shape(x);  // a copy: adding nodes moves the graph's storage
  const std::int64_t dim = normalize_dim(c.arg("dim").toInt(), static_cast<std::int64_t>(in.size()));
  const bool drops_dim = c.node.kind() == c10::aten::unbind;
  std::int64_t offset = 0;
  std::int64_t piece_index = 0;
  for (const auto& piece : c.out.at(0).toTensorVector()) {
    const std::int64_t size = drops_dim ? 1 : piece.size(dim);
    const std::string name = c.sub(std::to_string(piece_index++));
    NodeId id = x;
    if (size != in[static_cast<std::size_t>(dim)]) id = graph_.slice(x, dim, offset, offset + size, name);
    bind_output(c, piece, reshape_to(id, shape_of(piece), name.empty() ? "" : name + ".squeeze"));
    offset += size;
  }
}

void AtenLowering::lower_reshape(const Call& c) {
  const NodeId x = required(c, c.in.at(0), "input");
  const at::Tensor& out = out_tensor(c);
  const Shape target = shape_of(out);
  if (core::numel(target) != core::numel(graph_.shape(x)))
    fail("{}: broadcasting {} to {} has no IR op", c.where(), core::to_string(graph_.shape(x)),
         core::to_string(target));
  // ShuffleNet's channel shuffle: view(N, g, C/g, H, W) -> transpose(1, 2) -> view(N, C, H, W).
  const core::Node& permute = graph_.node(x);
  if (target.size() == 4 && permute.kind == OpKind::kPermute &&
      std::get<core::DimsAttrs>(permute.attrs).dims == std::vector<std::int64_t>{0, 2, 1, 3, 4}) {
    const core::Node& split = graph_.node(permute.inputs[0]);
    const core::Node& source = graph_.node(split.inputs.empty() ? split.id : split.inputs[0]);
    const Shape s = split.shape;
    const NodeId source_id = source.id;
    if (split.kind == OpKind::kReshape && source.shape == target && s.size() == 5 && s[0] == target[0] &&
        s[1] * s[2] == target[1] && s[3] == target[2] && s[4] == target[3])
      return bind_output(c, out, graph_.channel_shuffle(source_id, s[1], c.name));
  }
  bind_output(c, out, reshape_to(x, target, c.name));
}

void AtenLowering::lower_flatten(const Call& c) {
  const NodeId x = required(c, c.in.at(0), "input");
  const auto rank = static_cast<std::int64_t>(graph_.shape(x).size());
  const std::int64_t start = normalize_dim(c.arg("start_dim").toInt(), rank);
  const std::int64_t end = normalize_dim(c.arg("end_dim").toInt(), rank);
  const at::Tensor& out = out_tensor(c);
  if (start == 1 && end == rank - 1 && rank > 2) return bind_output(c, out, graph_.flatten(x, c.name));
  bind_output(c, out, reshape_to(x, shape_of(out), c.name));
}

void AtenLowering::lower_permute(const Call& c) {
  const NodeId x = required(c, c.in.at(0), "input");
  const auto rank = static_cast<std::int64_t>(graph_.shape(x).size());
  std::vector<std::int64_t> order(static_cast<std::size_t>(rank));
  std::iota(order.begin(), order.end(), 0);
  const auto kind = c.node.kind();
  if (kind == c10::aten::permute) {
    order = int_list(c.arg("dims"));
    for (auto& d : order) d = normalize_dim(d, rank);
  } else if (kind == c10::aten::t || kind == c10::aten::numpy_T) {
    std::reverse(order.begin(), order.end());
  } else {
    const bool swap = kind == c10::aten::swapaxes;
    const auto a = normalize_dim(c.arg(swap ? "axis0" : "dim0").toInt(), rank);
    const auto b = normalize_dim(c.arg(swap ? "axis1" : "dim1").toInt(), rank);
    std::swap(order[static_cast<std::size_t>(a)], order[static_cast<std::size_t>(b)]);
  }
  if (std::is_sorted(order.begin(), order.end())) return bind_output(c, out_tensor(c), x);
  bind_output(c, out_tensor(c), graph_.permute(x, order, c.name));
}

NodeId AtenLowering::attention_core(NodeId q, NodeId k, NodeId v, const std::string& name, NodeId* weights) {
  const auto rank = graph_.shape(k).size();
  std::vector<std::int64_t> swap_last(rank);
  std::iota(swap_last.begin(), swap_last.end(), 0);
  std::swap(swap_last[rank - 1], swap_last[rank - 2]);
  const auto sub = [&](const char* s) { return name.empty() ? "" : fmt::format("{}.{}", name, s); };
  const NodeId kt = graph_.permute(k, swap_last, sub("key_t"));
  const NodeId scores = graph_.matmul(q, kt, sub("scores"));  // the 1/sqrt(d) scale is a scalar op: dropped
  *weights = graph_.softmax(scores, -1, sub("softmax"));
  return graph_.matmul(*weights, v, sub("context"));
}

NodeId AtenLowering::self_attention(NodeId x, std::int64_t heads, bool qkv_bias, bool proj_bias,
                                    const std::string& name, NodeId* weights) {
  const Shape in = graph_.shape(x);
  const std::int64_t n = in[0], l = in[1], e = in[2], d = e / heads;
  const auto sub = [&](const char* s) { return name.empty() ? "" : fmt::format("{}.{}", name, s); };
  const NodeId qkv = graph_.linear(x, {.out_features = 3 * e, .bias = qkv_bias}, sub("qkv"));
  const NodeId split = graph_.reshape(qkv, {n, l, 3, heads, d}, sub("qkv_heads"));
  const NodeId heads_first = graph_.permute(split, {2, 0, 3, 1, 4}, sub("qkv_permute"));  // (3, N, H, L, D)
  NodeId parts[3];
  for (int i = 0; i < 3; ++i) {
    const char* which = i == 0 ? "q" : i == 1 ? "k" : "v";
    parts[i] = graph_.reshape(graph_.slice(heads_first, 0, i, i + 1, sub(which)), {n, heads, l, d}, sub(which));
  }
  const NodeId context = attention_core(parts[0], parts[1], parts[2], name, weights);
  const NodeId merged =
      graph_.reshape(graph_.permute(context, {0, 2, 1, 3}, sub("merge_permute")), {n, l, e}, sub("merge"));
  return graph_.linear(merged, {.out_features = e, .bias = proj_bias}, sub("out_proj"));
}

void AtenLowering::lower_multi_head_attention(const Call& c) {
  // _native_multi_head_attention(query, key, value, embed_dim, num_head, qkv_weight, qkv_bias, proj_weight,
  // proj_bias, mask, need_weights, average_attn_weights, mask_type) on batch-first (N, L, E) inputs.
  const NodeId query = required(c, c.arg("query"), "query");
  if (node_of(tensor_arg(c, "key")) != query || node_of(tensor_arg(c, "value")) != query)
    fail("{}: only self-attention (query, key and value the same tensor) is supported", c.where());
  const Shape in = graph_.shape(query);  // a copy: adding nodes moves the graph's storage
  const std::int64_t heads = c.arg("num_head").toInt();
  if (in.size() != 3 || in[2] != c.arg("embed_dim").toInt() || heads <= 0 || in[2] % heads)
    fail("{}: attention on {} with {} heads is not supported (supported: (N, L, E), E divisible by the heads)",
         c.where(), core::to_string(in), heads);
  NodeId weights = -1;
  bind_output(c, out_tensor(c, 0),
              self_attention(query, heads, defined_tensor(c.arg("qkv_bias")), defined_tensor(c.arg("proj_bias")),
                             c.name, &weights));
  if (c.out.size() > 1 && defined_tensor(c.out[1]))
    bind_output(c, out_tensor(c, 1),
                c.arg("average_attn_weights").toBool() ? graph_.mean(weights, 1, c.sub("average_weights")) : weights);
}

void AtenLowering::lower_transformer_encoder_layer(const Call& c) {
  // nn.TransformerEncoderLayer's inference fast path: self-attention and a 2-layer MLP, each with a residual
  // and a layer norm (before the block when norm_first, after the residual otherwise).
  const NodeId src = required(c, c.arg("src"), "src");
  const Shape in = graph_.shape(src);  // a copy: adding nodes moves the graph's storage
  const std::int64_t heads = c.arg("num_heads").toInt();
  if (in.size() != 3 || in[2] != c.arg("embed_dim").toInt() || heads <= 0 || in[2] % heads)
    fail("{}: encoder layer on {} with {} heads is not supported (supported: (N, L, E))", c.where(),
         core::to_string(in), heads);
  const core::NormAttrs norm{.eps = c.arg("eps").toDouble(), .affine = true};
  const bool norm_first = c.arg("norm_first").toBool();
  const auto attention = [&](NodeId x) {
    NodeId weights = -1;
    return self_attention(x, heads, defined_tensor(c.arg("qkv_bias")), defined_tensor(c.arg("proj_bias")),
                          c.sub("self_attn"), &weights);
  };
  const auto mlp = [&](NodeId x) {
    const NodeId hidden = graph_.linear(
        x, {.out_features = tensor_arg(c, "ffn_weight_1").size(0), .bias = defined_tensor(c.arg("ffn_bias_1"))},
        c.sub("linear1"));
    const NodeId act =
        graph_.unary(c.arg("use_gelu").toBool() ? OpKind::kGelu : OpKind::kRelu, hidden, c.sub("activation"));
    return graph_.linear(act, {.out_features = in[2], .bias = defined_tensor(c.arg("ffn_bias_2"))}, c.sub("linear2"));
  };
  NodeId x = src;
  if (norm_first) {
    x = graph_.add(x, attention(graph_.layer_norm(x, norm, c.sub("norm1"))), c.sub("residual1"));
    x = graph_.add(x, mlp(graph_.layer_norm(x, norm, c.sub("norm2"))), c.sub("residual2"));
  } else {
    x = graph_.layer_norm(graph_.add(x, attention(x), c.sub("residual1")), norm, c.sub("norm1"));
    x = graph_.layer_norm(graph_.add(x, mlp(x), c.sub("residual2")), norm, c.sub("norm2"));
  }
  bind_output(c, out_tensor(c), x);
}

void AtenLowering::lower_scaled_dot_product_attention(const Call& c) {
  const NodeId q = required(c, c.arg("query"), "query");
  const NodeId k = required(c, c.arg("key"), "key");
  const NodeId v = required(c, c.arg("value"), "value");
  NodeId weights = -1;
  bind_output(c, out_tensor(c, 0), attention_core(q, k, v, c.name, &weights));
  if (c.out.size() > 1 && defined_tensor(c.out[1]) && out_tensor(c, 1).numel() > 0)
    bind_output(c, out_tensor(c, 1), weights);
}

core::Graph compact(const core::Graph& graph) {
  std::vector<char> live(graph.size(), 0);
  for (NodeId id : graph.outputs()) live[static_cast<std::size_t>(id)] = 1;
  for (auto i = static_cast<NodeId>(graph.size()) - 1; i >= 0; --i)
    if (live[static_cast<std::size_t>(i)])
      for (NodeId in : graph.node(i).inputs) live[static_cast<std::size_t>(in)] = 1;
  for (NodeId id : graph.inputs()) live[static_cast<std::size_t>(id)] = 1;  // keep the input even if unused

  core::Graph out(graph.name());
  std::vector<NodeId> renumbered(graph.size(), -1);
  for (const auto& node : graph.nodes()) {
    if (!live[static_cast<std::size_t>(node.id)]) continue;
    if (node.kind == OpKind::kInput) {
      renumbered[static_cast<std::size_t>(node.id)] = out.input(node.shape, node.name);
      continue;
    }
    std::vector<NodeId> inputs;
    for (NodeId in : node.inputs) inputs.push_back(renumbered[static_cast<std::size_t>(in)]);
    // A default name ("conv2d_7") carries the old id: let the new graph name the node after its new id.
    const bool default_name = node.name == fmt::format("{}_{}", core::op_name(node.kind), node.id);
    renumbered[static_cast<std::size_t>(node.id)] =
        out.add_node(node.kind, std::move(inputs), node.attrs, default_name ? "" : node.name);
  }
  for (NodeId id : graph.outputs()) out.mark_output(renumbered[static_cast<std::size_t>(id)]);
  return out;
}

}  // namespace hwnas::frontends
