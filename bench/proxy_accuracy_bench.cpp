// How well the shipped NB201 proxies rank trained accuracy: Spearman rank correlation of every proxy of
// data/proxies/nb201.csv with the test accuracies of data/tables/nb201_accuracy.csv over all 15625
// cells, beside the figures the original code printed for the same task.
//
//   proxy_accuracy_bench
//
// It checks the proxies against their source rather than timing them (proxy_bench does that): the
// proxies were computed on the CIFAR-10 network, so the CIFAR-10 column is the like-for-like one; the
// CIFAR-100 and ImageNet16-120 columns correlate the same CIFAR-10 scores with the other datasets'
// accuracies (the original computed each dataset's proxies on that dataset's network). As in the
// original (scipy's spearmanr with nan_policy='omit'), a NaN score leaves its cell out and an infinite
// one ranks at its end; the original printed |ρ|, this bench the sign as well. Published:
// SamsungLabs/zero-cost-nas, notebooks/nasbench201_correlations.ipynb, "Table 1" (Abdelfattah et al.,
// ICLR 2021), CIFAR-10 row.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "hwnas/core/csv.h"
#include "hwnas/core/data_dir.h"
#include "hwnas/core/error.h"
#include "hwnas/predictors/few_shot/few_shot_predictor.h"
#include "hwnas/predictors/proxies/proxy_table.h"
#include "hwnas/spaces/nb201.h"

using namespace hwnas;

namespace {

// |ρ| on CIFAR-10 printed by the original code (their test accuracy, batch 64, seed 42).
const std::map<std::string, double> kPublishedCifar10 = {{"grad_norm", 0.594}, {"snip", 0.596}, {"grasp", 0.514},
                                                        {"fisher", 0.360},    {"synflow", 0.737}, {"jacob_cov", 0.731}};

struct Correlation {
  double spearman = 0;
  std::size_t left_out = 0;  // cells whose score is NaN
};

Correlation correlate(const std::vector<double>& scores, const std::vector<double>& accuracy) {
  std::vector<double> kept_scores, kept_accuracy;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    if (std::isnan(scores[i])) continue;
    kept_scores.push_back(scores[i]);
    kept_accuracy.push_back(accuracy[i]);
  }
  return {predictors::spearman(kept_scores, kept_accuracy), scores.size() - kept_scores.size()};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1) {
    const bool help = !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h");
    fmt::print(help ? stdout : stderr,
               "usage: proxy_accuracy_bench\nSpearman rank correlation of each proxy of data/proxies/nb201.csv "
               "with NB201 test accuracy, beside the published figures.\n");
    return help ? 0 : 2;
  }
  try {
    const spaces::Nb201Space space;
    const auto proxies = predictors::shipped_proxy_table(space);
    if (!proxies) fail("no shipped proxy table for nb201 (data/proxies/nb201.csv)");
    std::unordered_map<spaces::Arch, std::size_t, spaces::ArchHash> row_of;
    for (std::size_t r = 0; r < proxies->archs.size(); ++r) row_of.emplace(proxies->archs[r], r);

    const auto table = core::read_csv(core::data_dir() / "tables" / "nb201_accuracy.csv");
    const int arch_column = table.require_column("arch_str");
    const std::vector<std::pair<std::string, std::string>> datasets = {
        {"cifar10_test_acc", "CIFAR-10"}, {"cifar100_test_acc", "CIFAR-100"}, {"imagenet16_120_test_acc", "ImageNet16"}};
    std::vector<int> accuracy_column;
    for (const auto& [column, label] : datasets) accuracy_column.push_back(table.require_column(column));
    std::vector<std::vector<double>> accuracy(datasets.size());
    std::vector<std::size_t> rows;  // proxy-table row of each accuracy-table row
    for (const auto& line : table.rows) {
      const auto hit = row_of.find(space.normalize(space.from_string(line[arch_column])));
      if (hit == row_of.end()) fail("{}: {} is not in the proxy table", table.path.string(), line[arch_column]);
      rows.push_back(hit->second);
      for (std::size_t d = 0; d < datasets.size(); ++d)
        accuracy[d].push_back(std::stod(line[accuracy_column[d]]));
    }

    fmt::print("NB201, {} cells: Spearman of each proxy (computed on the CIFAR-10 network) with test accuracy\n",
               rows.size());
    fmt::print("{:<10}", "proxy");
    for (const auto& [column, label] : datasets) fmt::print(" {:>11}", label);
    fmt::print(" {:>10} {:>9} {:>15}\n", "published", "left out", "best's CIFAR-10");
    const double best_possible = *std::max_element(accuracy[0].begin(), accuracy[0].end());
    for (const auto& name : proxies->scores.front().names()) {
      std::vector<double> scores;
      for (std::size_t r : rows) scores.push_back(proxies->scores[r].at(name));
      fmt::print("{:<10}", name);
      std::size_t left_out = 0;  // the same cells for every dataset
      for (const auto& dataset_accuracy : accuracy) {
        const auto c = correlate(scores, dataset_accuracy);
        fmt::print(" {:>11.3f}", c.spearman);
        left_out = c.left_out;
      }
      const auto published = kPublishedCifar10.find(name);
      fmt::print(" {:>10}", published == kPublishedCifar10.end() ? "-" : fmt::format("{:.3f}", published->second));
      // What a search that trusts the proxy alone would pick: the cell it scores highest.
      std::size_t best = 0;
      for (std::size_t i = 0; i < scores.size(); ++i)
        if (!std::isnan(scores[i]) && (std::isnan(scores[best]) || scores[i] > scores[best])) best = i;
      fmt::print(" {:>9} {:>14.2f}%\n", left_out, accuracy[0][best]);
    }
    fmt::print("(published: |rho| on CIFAR-10 from SamsungLabs/zero-cost-nas; best possible CIFAR-10 accuracy "
               "{:.2f}%)\n",
               best_possible);
  } catch (const Error& e) {
    fmt::print(stderr, "proxy_accuracy_bench: {}\n", e.what());
    return 1;
  }
  return 0;
}
