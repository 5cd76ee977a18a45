#include "shape_kernels.h"

#include <string_view>

namespace hwnas::frontends {
namespace {

using Sizes = std::vector<std::int64_t>;
using Inputs = std::vector<c10::IValue>;

const c10::IValue* arg(const torch::jit::Node& node, const Inputs& in, std::string_view name) {
  const auto* schema = node.maybeSchema();
  if (!schema) return nullptr;
  const auto index = schema->argumentIndexWithName(c10::string_view(name.data(), name.size()));
  return index ? &in.at(static_cast<std::size_t>(*index)) : nullptr;
}

const at::Tensor* tensor(const torch::jit::Node& node, const Inputs& in, std::string_view name) {
  const auto* v = arg(node, in, name);
  return v && v->isTensor() && v->toTensor().defined() ? &v->toTensor() : nullptr;
}

// An int[2] argument as (h, w); one value means both.
std::optional<std::pair<std::int64_t, std::int64_t>> pair_arg(const torch::jit::Node& node, const Inputs& in,
                                                              std::string_view name) {
  const auto* v = arg(node, in, name);
  if (!v || !v->isIntList()) return std::nullopt;
  const auto list = v->toIntVector();
  if (list.size() == 1) return std::make_pair(list[0], list[0]);
  if (list.size() == 2) return std::make_pair(list[0], list[1]);
  return std::nullopt;
}

c10::IValue zeros(const Sizes& sizes, const at::Tensor& like) { return at::zeros(sizes, like.options()); }

std::optional<Inputs> conv(const torch::jit::Node& node, const Inputs& in) {
  const auto* x = tensor(node, in, "input");
  const auto* w = tensor(node, in, "weight");
  const auto* groups_v = arg(node, in, "groups");
  const auto* transposed = arg(node, in, "transposed");
  if (!x || !w || !groups_v || x->dim() != 4 || w->dim() != 4 || (transposed && transposed->toBool()))
    return std::nullopt;
  const std::int64_t groups = groups_v->toInt();
  if (groups <= 0 || x->size(1) != w->size(1) * groups || w->size(0) % groups) return std::nullopt;
  const auto stride = pair_arg(node, in, "stride");
  const auto dilation = pair_arg(node, in, "dilation");
  const auto padding = pair_arg(node, in, "padding");  // nullopt for padding="same"/"valid": run the real op
  if (!stride || !dilation || !padding) return std::nullopt;
  if (const auto* bias = tensor(node, in, "bias"); bias && bias->numel() != w->size(0)) return std::nullopt;
  const auto out = [](std::int64_t size, std::int64_t k, std::int64_t s, std::int64_t p, std::int64_t d) {
    return s > 0 ? (size + 2 * p - d * (k - 1) - 1) / s + 1 : 0;
  };
  const std::int64_t h = out(x->size(2), w->size(2), stride->first, padding->first, dilation->first);
  const std::int64_t wd = out(x->size(3), w->size(3), stride->second, padding->second, dilation->second);
  if (h <= 0 || wd <= 0 || x->size(2) + 2 * padding->first < dilation->first * (w->size(2) - 1) + 1)
    return std::nullopt;
  return Inputs{zeros({x->size(0), w->size(0), h, wd}, *x)};
}

std::optional<Inputs> linear(const torch::jit::Node& node, const Inputs& in) {
  const auto* x = tensor(node, in, "input");
  const auto* w = tensor(node, in, "weight");
  if (!x || !w || x->dim() < 1 || w->dim() != 2 || x->size(-1) != w->size(1)) return std::nullopt;
  if (const auto* bias = tensor(node, in, "bias"); bias && bias->numel() != w->size(0)) return std::nullopt;
  Sizes sizes(x->sizes().begin(), x->sizes().end());
  sizes.back() = w->size(0);
  return Inputs{zeros(sizes, *x)};
}

// a @ b for ranks >= 2 with equal batch dims, or any-rank a @ 2-d b.
std::optional<Sizes> product(const at::Tensor& a, const at::Tensor& b) {
  if (a.dim() < 2 || b.dim() < 2 || a.size(-1) != b.size(-2)) return std::nullopt;
  if (b.dim() != 2 && (a.dim() != b.dim() || a.sizes().slice(0, a.dim() - 2) != b.sizes().slice(0, b.dim() - 2)))
    return std::nullopt;
  Sizes sizes(a.sizes().begin(), a.sizes().end());
  sizes.back() = b.size(-1);
  return sizes;
}

std::optional<Inputs> matmul(const torch::jit::Node& node, const Inputs& in) {
  if (in.size() < 2 || !in[0].isTensor() || !in[1].isTensor()) return std::nullopt;
  const auto& a = in[0].toTensor();
  const auto& b = in[1].toTensor();
  if (!a.defined() || !b.defined()) return std::nullopt;
  const auto kind = node.kind();
  if ((kind == c10::aten::mm && (a.dim() != 2 || b.dim() != 2)) ||
      (kind == c10::aten::bmm && (a.dim() != 3 || b.dim() != 3)))
    return std::nullopt;
  if (auto sizes = product(a, b)) return Inputs{zeros(*sizes, a)};
  return std::nullopt;
}

std::optional<Inputs> addmm(const torch::jit::Node& node, const Inputs& in) {
  const auto* self = tensor(node, in, node.kind() == c10::aten::addmm ? "self" : "self");
  const auto* a = tensor(node, in, node.kind() == c10::aten::addmm ? "mat1" : "batch1");
  const auto* b = tensor(node, in, node.kind() == c10::aten::addmm ? "mat2" : "batch2");
  if (!self || !a || !b || a->dim() != b->dim()) return std::nullopt;
  auto sizes = product(*a, *b);
  if (!sizes) return std::nullopt;
  // self must broadcast to the product's shape without growing it.
  if (self->dim() > static_cast<std::int64_t>(sizes->size())) return std::nullopt;
  for (std::int64_t i = 1; i <= self->dim(); ++i) {
    const auto s = self->size(-i);
    if (s != 1 && s != (*sizes)[sizes->size() - static_cast<std::size_t>(i)]) return std::nullopt;
  }
  return Inputs{zeros(*sizes, *a)};
}

// nn.MultiheadAttention's inference fast path, when it does not return the attention weights.
std::optional<Inputs> multi_head_attention(const torch::jit::Node& node, const Inputs& in) {
  const auto* q = tensor(node, in, "query");
  const auto* k = tensor(node, in, "key");
  const auto* v = tensor(node, in, "value");
  const auto* embed = arg(node, in, "embed_dim");
  const auto* heads = arg(node, in, "num_head");
  const auto* qkv_w = tensor(node, in, "qkv_weight");
  const auto* proj_w = tensor(node, in, "proj_weight");
  const auto* need_weights = arg(node, in, "need_weights");
  const auto* mask = arg(node, in, "mask");
  if (!q || !k || !v || !embed || !heads || !qkv_w || !proj_w || !need_weights || need_weights->toBool() ||
      (mask && !mask->isNone()) || q->dim() != 3 || !q->is_same(*k) || !q->is_same(*v))
    return std::nullopt;
  const std::int64_t e = embed->toInt();
  const std::int64_t h = heads->toInt();
  if (h <= 0 || e % h || q->size(2) != e || qkv_w->sizes() != at::IntArrayRef{3 * e, e} ||
      proj_w->sizes() != at::IntArrayRef{e, e})
    return std::nullopt;
  return Inputs{zeros({q->size(0), q->size(1), e}, *q), c10::IValue(at::Tensor())};
}

// nn.TransformerEncoderLayer's fast path: (N, L, E) -> (N, L, E) when every weight fits E.
std::optional<Inputs> encoder_layer(const torch::jit::Node& node, const Inputs& in) {
  const auto* src = tensor(node, in, "src");
  const auto* embed = arg(node, in, "embed_dim");
  const auto* heads = arg(node, in, "num_heads");
  const auto* qkv_w = tensor(node, in, "qkv_weight");
  const auto* proj_w = tensor(node, in, "proj_weight");
  const auto* ffn_1 = tensor(node, in, "ffn_weight_1");
  const auto* ffn_2 = tensor(node, in, "ffn_weight_2");
  const auto* mask = arg(node, in, "mask");
  if (!src || !embed || !heads || !qkv_w || !proj_w || !ffn_1 || !ffn_2 || (mask && !mask->isNone()) || src->dim() != 3)
    return std::nullopt;
  const std::int64_t e = embed->toInt();
  const std::int64_t h = heads->toInt();
  if (h <= 0 || e % h || src->size(2) != e || qkv_w->sizes() != at::IntArrayRef{3 * e, e} ||
      proj_w->sizes() != at::IntArrayRef{e, e} || ffn_1->dim() != 2 || ffn_1->size(1) != e ||
      ffn_2->sizes() != at::IntArrayRef{e, ffn_1->size(0)})
    return std::nullopt;
  return Inputs{zeros({src->size(0), src->size(1), e}, *src)};
}

}  // namespace

std::optional<std::vector<c10::IValue>> run_shape_only(const torch::jit::Node& node, const Inputs& inputs) {
  const auto kind = node.kind();
  if (kind == c10::aten::conv2d || kind == c10::aten::_convolution || kind == c10::aten::convolution)
    return conv(node, inputs);
  if (kind == c10::aten::linear) return linear(node, inputs);
  if (kind == c10::aten::matmul || kind == c10::aten::mm || kind == c10::aten::bmm) return matmul(node, inputs);
  if (kind == c10::aten::addmm || kind == c10::aten::baddbmm) return addmm(node, inputs);
  if (kind == c10::aten::_native_multi_head_attention) return multi_head_attention(node, inputs);
  if (kind == c10::aten::_transformer_encoder_layer_fwd) return encoder_layer(node, inputs);
  return std::nullopt;
}

}  // namespace hwnas::frontends
