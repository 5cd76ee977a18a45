#include "hwnas/nn/runnable_graph.h"

#include <array>
#include <utility>

#include <torch/version.h>

#include "hwnas/core/error.h"
#include "hwnas/nn/graph_module.h"
#include "hwnas/nn/script_module.h"
#include "onednn_context.h"

namespace hwnas::nn {
namespace {

constexpr std::array<std::pair<Engine, std::string_view>, 2> kEngineNames{{
    {Engine::kEager, "eager"},
    {Engine::kTorchScript, "torchscript"},
}};

// The fixed input is drawn from a stream independent of the weights' one.
constexpr std::uint64_t kInputSeedSalt = 0x9e3779b97f4a7c15ULL;

}  // namespace

std::string_view engine_name(Engine engine) {
  for (const auto& [e, name] : kEngineNames)
    if (e == engine) return name;
  HWNAS_ASSERT(false, "Engine {} has no name", static_cast<int>(engine));
  return {};
}

Engine engine_from_name(std::string_view name) {
  for (const auto& [e, n] : kEngineNames)
    if (n == name) return e;
  fail("unknown engine '{}' (valid: eager, torchscript)", name);
}

struct RunnableGraph::Impl {
  Engine engine;
  GraphModule module;
  std::vector<torch::Tensor> inputs;
  std::vector<torch::jit::IValue> script_inputs;
  torch::jit::Module script;  // only for kTorchScript
  bool onednn_inputs = false;  // kTorchScript: inputs in oneDNN layout, as inside a network's oneDNN group

  Impl(const core::Graph& graph, RunnableOptions options)
      : engine(options.engine), module(GraphModule(graph, options.seed)) {
    module->eval();
    inputs = module->make_inputs(options.seed ^ kInputSeedSalt);
    if (engine == Engine::kTorchScript) {
      onednn_inputs = runs_inside_onednn_group(graph);
      if (onednn_inputs) {
        // Timed as it runs inside a network's oneDNN group (onednn_context.h): the inputs arrive in
        // oneDNN layout and the output stays so. Frozen but not re-optimised: with no conv to start a
        // group of its own, optimize_for_inference would only leave the ops as they are.
        script = build_script_module(*module, {.freeze = true, .optimize_for_inference = false});
        for (auto& t : inputs) t = t.to_mkldnn();
      } else {
        script = build_script_module(*module);
      }
      script_inputs.assign(inputs.begin(), inputs.end());
    }
  }

  std::vector<torch::Tensor> forward() {
    torch::NoGradGuard no_grad;
    if (engine == Engine::kEager) return module->forward(inputs);
    torch::jit::IValue out = script.forward(script_inputs);
    if (!out.isTuple()) return {out.toTensor()};
    std::vector<torch::Tensor> outs;
    for (const auto& v : out.toTupleRef().elements()) outs.push_back(v.toTensor());
    return outs;
  }
};

RunnableGraph::RunnableGraph(const core::Graph& graph, RunnableOptions options)
    : impl_(std::make_unique<Impl>(graph, options)) {}
RunnableGraph::~RunnableGraph() = default;
RunnableGraph::RunnableGraph(RunnableGraph&&) noexcept = default;
RunnableGraph& RunnableGraph::operator=(RunnableGraph&&) noexcept = default;

void RunnableGraph::run() { impl_->forward(); }

void RunnableGraph::run(int iterations) {
  for (int i = 0; i < iterations; ++i) impl_->forward();
}

std::vector<core::Shape> RunnableGraph::output_shapes() {
  std::vector<core::Shape> shapes;
  for (const auto& t : impl_->forward()) shapes.push_back(t.sizes().vec());
  return shapes;
}

std::vector<std::vector<float>> RunnableGraph::output_values() {
  std::vector<std::vector<float>> values;
  for (const auto& t : impl_->forward()) {
    // MKLDNN-layout outputs of the optimised TorchScript graph are converted back to dense first.
    const torch::Tensor dense = (t.is_mkldnn() ? t.to_dense() : t).to(torch::kFloat32).contiguous();
    values.emplace_back(dense.data_ptr<float>(), dense.data_ptr<float>() + dense.numel());
  }
  return values;
}

std::int64_t RunnableGraph::parameter_count() const {
  std::int64_t count = 0;
  for (const auto& p : impl_->module->parameters()) count += p.numel();
  return count;
}

Engine RunnableGraph::engine() const { return impl_->engine; }

bool RunnableGraph::onednn_inputs() const { return impl_->onednn_inputs; }

std::string RunnableGraph::ir_text() const {
  if (impl_->engine != Engine::kTorchScript) return {};
  return impl_->script.get_method("forward").graph()->toString();
}

void set_intra_op_threads(int threads) {
  HWNAS_CHECK(threads > 0, "intra-op thread count must be positive, got {}", threads);
  // at::set_num_threads also empties oneDNN's primitive cache, so only call it on a change.
  if (at::get_num_threads() != threads) at::set_num_threads(threads);
}

int intra_op_threads() { return at::get_num_threads(); }

std::string torch_version() { return TORCH_VERSION; }

}  // namespace hwnas::nn
