#pragma once
// Builds search configs on the toy space for the engine tests.

#include <fmt/format.h>

#include <string>

#include "hwnas/search/config.h"
#include "toy_space.h"

namespace hwnas::search::test {

struct ToyRun {
  std::string strategy = "evolution";
  std::string strategy_options = "{}";
  std::uint64_t evaluations = 400;
  double seconds = 0;
  std::uint64_t seed = 1;
  std::size_t threads = 1;
  std::string constraints = "[\"latency <= 25\"]";
  std::string space_options = "{}";
};

inline std::string toy_yaml(const ToyRun& r) {
  return fmt::format(
      "space: toy\n"
      "space_options: {}\n"
      "objectives:\n"
      "  - {{name: accuracy, kind: toy_accuracy, direction: maximize}}\n"
      "  - {{name: latency, kind: toy_latency, direction: minimize}}\n"
      "constraints: {}\n"
      "strategy: {{name: {}, options: {}}}\n"
      "budget: {{evaluations: {}, seconds: {}}}\n"
      "seed: {}\n"
      "threads: {}\n",
      r.space_options, r.constraints, r.strategy, r.strategy_options, r.evaluations, r.seconds, r.seed, r.threads);
}

inline SearchConfig toy_config(const ToyRun& r) {
  register_toy();
  return parse_config(toy_yaml(r), "toy.yaml");
}

}  // namespace hwnas::search::test
