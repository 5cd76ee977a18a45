// Search strategies on NAS-Bench-201 against the truth found by enumeration, and end-to-end search
// throughput.
//
//   search_bench [--seeds N] [--latency MS] [--host-latency MS] [--budget N] [--threads T] [--out DIR]
//
// Part 1: CIFAR-10 accuracy from the shipped table, under two latency objectives: the Pixel 3 column of
// the public latency table (data/tables), constraint latency <= MS (default 5), and the project's own
// predictor set for this host (libtorch-cpu-t1), constraint latency <= host MS (default 15).
// All 15625 architectures are enumerated to find the true best feasible one under each.
// For random search, regularized evolution and NSGA-II, each with seeds 1..N (default 10) and a budget
// of 1000 evaluations, reports how often the true best feasible architecture is among the first 500 and
// the first 1000 evaluations, and the mean gap between the true best feasible accuracy and the best
// feasible accuracy found by then. (The first 500 evaluations of a 1000-evaluation run.)
// Part 2: candidates evaluated per second, end to end (run_search with output files), random search with
// the `flops` objective (graph lowering + static cost per candidate) and with the predicted-latency
// objective, on every built-in space, 1 and T threads.
#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "hwnas/core/error.h"
#include "hwnas/search/engine.h"
#include "hwnas/search/objective.h"

using namespace hwnas;
using namespace hwnas::search;

