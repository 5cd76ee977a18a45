// Few-shot latency prediction on HELP's meta-validation devices, against the published numbers.
//
//   few_shot_bench [--draws D]
//
// For NB201 (all 15625 cells) and FBNet (the 5000-arch public sample): device heads are pre-trained on
// every device of the public table except titanx_1, titanx_32, titanx_256 (titanx_64 for FBNet) and
// gold_6240; each of those is then calibrated from N = 10 and N = 20 randomly drawn measured
// architectures and scored over all architectures of the table: Spearman rank correlation and the
// share within ±10%, mean over D draws (default 5). Side by side: the few-shot predictor with and
// without the local-platform latency feature, the most correlated training device alone (affinely
// mapped), and FLOPs. Published (mean Spearman over their test devices): HELP NB201 0.932 (10
// samples), NASFLAT NB201 0.959, HELP FBNet 0.910.
#include <chrono>
#include <cmath>
#include <cstring>
#include <random>

#include <fmt/format.h>

#include "hwnas/core/error.h"
#include "hwnas/predictors/few_shot/arch_encoding.h"
#include "hwnas/predictors/few_shot/few_shot_predictor.h"
#include "hwnas/predictors/predictor_set.h"
#include "hwnas/predictors/predictor_sets.h"
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

void bench_space(const std::string& name, int draws, std::shared_ptr<const PredictorSet> local) {
  const auto space = spaces::make_space(name);
  const auto table = load_device_latency_table(*space);
  const auto start = std::chrono::steady_clock::now();
  const ArchEncoder with_local(*space, local), without_local(*space, nullptr);
  const auto x_local = with_local.encode(table.archs);
  const double encode_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto x_plain = without_local.encode(table.archs);
  const auto validation = validation_devices(name);
  const auto heads_local = pretrain_device_heads(table, x_local, with_local.size(), validation);
  const auto heads_plain = pretrain_device_heads(table, x_plain, without_local.size(), validation);
  fmt::print("{}: {} architectures, {} training devices; encoding with local predictions took {:.1f}s\n", name,
             table.archs.size(), heads_local.devices.size(), encode_s);
  fmt::print("{:<12} {:>3}  {:>17} {:>17} {:>17} {:>17}\n", "device", "N", "few-shot+local", "few-shot",
             "closest device", "FLOPs");
  const std::size_t flops_col = with_local.size() - 2;
  std::vector<double> flops;
  for (std::size_t r = 0; r < table.archs.size(); ++r) flops.push_back(x_local[r * with_local.size() + flops_col]);
  for (std::size_t n : {std::size_t{10}, std::size_t{20}}) {
    Score mean[4];
    for (const auto& device : validation) {
      const auto& truth = table.latency[table.device_index(device)];
      Score s[4];
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
        s[0].add(score(calibrate_few_shot(heads_local, rows_of(x_local, with_local.size(), rows), y, with_local.size())
                           .predict(x_local),
                       truth),
                 w);
        s[1].add(score(calibrate_few_shot(heads_plain, rows_of(x_plain, without_local.size(), rows), y,
                                          without_local.size())
                           .predict(x_plain),
                       truth),
                 w);
        s[2].add(score(reference_device_only(heads_local, rows_of(x_local, with_local.size(), rows), y,
                                             with_local.size())
                           .predict(x_local),
                       truth),
                 w);
      }
      s[3] = {spearman(flops, truth), 0};
      auto cell = [](const Score& v) { return fmt::format("{:.3f} / {:5.1f}%", v.spearman, 100 * v.within_10); };
      fmt::print("{:<12} {:>3}  {:>17} {:>17} {:>17} {:>17}\n", device, n, cell(s[0]), cell(s[1]), cell(s[2]),
                 fmt::format("{:.3f}", s[3].spearman));
      for (int k = 0; k < 4; ++k) mean[k].add(s[k], 1.0 / static_cast<double>(validation.size()));
    }
    fmt::print("{:<12} {:>3}  {:>17} {:>17} {:>17} {:>17}\n", "mean", n,
               fmt::format("{:.3f} / {:5.1f}%", mean[0].spearman, 100 * mean[0].within_10),
               fmt::format("{:.3f} / {:5.1f}%", mean[1].spearman, 100 * mean[1].within_10),
               fmt::format("{:.3f} / {:5.1f}%", mean[2].spearman, 100 * mean[2].within_10),
               fmt::format("{:.3f}", mean[3].spearman));
  }
  fmt::print("(Spearman / share within ±10%, mean of the draws; published: HELP NB201 0.932 with 10 samples, "
             "NASFLAT 0.959, HELP FBNet 0.910)\n\n");
}

}  // namespace

int main(int argc, char** argv) try {
  int draws = 5;
  for (int i = 1; i < argc; ++i) {
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
