// Few-shot latency prediction on HELP's meta-validation devices, against the published numbers.
//
//   few_shot_bench [--draws D]
//
// For NB201 (all 15625 cells) and FBNet (the 5000-arch public sample): device heads are pre-trained on
// every device of the public table except titanx_1, titanx_32, titanx_256 (titanx_64 for FBNet) and
// gold_6240; each of those is then calibrated from N = 10 and N = 20 randomly drawn measured
// architectures and scored over all architectures of the table: Spearman rank correlation and the
// share within ±10%, mean over D draws (default 20: over 5, the encodings differ by less than the
// draws do). Side by side, the encodings the design was chosen between (arch_encoding.h): genes alone
// (the papers' encoding), + the latency the local kernel predictors give, + the kernel mix, + a
// zero-cost proxy from the shipped tables (data/proxies): synflow, the kernel mix and l2_norm, every
// proxy the table holds, or l2_norm alone (the default, default_encoding_options); then the most
// correlated training device alone (affinely mapped) and FLOPs. Published (mean Spearman over their
// test devices): HELP NB201 0.932 (10 samples), NASFLAT NB201 0.959, HELP FBNet 0.910.
#include <chrono>
#include <cmath>
#include <cstring>
#include <random>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "hwnas/core/cost.h"
#include "hwnas/core/error.h"
#include "hwnas/predictors/few_shot/arch_encoding.h"
#include "hwnas/predictors/few_shot/few_shot_predictor.h"
#include "hwnas/predictors/predictor_set.h"
#include "hwnas/predictors/predictor_sets.h"
#include "hwnas/predictors/proxies/proxy_table.h"
#include "hwnas/predictors/regressors/accuracy.h"

using namespace hwnas;
using namespace hwnas::predictors;

