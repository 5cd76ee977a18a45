#include "hwnas/nn/script_module.h"

#include <algorithm>

#include <gtest/gtest.h>

#include "test_graphs.h"

namespace hwnas::nn {
namespace {

std::string forward_ir(torch::jit::Module& m) { return m.get_method("forward").graph()->toString(); }

torch::Tensor first_output(const torch::jit::IValue& v) {
  auto t = v.isTuple() ? v.toTupleRef().elements()[0].toTensor() : v.toTensor();
  return t.is_mkldnn() ? t.to_dense() : t;
}

TEST(ScriptModule, SourceHasOneStatementPerNode) {
  const auto g = testing::tiny_vit();
  GraphModule m(g);
  const std::string src = torchscript_source(*m);
  // def line + one line per non-input node + return line.
  const auto lines = std::count(src.begin(), src.end(), '\n');
  EXPECT_EQ(lines, static_cast<long>(g.size() - g.inputs().size() + 2)) << src;
  EXPECT_NE(src.find("return ("), std::string::npos) << src;  // two outputs -> tuple
}

TEST(ScriptModule, FreezingFoldsConvBatchNorm) {
  GraphModule m(testing::conv_bn_relu(), 5);
  m->eval();
  // Give the batch norm non-trivial statistics so folding has something to get right.
  {
    torch::NoGradGuard no_grad;
    const auto& bn = m->tensors(2);
    bn.running_mean.uniform_(-1, 1);
    bn.running_var.uniform_(0.5, 2);
    bn.weight.uniform_(0.5, 1.5);
    bn.bias.uniform_(-0.5, 0.5);
  }
  auto plain = build_script_module(*m, {.freeze = false, .optimize_for_inference = false});
  auto frozen = build_script_module(*m, {.freeze = true, .optimize_for_inference = false});
  auto optimized = build_script_module(*m);
  EXPECT_NE(forward_ir(plain).find("aten::batch_norm"), std::string::npos) << forward_ir(plain);
  EXPECT_EQ(forward_ir(frozen).find("aten::batch_norm"), std::string::npos) << forward_ir(frozen);
  EXPECT_EQ(forward_ir(optimized).find("aten::batch_norm"), std::string::npos) << forward_ir(optimized);

  torch::NoGradGuard no_grad;
  const auto inputs = m->make_inputs(1);
  const auto eager = m->forward(inputs)[0];
  for (auto* s : {&plain, &frozen, &optimized}) {
    const auto y = first_output(s->forward({inputs[0]}));
    EXPECT_TRUE(torch::allclose(y, eager, 1e-4, 1e-4)) << (y - eager).abs().max().item<float>();
  }
}

}  // namespace
}  // namespace hwnas::nn
