#pragma once
/// The search engine: runs a strategy against objectives under constraints and a budget.
///
/// Each round the engine asks the strategy for a batch (Strategy::batch_size(), fewer near the end of
/// the evaluation budget), looks every architecture up in its cache (no architecture is evaluated
/// twice; a repeat costs no budget), evaluates the new ones in parallel on `threads` threads (each
/// objective over contiguous chunks of the batch; objectives that are not thread_safe() once per batch),
/// and tells the strategy all results. Results depend on the seed and config only, never on threads.
/// Stops at the evaluation or wall-clock budget, when the space is exhausted, after many rounds
/// without a new architecture, or on SIGINT/SIGTERM (see interrupt.h).

#include <cstddef>
#include <filesystem>

#include "hwnas/search/config.h"
#include "hwnas/search/search_result.h"

namespace hwnas::search {

struct RunOptions {
  /// Output directory; overrides config.output when not empty (the CLI's --out).
  std::filesystem::path out_dir;
  /// Continue from <out_dir>/checkpoint.json (an error if there is none, or if it was written for a
  /// config whose result_fingerprint() differs). The budget may be raised to extend a finished search.
  bool resume = false;
  /// No progress line and no notes on stderr.
  bool quiet = false;
  /// Evaluations between checkpoints (checkpoint.json and candidates.csv); 0 = only at the end or on
  /// a signal.
  std::size_t checkpoint_every = 500;
  /// Install SIGINT/SIGTERM handlers for the duration of the search.
  bool handle_signals = true;
  /// Stop as stalled after this many consecutive rounds that proposed no new architecture.
  std::size_t max_stalled_rounds = 1000;
};

/// Runs the search of `config` and writes its outputs (report.h) into the output directory.
/// Throws hwnas::Error for a bad config (naming file and line), a failing objective (after writing a
/// checkpoint of what was evaluated), or an unusable checkpoint.
SearchResult run_search(const SearchConfig& config, const RunOptions& options = {});

}  // namespace hwnas::search
