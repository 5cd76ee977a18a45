#pragma once
/// `hwnas search --measure N`: after a search, measure its top candidates on a platform of this host with
/// the profiler, and compare with the predicted latency when the search has an objective named `latency`.
///
/// Which candidates: the feasible Pareto front in its order (best on the first objective first), then the
/// other feasible candidates, best on the first objective first, until N are chosen. Infeasible
/// candidates are never measured. Each is lowered with space.to_graph(arch, batch) and all are measured
/// together by devices::measure_interleaved (shuffled interleaved rounds, so drift spreads evenly).
///
/// The comparison (MAPE, share within +-10 %) only means something when the latency objective predicts
/// the platform measured here (e.g. the libtorch-cpu-t1 predictors, measured on libtorch-cpu-t1); the
/// summary names the platform beside the figures for that reason.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "hwnas/devices/profiler.h"
#include "hwnas/predictors/profiling/store_measurement.h"
#include "hwnas/search/config.h"
#include "hwnas/search/search_result.h"
#include "hwnas/spaces/search_space.h"

namespace hwnas::search {

struct MeasureTopOptions {
  std::size_t count = 5;                                  ///< N: how many candidates to measure
  std::string platform = "libtorch-cpu-t1";               ///< a devices::platform_registry() name
  /// The campaigns' whole-network settings, so a measured candidate compares with the stored networks.
  devices::ProfileOptions profile = predictors::campaign_network_profile();
  std::int64_t batch = 1;                                 ///< batch size of the measured graphs
  bool progress = true;                                   ///< a progress line on stderr (when a terminal)
};

/// Indices into result.candidates of the candidates to measure, in order (see the file comment).
std::vector<std::size_t> select_top(const SearchResult& result, std::size_t count);

struct MeasuredCandidate {
  std::size_t index = 0;  ///< into SearchResult::candidates
  double measured_ms = 0; ///< the profiler's robust latency (median of round minima)
  double spread = 0;      ///< its relative interquartile range over rounds
};

struct MeasureTopReport {
  std::string platform;
  std::vector<MeasuredCandidate> rows;  ///< in select_top() order
  /// The objective named "latency", when the search has one: the predicted values compared below.
  std::optional<std::size_t> latency_objective;
  std::size_t compared = 0;  ///< rows with an available predicted latency
  /// Mean absolute percentage error of the predicted latency, in percent, over the compared rows (NaN
  /// when none).
  double mape_percent = std::numeric_limits<double>::quiet_NaN();
  /// Share (0..1) of the compared rows whose predicted latency is within +-10 % of the measured one.
  double within_10_percent = std::numeric_limits<double>::quiet_NaN();
};

/// Measures select_top(result, options.count) on options.platform, lowering each arch with `space`
/// (the space the search ran on). Throws hwnas::Error for an unknown platform (listing the valid ones)
/// or a graph the platform cannot run (naming the arch).
MeasureTopReport measure_top(const SearchResult& result, const spaces::SearchSpace& space,
                             const MeasureTopOptions& options);

/// The same on the space of `config` (created with its options); also writes <result.out_dir>/measured.csv.
MeasureTopReport measure_top(const SearchResult& result, const SearchConfig& config,
                             const MeasureTopOptions& options);

/// measured.csv: header `arch,<every objective>,measured_ms,spread`, then one row per measured
/// candidate in report order (an unavailable objective value is an empty field).
std::string measured_csv(const SearchResult& result, const MeasureTopReport& report);

/// Lines for a terminal: per measured candidate the measured latency (and, with a latency objective,
/// the predicted one and the relative error), then MAPE and the share within +-10 % with the platform.
std::string measure_summary(const SearchResult& result, const MeasureTopReport& report);

}  // namespace hwnas::search
