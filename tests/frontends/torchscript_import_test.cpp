// Import of small TorchScript models that the test writes itself with LibTorch (torch::jit::Module::define,
// then save), so these tests need no Python. Expected graphs are derived by hand in the comments.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <torch/script.h>

#include "hwnas/core/cost.h"
#include "hwnas/core/error.h"
#include "hwnas/frontends/torchscript_import.h"
#include "error_of.h"

namespace hwnas::frontends {
namespace {

namespace fs = std::filesystem;
using core::OpKind;

std::vector<OpKind> kinds(const core::Graph& g) {
  std::vector<OpKind> out;
  for (const auto& n : g.nodes()) out.push_back(n.kind);
  return out;
}

std::int64_t torch_params(const torch::jit::Module& m) {
  std::int64_t total = 0;
  for (const auto& p : m.parameters()) total += p.numel();
  return total;
}

// The message of the hwnas::Error thrown by `f`, or "" when it does not throw.
using hwnas::test::error_of;

class TorchScriptImport : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("hwnas_frontends_test_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }

  static fs::path save(torch::jit::Module& m, const std::string& name) {
    const fs::path file = dir_ / (name + ".pt");
    m.save(file.string());
    return file;
  }

  // conv(3->8, k3, s2, p1, bias) in submodule "conv" -> batch_norm -> y + relu(y) -> adaptive pool 1x1
  // -> flatten -> linear(8->10).
  static torch::jit::Module tiny_net() {
    torch::jit::Module conv("Conv");
    conv.register_parameter("weight", torch::randn({8, 3, 3, 3}), false);
    conv.register_parameter("bias", torch::randn({8}), false);
    conv.define(R"(
def forward(self, x):
    return torch.conv2d(x, self.weight, self.bias, [2, 2], [1, 1])
)");
    torch::jit::Module m("TinyNet");
    m.register_module("conv", conv);
    m.register_parameter("bn_w", torch::ones({8}), false);
    m.register_parameter("bn_b", torch::zeros({8}), false);
    m.register_buffer("bn_mean", torch::zeros({8}));
    m.register_buffer("bn_var", torch::ones({8}));
    m.register_parameter("fc_w", torch::randn({10, 8}), false);
    m.register_parameter("fc_b", torch::randn({10}), false);
    m.define(R"(
def forward(self, x):
    y = self.conv.forward(x)
    y = torch.batch_norm(y, self.bn_w, self.bn_b, self.bn_mean, self.bn_var, False, 0.1, 1e-5, False)
    y = y + torch.relu(y)
    y = torch.adaptive_avg_pool2d(y, [1, 1])
    y = torch.flatten(y, 1)
    return torch.linear(y, self.fc_w, self.fc_b)
)");
    return m;
  }

  static inline fs::path dir_;
};

TEST_F(TorchScriptImport, LowersConvNetWithShapesAttributesAndParams) {
  auto m = tiny_net();
  const auto file = save(m, "tiny_net");
  const core::Graph g = import_torchscript(file, {1, 3, 16, 16});

  EXPECT_EQ(g.name(), "tiny_net");
  EXPECT_EQ(kinds(g), (std::vector<OpKind>{OpKind::kInput, OpKind::kConv2d, OpKind::kBatchNorm, OpKind::kRelu,
                                           OpKind::kAdd, OpKind::kGlobalAvgPool, OpKind::kFlatten, OpKind::kLinear}));
  // conv: (16 + 2*1 - 3) / 2 + 1 = 8 -> 1x8x8x8.
  const auto& conv = g.node(1);
  EXPECT_EQ(conv.shape, (core::Shape{1, 8, 8, 8}));
  EXPECT_EQ(std::get<core::Conv2dAttrs>(conv.attrs),
            (core::Conv2dAttrs{
                .out_channels = 8, .kernel = 3, .stride = 2, .padding = 1, .dilation = 1, .groups = 1, .bias = true}));
  EXPECT_EQ(conv.name, "conv:conv2d");  // named after the submodule it came from
  EXPECT_NEAR(std::get<core::NormAttrs>(g.node(2).attrs).eps, 1e-5, 1e-12);
  EXPECT_EQ(g.node(4).inputs, (std::vector<core::NodeId>{2, 3}));  // y + relu(y)
  ASSERT_EQ(g.outputs().size(), 1u);
  EXPECT_EQ(g.shape(g.outputs()[0]), (core::Shape{1, 10}));
  // conv 8*3*3*3 + 8 = 224, batch norm scale+shift 2*8 = 16 (running stats are buffers), linear 8*10 + 10
  // = 90: 330 in all, as PyTorch counts them.
  EXPECT_EQ(core::graph_cost(g).params, 330);
  EXPECT_EQ(torch_params(m), 330);

  // Another batch and size: the IR follows the given input shape. 40 -> (40 + 2 - 3) / 2 + 1 = 20.
  ImportOptions named;
  named.graph_name = "other";
  const core::Graph g2 = import_torchscript(file, {2, 3, 40, 40}, named);
  EXPECT_EQ(g2.name(), "other");
  EXPECT_EQ(g2.node(1).shape, (core::Shape{2, 8, 20, 20}));
  EXPECT_EQ(g2.shape(g2.outputs()[0]), (core::Shape{2, 10}));
}

TEST_F(TorchScriptImport, RecognisesChannelShuffleChunkAndDropsScalarOps) {
  // ShuffleNet's channel shuffle (view, transpose, contiguous, view) then chunk and a scalar multiply.
  torch::jit::Module m("Shuffle");
  m.define(R"(
def forward(self, x):
    n, c, h, w = x.size()
    y = x.view(n, 2, c // 2, h, w).transpose(1, 2).contiguous().view(n, c, h, w)
    a, b = y.chunk(2, dim=1)
    return torch.cat([b, a * 0.5], 1)
)");
  const core::Graph g = import_torchscript(save(m, "shuffle"), {1, 4, 6, 6});
  // The reshape and permute nodes are replaced by one channel_shuffle (groups 2) and removed; chunk is two
  // slices [0, 2) and [2, 4) of the channel dim; a * 0.5 is a scalar op and leaves no node.
  ASSERT_EQ(kinds(g), (std::vector<OpKind>{OpKind::kInput, OpKind::kChannelShuffle, OpKind::kSlice, OpKind::kSlice,
                                           OpKind::kConcat}));
  EXPECT_EQ(std::get<core::AxisAttrs>(g.node(1).attrs).groups, 2);
  EXPECT_EQ(std::get<core::AxisAttrs>(g.node(2).attrs), (core::AxisAttrs{.axis = 1, .start = 0, .end = 2}));
  EXPECT_EQ(std::get<core::AxisAttrs>(g.node(3).attrs), (core::AxisAttrs{.axis = 1, .start = 2, .end = 4}));
  EXPECT_EQ(g.node(4).inputs, (std::vector<core::NodeId>{3, 2}));  // cat([b, a])
  EXPECT_EQ(g.shape(g.outputs()[0]), (core::Shape{1, 4, 6, 6}));
}

TEST_F(TorchScriptImport, LearnedTensorsCombinedWithActivationsBecomeParameters) {
  // ViT's class token (expanded over the batch, prepended) and position embedding (added), then layer
  // norm, the class token's features (x[:, 0]) and a linear head.
  torch::jit::Module m("Tokens");
  m.register_parameter("cls", torch::randn({1, 1, 8}), false);
  m.register_parameter("pos", torch::randn({1, 5, 8}), false);
  m.register_parameter("ln_w", torch::ones({8}), false);
  m.register_parameter("ln_b", torch::zeros({8}), false);
  m.register_parameter("fc_w", torch::randn({3, 8}), false);
  m.register_parameter("fc_b", torch::randn({3}), false);
  m.define(R"(
def forward(self, x):
    c = self.cls.expand(x.size(0), -1, -1)
    x = torch.cat([c, x], 1)
    x = x + self.pos
    x = torch.layer_norm(x, [8], self.ln_w, self.ln_b, 1e-6)
    x = x[:, 0]
    return torch.linear(x, self.fc_w, self.fc_b)
)");
  const core::Graph g = import_torchscript(save(m, "tokens"), {2, 4, 8});
  ASSERT_EQ(kinds(g), (std::vector<OpKind>{OpKind::kInput, OpKind::kParameter, OpKind::kParameter, OpKind::kLayerNorm,
                                           OpKind::kSlice, OpKind::kReshape, OpKind::kLinear}));
  // The class token is learned once (batch 1) though expanded to the batch of 2 in the model.
  EXPECT_EQ(std::get<core::ParameterAttrs>(g.node(1).attrs), (core::ParameterAttrs{{1, 1, 8}, 1}));
  EXPECT_EQ(g.node(1).shape, (core::Shape{2, 5, 8}));
  EXPECT_EQ(std::get<core::ParameterAttrs>(g.node(2).attrs), (core::ParameterAttrs{{1, 5, 8}, -1}));
  EXPECT_EQ(g.node(5).shape, (core::Shape{2, 8}));
  EXPECT_EQ(g.shape(g.outputs()[0]), (core::Shape{2, 3}));
  // cls 8 + pos 5*8 = 40 + layer norm 2*8 = 16 + linear 8*3 + 3 = 27: 91.
  EXPECT_EQ(core::graph_cost(g).params, 91);
  EXPECT_EQ(torch_params(m), 91);
}

TEST_F(TorchScriptImport, LowersMultiHeadAttentionFastPath) {
  // nn.MultiheadAttention's inference op, 2 heads over E = 8, asked for the averaged attention weights too.
  torch::jit::Module m("Attention");
  m.register_parameter("w", torch::randn({24, 8}), false);
  m.register_parameter("b", torch::randn({24}), false);
  m.register_parameter("pw", torch::randn({8, 8}), false);
  m.register_parameter("pb", torch::randn({8}), false);
  m.define(R"(
def forward(self, x):
    y = torch._native_multi_head_attention(x, x, x, 8, 2, self.w, self.b, self.pw, self.pb, None, True, True)
    return y[0], y[1]
)");
  const core::Graph g = import_torchscript(save(m, "attention"), {1, 5, 8});
  std::map<OpKind, int> count;
  for (const auto& n : g.nodes()) ++count[n.kind];
  EXPECT_EQ(count[OpKind::kLinear], 2);  // packed q/k/v projection, output projection
  EXPECT_EQ(count[OpKind::kMatmul], 2);  // q @ k^T, weights @ v
  EXPECT_EQ(count[OpKind::kSoftmax], 1);
  EXPECT_EQ(count[OpKind::kMean], 1);  // weights averaged over the heads
  ASSERT_EQ(g.outputs().size(), 2u);
  EXPECT_EQ(g.shape(g.outputs()[0]), (core::Shape{1, 5, 8}));
  EXPECT_EQ(g.shape(g.outputs()[1]), (core::Shape{1, 5, 5}));
  // Scores: per head (1, 2, 5, 4) @ (1, 2, 4, 5).
  for (const auto& n : g.nodes())
    if (n.kind == OpKind::kSoftmax) {
      EXPECT_EQ(n.shape, (core::Shape{1, 2, 5, 5}));
    }
  // in_proj 24*8 + 24 = 216, out_proj 8*8 + 8 = 72: 288.
  EXPECT_EQ(core::graph_cost(g).params, 288);
}

TEST_F(TorchScriptImport, LowersTransformerEncoderLayerFastPath) {
  // nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, activation="gelu", norm_first=True)'s inference op.
  torch::jit::Module m("Encoder");
  for (const auto& [name, shape] : std::vector<std::pair<std::string, std::vector<std::int64_t>>>{{"qkv_w", {24, 8}},
                                                                                                  {"qkv_b", {24}},
                                                                                                  {"proj_w", {8, 8}},
                                                                                                  {"proj_b", {8}},
                                                                                                  {"ln1_w", {8}},
                                                                                                  {"ln1_b", {8}},
                                                                                                  {"ln2_w", {8}},
                                                                                                  {"ln2_b", {8}},
                                                                                                  {"ffn1_w", {16, 8}},
                                                                                                  {"ffn1_b", {16}},
                                                                                                  {"ffn2_w", {8, 16}},
                                                                                                  {"ffn2_b", {8}}})
    m.register_parameter(name, torch::randn(shape), false);
  m.define(R"(
def forward(self, x):
    return torch._transformer_encoder_layer_fwd(x, 8, 2, self.qkv_w, self.qkv_b, self.proj_w, self.proj_b, True,
        True, 1e-5, self.ln1_w, self.ln1_b, self.ln2_w, self.ln2_b, self.ffn1_w, self.ffn1_b, self.ffn2_w,
        self.ffn2_b)
)");
  const core::Graph g = import_torchscript(save(m, "encoder"), {1, 5, 8});
  std::map<OpKind, int> count;
  for (const auto& n : g.nodes()) ++count[n.kind];
  EXPECT_EQ(count[OpKind::kLayerNorm], 2);
  EXPECT_EQ(count[OpKind::kLinear], 4);  // qkv, out projection, the two MLP layers
  EXPECT_EQ(count[OpKind::kGelu], 1);
  EXPECT_EQ(count[OpKind::kAdd], 2);  // the two residuals
  EXPECT_EQ(count[OpKind::kMatmul], 2);
  EXPECT_EQ(g.node(1).kind, OpKind::kLayerNorm);  // norm_first: the input is normalised before attention
  EXPECT_EQ(g.shape(g.outputs()[0]), (core::Shape{1, 5, 8}));
  // qkv 24*8 + 24 = 216, out projection 8*8 + 8 = 72, two layer norms 2*16 = 32, MLP 16*8 + 16 = 144 and
  // 8*16 + 8 = 136: 600, all of the module's parameters.
  EXPECT_EQ(core::graph_cost(g).params, 600);
  EXPECT_EQ(torch_params(m), 600);
}

TEST_F(TorchScriptImport, FollowsTheBranchTakenAndUnrollsLoops) {
  torch::jit::Module m("Control");
  m.register_parameter("w", torch::randn({2, 2, 3, 3}), false);
  m.define(R"(
def forward(self, x):
    if x.size(2) > 8:
        x = torch.relu(x)
    else:
        x = torch.sigmoid(x)
    for i in range(3):
        x = torch.conv2d(x, self.w, None, [1, 1], [1, 1])
    return x
)");
  const auto file = save(m, "control");
  const auto big = import_torchscript(file, {1, 2, 16, 16});
  EXPECT_EQ(kinds(big),
            (std::vector<OpKind>{OpKind::kInput, OpKind::kRelu, OpKind::kConv2d, OpKind::kConv2d, OpKind::kConv2d}));
  // The IR counts weights per op: the one shared 2*2*3*3 = 36 weight is counted at each of its 3 uses.
  EXPECT_EQ(core::graph_cost(big).params, 3 * 36);
  const auto small = import_torchscript(file, {1, 2, 4, 4});
  EXPECT_EQ(small.node(1).kind, OpKind::kSigmoid);
  EXPECT_EQ(small.shape(small.outputs()[0]), (core::Shape{1, 2, 4, 4}));
}

TEST_F(TorchScriptImport, ImportsANamedMethod) {
  torch::jit::Module m("Methods");
  m.define(R"(
def forward(self, x):
    return torch.relu(x)

def features(self, x):
    return torch.max_pool2d(x, [3, 3], [2, 2], [1, 1], [1, 1], True)
)");
  ImportOptions options;
  options.method = "features";
  const auto g = import_torchscript(save(m, "methods"), {1, 1, 10, 10}, options);
  ASSERT_EQ(g.node(1).kind, OpKind::kMaxPool);
  EXPECT_EQ(std::get<core::PoolAttrs>(g.node(1).attrs),
            (core::PoolAttrs{.kernel = 3, .stride = 2, .padding = 1, .count_include_pad = true, .ceil_mode = true}));
  // ceil((10 + 2 - 3) / 2) + 1 = 6.
  EXPECT_EQ(g.node(1).shape, (core::Shape{1, 1, 6, 6}));
}

TEST_F(TorchScriptImport, MissingFileIsNamed) {
  const auto missing = dir_ / "missing.pt";
  const std::string message = error_of([&] { import_torchscript(missing, {1, 3, 8, 8}); });
  EXPECT_NE(message.find(missing.string()), std::string::npos) << message;
  EXPECT_NE(message.find("does not exist"), std::string::npos) << message;
}

TEST_F(TorchScriptImport, TextFileRenamedPtIsNotTorchScript) {
  const auto file = dir_ / "notes.pt";
  std::ofstream(file) << "these are not the weights you are looking for\n";
  const std::string message = error_of([&] { import_torchscript(file, {1, 3, 8, 8}); });
  EXPECT_NE(message.find(file.string() + " is not a TorchScript file: "), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << "one line: " << message;
}

TEST_F(TorchScriptImport, WrongInputChannelsNameTheOpModuleAndShapes) {
  auto m = tiny_net();
  const auto file = save(m, "tiny_net_channels");
  const std::string message = error_of([&] { import_torchscript(file, {1, 4, 16, 16}); });
  for (const char* part : {"input shape 1x4x16x16 does not fit the model", "aten::conv2d", "module 'conv'",
                           "1x4x16x16, 8x3x3x3", "expected input[1, 4, 16, 16] to have 3 channels"})
    EXPECT_NE(message.find(part), std::string::npos) << "no '" << part << "' in: " << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << "one line: " << message;
}

TEST_F(TorchScriptImport, ExceptionRaisedByTheModelIsReported) {
  torch::jit::Module m("Checked");
  m.define(R"(
def forward(self, x):
    assert x.size(1) == 3, "expected an RGB image"
    return torch.relu(x)
)");
  const auto file = save(m, "checked");
  EXPECT_NO_THROW(import_torchscript(file, {1, 3, 4, 4}));
  const std::string message = error_of([&] { import_torchscript(file, {1, 1, 4, 4}); });
  EXPECT_NE(message.find("does not fit the model"), std::string::npos) << message;
  EXPECT_NE(message.find("expected an RGB image"), std::string::npos) << message;
}

TEST_F(TorchScriptImport, UnsupportedOpIsNamedWithItsModuleAndTheSupportedOps) {
  torch::jit::Module head("Head");
  head.define(R"(
def forward(self, x):
    return torch.grid_sampler(x, torch.zeros([1, 2, 2, 2]), 0, 0, False)
)");
  torch::jit::Module m("Sampler");
  m.register_parameter("w", torch::randn({4, 3, 1, 1}), false);
  m.register_module("head", head);
  m.define(R"(
def forward(self, x):
    return self.head.forward(torch.conv2d(x, self.w))
)");
  const std::string message = error_of([&] { import_torchscript(save(m, "sampler"), {1, 3, 8, 8}); });
  for (const char* part : {"unsupported op aten::grid_sampler", "module 'head'", "1x4x8x8",
                           "supported ops: ", "aten::conv2d", "aten::linear"})
    EXPECT_NE(message.find(part), std::string::npos) << "no '" << part << "' in: " << message;
}

TEST_F(TorchScriptImport, ConfigurationsWithoutIrOpAreRejected) {
  torch::jit::Module rect("Rect");
  rect.register_parameter("w", torch::randn({4, 3, 1, 3}), false);
  rect.define("def forward(self, x):\n    return torch.conv2d(x, self.w)\n");
  std::string message = error_of([&] { import_torchscript(save(rect, "rect"), {1, 3, 8, 8}); });
  EXPECT_NE(message.find("kernel 1x3 is not square"), std::string::npos) << message;

  // 2x2 -> 7x7 would upsample: no pooling window (VGG below 224x224 inputs).
  torch::jit::Module up("Up");
  up.define("def forward(self, x):\n    return torch.adaptive_avg_pool2d(x, [7, 7])\n");
  message = error_of([&] { import_torchscript(save(up, "up"), {1, 3, 2, 2}); });
  EXPECT_NE(message.find("adaptive pooling from 2x2 to 7x7"), std::string::npos) << message;

  torch::jit::Module two("Two");
  two.define("def forward(self, x, y):\n    return x + y\n");
  message = error_of([&] { import_torchscript(save(two, "two"), {1, 3}); });
  EXPECT_NE(message.find("forward() takes 2 arguments"), std::string::npos) << message;

  message = error_of([&] { import_torchscript(save(up, "up2"), {1, 0, 2, 2}); });
  EXPECT_NE(message.find("must have positive dims"), std::string::npos) << message;
  ImportOptions backward;
  backward.method = "backward";
  message = error_of([&] { import_torchscript(save(up, "up3"), {1, 3, 2, 2}, backward); });
  EXPECT_NE(message.find("has no method 'backward' (methods: forward)"), std::string::npos) << message;
}

TEST(TorchScriptOps, SupportedOpsAreSortedAndCoverTheCoreFamilies) {
  const auto& ops = lowered_aten_ops();
  EXPECT_TRUE(std::is_sorted(ops.begin(), ops.end()));
  for (const char* op : {"aten::conv2d", "aten::_convolution", "aten::batch_norm", "aten::linear", "aten::cat",
                         "aten::_native_multi_head_attention", "aten::chunk", "aten::hardswish_"})
    EXPECT_NE(std::find(ops.begin(), ops.end(), op), ops.end()) << op;
}

}  // namespace
}  // namespace hwnas::frontends
