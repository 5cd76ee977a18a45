#include "test_graphs.h"

namespace hwnas::nn::testing {

using core::OpKind;

core::Graph conv_net() {
  core::Graph g("conv_net");
  auto x = g.input({2, 3, 12, 12});
  auto c1 = g.conv2d(x, {.out_channels = 8, .kernel = 3, .padding = 1, .bias = true});
  auto r1 = g.unary(OpKind::kRelu, g.batch_norm(c1));
  // depthwise, dilated, strided: (12 + 4 - 2*2 - 1) / 2 + 1 = 6
  auto c2 = g.conv2d(r1, {.out_channels = 8, .kernel = 3, .stride = 2, .padding = 2, .dilation = 2, .groups = 8});
  auto r2 = g.unary(OpKind::kRelu6, g.batch_norm(c2, {.eps = 1e-3, .affine = false}));
  auto c3 = g.conv2d(r2, {.out_channels = 12, .kernel = 1, .groups = 2});
  auto hs = g.unary(OpKind::kHardswish, g.channel_shuffle(c3, 2));
  auto mp = g.max_pool(hs, {.kernel = 3, .stride = 2, .padding = 1, .ceil_mode = true});  // 6 -> 4
  auto ap = g.avg_pool(mp, {.kernel = 3, .stride = 1, .padding = 1, .count_include_pad = false});
  auto cat = g.concat({mp, ap}, 1);                                                      // 24 x 4 x 4
  auto se = g.unary(OpKind::kHardsigmoid, g.global_avg_pool(cat));
  auto m = g.mul(cat, se);
  auto a = g.add(m, g.unary(OpKind::kSigmoid, m));
  auto si = g.unary(OpKind::kSilu, a);
  auto a2 = g.add(g.unary(OpKind::kZero, si), g.unary(OpKind::kIdentity, si));
  auto fc = g.linear(g.flatten(g.unary(OpKind::kGelu, a2)), {.out_features = 10});
  g.mark_output(fc);
  return g;
}

core::Graph tiny_vit() {
  core::Graph g("tiny_vit");
  auto x = g.input({2, 3, 8, 8});
  auto patches = g.conv2d(x, {.out_channels = 16, .kernel = 4, .stride = 4, .bias = true});  // 2x16x2x2
  auto tokens = g.permute(g.reshape(patches, {2, 16, -1}), {0, 2, 1});                    // 2x4x16
  auto cls = g.parameter(tokens, {.shape = {1, 1, 16}, .concat_axis = 1});                // 2x5x16
  auto pos = g.parameter(cls, {.shape = {1, 5, 16}});
  auto qkv = g.linear(g.layer_norm(pos), {.out_features = 48});
  auto heads = g.permute(g.reshape(qkv, {2, 5, 3, 2, 8}), {2, 0, 3, 1, 4});  // 3x2x2x5x8
  auto q = g.reshape(g.slice(heads, 0, 0, 1), {2, 2, 5, 8});
  auto k = g.reshape(g.slice(heads, 0, 1, 2), {2, 2, 5, 8});
  auto v = g.reshape(g.slice(heads, 0, 2, 3), {2, 2, 5, 8});
  auto att = g.softmax(g.matmul(q, g.permute(k, {0, 1, 3, 2})), -1);  // 2x2x5x5
  auto o = g.reshape(g.permute(g.matmul(att, v), {0, 2, 1, 3}), {2, 5, 16});
  auto res = g.add(pos, g.linear(o, {.out_features = 16, .bias = false}));
  auto pooled = g.mean(g.layer_norm(res, {.affine = false}), 1);  // 2x16
  g.mark_output(g.linear(pooled, {.out_features = 7}));
  g.mark_output(g.slice(res, 1, 0, 1));  // class-token row, 2x1x16
  return g;
}

core::Graph conv_bn_relu() {
  core::Graph g("conv_bn_relu");
  auto x = g.input({1, 8, 10, 10});
  g.mark_output(g.unary(OpKind::kRelu, g.batch_norm(g.conv2d(x, {.out_channels = 16, .kernel = 3, .padding = 1}))));
  return g;
}

std::vector<core::Graph> all_graphs() { return {conv_net(), tiny_vit(), conv_bn_relu()}; }

}  // namespace hwnas::nn::testing