namespace {

struct Score {
  double spearman = 0, within_10 = 0;
  void add(const Score& s, double weight) {
    spearman += weight * s.spearman;
    within_10 += weight * s.within_10;
  }
};

Score score(const std::vector<double>& predicted, const std::vector<double>& truth) {
  return {spearman(predicted, truth), accuracy_report(predicted, truth).within_10};
}

std::vector<double> rows_of(const std::vector<double>& encoded, std::size_t dim, const std::vector<std::size_t>& rows) {
  std::vector<double> out;
  for (std::size_t r : rows) out.insert(out.end(), encoded.begin() + r * dim, encoded.begin() + (r + 1) * dim);
  return out;
}

// One encoding of the architectures under comparison, with its device heads pre-trained.
struct Variant {
  std::string label;
  std::size_t dim = 0;
  std::vector<double> encoded;
  DeviceHeads heads;
};

Variant make_variant(std::string label, const spaces::SearchSpace& space, const DeviceLatencyTable& table,
                     std::shared_ptr<const PredictorSet> local, EncodingOptions options) {
  const auto start = std::chrono::steady_clock::now();
  const ArchEncoder encoder(space, std::move(local), std::move(options));
  Variant v{std::move(label), encoder.size(), encoder.encode(table.archs), {}};
  v.heads = pretrain_device_heads(table, v.encoded, v.dim, validation_devices(space.name()));
  fmt::print("  {:<18} {:>3} features, encoded and pre-trained in {:.1f}s\n", v.label, v.dim,
             std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return v;
}

void bench_space(const std::string& name, int draws, std::shared_ptr<const PredictorSet> local) {
  const auto space = spaces::make_space(name);
  const auto table = load_device_latency_table(*space);
  const auto proxies = shipped_proxy_table(*space);
  if (!proxies) hwnas::fail("no shipped proxy table for {} (data/proxies/{}.csv)", name, name);
  fmt::print("{}: {} architectures, pre-training on every device but {}\n", name, table.archs.size(),
             fmt::join(validation_devices(name), ", "));
  std::vector<Variant> variants;
  variants.push_back(make_variant("genes", *space, table, nullptr, {}));
  variants.push_back(make_variant("+local", *space, table, local, {}));
  variants.push_back(make_variant("+local+kernels", *space, table, local, {.kernel_mix = true}));
  variants.push_back(make_variant("+local+synflow", *space, table, local, {.proxies = {"synflow"}, .proxy_table = proxies}));
  EncodingOptions kernels_and_l2 = default_encoding_options(*space);
  kernels_and_l2.kernel_mix = true;
  variants.push_back(make_variant("+local+kern+l2", *space, table, local, std::move(kernels_and_l2)));
  EncodingOptions every_proxy{.proxy_table = proxies};  // params and flops are already log_mparams, log_mflops
  for (const auto& proxy : proxies->scores.front().names())
    if (proxy != "params" && proxy != "flops") every_proxy.proxies.push_back(proxy);
  variants.push_back(make_variant("+local+every zc", *space, table, local, std::move(every_proxy)));
  variants.push_back(make_variant("+local+l2 (dflt)", *space, table, local, default_encoding_options(*space)));
  const Variant& reference = variants.back();  // the closest-device baseline sees the default encoding

  fmt::print("{:<11} {:>3}", "device", "N");
  for (const auto& v : variants) fmt::print(" {:>17}", v.label);
  fmt::print(" {:>17} {:>6}\n", "closest device", "FLOPs");
  std::vector<double> flops;
  for (const auto& arch : table.archs) flops.push_back(core::graph_cost(space->to_graph(arch, 1)).flops);
  const auto validation = validation_devices(name);
  auto cell = [](const Score& v) { return fmt::format("{:.3f} / {:5.1f}%", v.spearman, 100 * v.within_10); };
  for (std::size_t n : {std::size_t{10}, std::size_t{20}}) {
    std::vector<Score> mean(variants.size() + 2);
    for (const auto& device : validation) {
      const auto& truth = table.latency[table.device_index(device)];
      std::vector<Score> s(variants.size() + 2);
      std::mt19937_64 rng(1234);
      for (int d = 0; d < draws; ++d) {
        std::vector<std::size_t> rows;
        std::uniform_int_distribution<std::size_t> pick(0, table.archs.size() - 1);
        while (rows.size() < n) {
          const std::size_t r = pick(rng);
          if (std::find(rows.begin(), rows.end(), r) == rows.end()) rows.push_back(r);
        }
        std::vector<double> y;
        for (std::size_t r : rows) y.push_back(truth[r]);
        const double w = 1.0 / draws;
        for (std::size_t k = 0; k < variants.size(); ++k) {
          const Variant& v = variants[k];
          s[k].add(score(calibrate_few_shot(v.heads, rows_of(v.encoded, v.dim, rows), y, v.dim).predict(v.encoded), truth),
                   w);
        }
        s[variants.size()].add(
            score(reference_device_only(reference.heads, rows_of(reference.encoded, reference.dim, rows), y, reference.dim)
                      .predict(reference.encoded),
                  truth),
            w);
      }
      s.back() = {spearman(flops, truth), 0};
      fmt::print("{:<11} {:>3}", device, n);
      for (std::size_t k = 0; k <= variants.size(); ++k) fmt::print(" {:>17}", cell(s[k]));
      fmt::print(" {:>6.3f}\n", s.back().spearman);
      for (std::size_t k = 0; k < s.size(); ++k) mean[k].add(s[k], 1.0 / static_cast<double>(validation.size()));
    }
    fmt::print("{:<11} {:>3}", "mean", n);
    for (std::size_t k = 0; k <= variants.size(); ++k) fmt::print(" {:>17}", cell(mean[k]));
    fmt::print(" {:>6.3f}\n", mean.back().spearman);
  }
  fmt::print("(Spearman / share within ±10%, mean of the draws; published: HELP NB201 0.932 with 10 samples, "
             "NASFLAT 0.959, HELP FBNet 0.910)\n\n");
}

}  // namespace

int main(int argc, char** argv) try {
  int draws = 20;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      fmt::print("usage: few_shot_bench [--draws D]\n"
                 "Calibrates HELP's validation devices from N = 10 and 20 measured architectures of NB201 and\n"
                 "FBNet with each candidate encoding, D sample draws each (default 20), and prints Spearman and\n"
                 "the share within 10% beside the published numbers (see bench/few_shot_bench.cpp).\n");
      return 0;
    }
    if (std::strcmp(argv[i], "--draws") == 0 && i + 1 < argc) draws = std::stoi(argv[++i]);
    else hwnas::fail("unknown flag '{}' (usage: few_shot_bench [--draws D])", argv[i]);
  }
  auto local = std::make_shared<const PredictorSet>(PredictorSet::load(predictor_set_path(kDefaultPredictorSet)));
  bench_space("nb201", draws, local);
  bench_space("fbnet", draws, local);
  return 0;
} catch (const std::exception& e) {
  fmt::print(stderr, "few_shot_bench: {}\n", e.what());
  return 1;
}
