#pragma once
// A toy search space and objectives for the search tests: 8 genes x 4 choices (65536 architectures,
// small enough to enumerate), a synthetic latency and a synthetic accuracy.
//
//   latency(a)  = sum_i (1 + a_i) * (1 + i/8)                      in [11.5, 46]
//   accuracy(a) = sum_i sqrt(a_i) * (1 + ((3 i) mod 8) / 8)
//               + 0.5 * #{i : a_i == a_{(i+1) mod 8}}            (a little epistasis)
// Accuracy grows with every gene and so does latency: a latency bound makes a knapsack-like trade-off.

#include <atomic>
#include <string>

#include "hwnas/search/objective.h"
#include "hwnas/spaces/search_space.h"

namespace hwnas::search::test {

class ToySpace : public spaces::SearchSpace {
 public:
  /// Space option `genes` (default 8) shrinks or grows the genotype.
  explicit ToySpace(int genes = 8) : genes_(genes) {}
  std::string name() const override { return "toy"; }
  std::string description() const override { return "8 genes x 4 choices (test space)"; }
  std::vector<int> gene_choices() const override { return std::vector<int>(genes_, 4); }
  core::Shape input_shape(std::int64_t batch = 1) const override { return {batch, 3, 8, 8}; }
  /// Eight digits 0-3, e.g. "01230123".
  std::string to_string(const spaces::Arch& arch) const override;
  spaces::Arch from_string(std::string_view text) const override;
  /// input -> eight 1x1 convs, conv i with 2 * (a_i + 1) output channels (no bias).
  core::Graph to_graph(const spaces::Arch& arch, std::int64_t batch = 1) const override;

 private:
  int genes_;
};

double toy_latency(const spaces::Arch& arch);
double toy_accuracy(const spaces::Arch& arch);

/// Registers space "toy" and objective kinds "toy_latency", "toy_accuracy" (once per process).
void register_toy();

/// When > 0, the toy_accuracy objective raises SIGINT once it has evaluated this many architectures
/// in total (counted from when the hook was set); reset to 0 after firing.
extern std::atomic<long> g_interrupt_after;

/// Number of architectures toy objectives evaluated since the last reset (both kinds together).
extern std::atomic<long> g_toy_evaluations;

}  // namespace hwnas::search::test