namespace {

struct Args {
  int seeds = 10;
  double latency = 5;
  double host_latency = 15;
  std::uint64_t budget = 1000;
  std::size_t threads = 2;
  std::filesystem::path out = std::filesystem::temp_directory_path() / "hwnas_search_bench";
};

/// A latency objective and its bound.
struct Device {
  std::string label;
  std::string objective;  // YAML flow map of the `latency` objective
  double bound;
};

std::string nb201_yaml(const Device& device, const std::string& strategy, const std::string& options, const Args& a,
                       std::uint64_t seed) {
  return fmt::format(
      "space: nb201\n"
      "objectives:\n"
      "  - {{name: accuracy, kind: table, direction: maximize, file: tables/nb201_accuracy.csv, column: cifar10_test_acc}}\n"
      "  - {}\n"
      "constraints: [\"latency <= {}\"]\n"
      "strategy: {{name: {}, options: {}}}\n"
      "budget: {{evaluations: {}}}\n"
      "seed: {}\nthreads: 1\n",
      device.objective, device.bound, strategy, options, a.budget, seed);
}

RunOptions quiet(const std::filesystem::path& dir) {
  RunOptions o;
  o.out_dir = dir;
  o.quiet = true;
  o.handle_signals = false;
  return o;
}

void strategies(const Args& a, const Device& device) {
  // Truth by enumeration, with the same objectives the searches use.
  const SearchConfig probe = parse_config(nb201_yaml(device, "random", "{}", a, 0), "bench");
  auto space = spaces::make_space("nb201");
  const ObjectiveContext context{*space, {}};
  auto acc_objective = make_objective(probe.objectives[0], context);
  auto lat_objective = make_objective(probe.objectives[1], context);
  const auto all = space->enumerate();
  const auto acc = acc_objective->evaluate(all, *space), lat = lat_objective->evaluate(all, *space);
  std::size_t truth = all.size(), feasible = 0;
  for (std::size_t i = 0; i < all.size(); ++i)
    if (lat[i] <= device.bound) {
      ++feasible;
      if (truth == all.size() || acc[i] > acc[truth]) truth = i;
    }
  if (truth == all.size()) fail("no NB201 architecture has latency <= {} ms", device.bound);
  fmt::print("NB201 cifar10, {} latency <= {} ms: {} of {} feasible; true best feasible {} "
             "(accuracy {:.3f}%, {:.3f} ms)\n\n",
             device.label, device.bound, feasible, all.size(), space->to_string(all[truth]), acc[truth], lat[truth]);

  const std::uint64_t half = a.budget / 2;
  fmt::print("{:<10} {:>14} {:>14} {:>14} {:>14} {:>10}\n", "strategy", fmt::format("found@{}", half),
             fmt::format("found@{}", a.budget), fmt::format("gap@{} (pp)", half), fmt::format("gap@{} (pp)", a.budget),
             "s/run");
  const std::vector<std::pair<std::string, std::string>> runs{
      {"random", "{}"},
      {"evolution", "{population_size: 64, sample_size: 16, batch_size: 8}"},
      {"nsga2", "{population_size: 50}"}};
  for (const auto& [strategy, options] : runs) {
    int found_half = 0, found_full = 0;
    double gap_half = 0, gap_full = 0, seconds = 0;
    for (int seed = 1; seed <= a.seeds; ++seed) {
      const SearchConfig config = parse_config(nb201_yaml(device, strategy, options, a, seed), "bench");
      const auto start = std::chrono::steady_clock::now();
      const SearchResult r = run_search(config, quiet(a.out / fmt::format("{}_{}", strategy, seed)));
      seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      double best_half = 0, best_full = 0;  // best feasible accuracy within the first half / all
      bool hit_half = false, hit_full = false;
      for (const auto& c : r.candidates) {
        const bool in_half = c.index < half;
        if (c.arch == all[truth]) (in_half ? hit_half : hit_full) = true;
        if (!c.feasible()) continue;
        best_full = std::max(best_full, c.values[0]);
        if (in_half) best_half = std::max(best_half, c.values[0]);
      }
      hit_full = hit_full || hit_half;
      found_half += hit_half;
      found_full += hit_full;
      gap_half += acc[truth] - best_half;
      gap_full += acc[truth] - best_full;
    }
    fmt::print("{:<10} {:>14} {:>14} {:>14.3f} {:>14.3f} {:>10.2f}\n", strategy,
               fmt::format("{}/{}", found_half, a.seeds), fmt::format("{}/{}", found_full, a.seeds),
               gap_half / a.seeds, gap_full / a.seeds, seconds / a.seeds);
  }
  fmt::print("\n");
}

void throughput(const Args& a) {
  fmt::print("End-to-end throughput, random search: objective flops (MFLOPs of the lowered graph) or latency\n"
             "(predicted by the libtorch-cpu-t1 predictor set):\n");
  fmt::print("{:<8} {:<8} {:>8} {:>8} {:>12} {:>12}\n", "space", "objective", "threads", "evals", "seconds", "evals/s");
  for (const std::string objective : {"flops", "latency"})
  for (const std::string space : {"nb201", "fbnet", "mobilenet", "vit"}) {
    for (std::size_t threads : {std::size_t{1}, a.threads}) {
      const std::uint64_t n = space == "nb201" ? 3000 : space == "fbnet" ? 2000 : 500;
      const std::string spec = objective == "flops" ? "{name: mflops, kind: flops}"
                                                    : "{name: latency, kind: predictor, predictors: libtorch-cpu-t1}";
      const SearchConfig config = parse_config(
          fmt::format("space: {}\nobjectives: [{}]\nstrategy: {{name: random, options: "
                      "{{batch_size: 64}}}}\nbudget: {{evaluations: {}}}\nseed: 1\nthreads: {}\n",
                      space, spec, n, threads),
          "bench");
      const auto start = std::chrono::steady_clock::now();
      const SearchResult r =
          run_search(config, quiet(a.out / fmt::format("{}_{}_{}", objective, space, threads)));
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      fmt::print("{:<8} {:<8} {:>8} {:>8} {:>12.3f} {:>12.0f}\n", space, objective, threads, r.candidates.size(), s,
                 static_cast<double>(r.candidates.size()) / s);
      if (threads == a.threads && a.threads == 1) break;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    auto value = [&](const char* flag) {
      if (i + 1 >= argc) {
        fmt::print(stderr, "{} needs a value\n", flag);
        std::exit(2);
      }
      return std::string(argv[++i]);
    };
    if (!std::strcmp(argv[i], "--seeds")) a.seeds = std::stoi(value("--seeds"));
    else if (!std::strcmp(argv[i], "--latency")) a.latency = std::stod(value("--latency"));
    else if (!std::strcmp(argv[i], "--host-latency")) a.host_latency = std::stod(value("--host-latency"));
    else if (!std::strcmp(argv[i], "--budget")) a.budget = std::stoull(value("--budget"));
    else if (!std::strcmp(argv[i], "--threads")) a.threads = std::stoul(value("--threads"));
    else if (!std::strcmp(argv[i], "--out")) a.out = value("--out");
    else {
      fmt::print(stderr,
                 "usage: search_bench [--seeds N] [--latency MS] [--host-latency MS] [--budget N] [--threads T] "
                 "[--out DIR]\n");
      return 2;
    }
  }
  try {
    strategies(a, {"pixel3 (public table)",
                   "{name: latency, kind: table, direction: minimize, file: tables/nb201_latency.csv, column: pixel3_ms}",
                   a.latency});
    strategies(a, {"libtorch-cpu-t1 (own predictor)",
                   "{name: latency, kind: predictor, predictors: libtorch-cpu-t1}", a.host_latency});
    throughput(a);
  } catch (const Error& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
  return 0;
}
