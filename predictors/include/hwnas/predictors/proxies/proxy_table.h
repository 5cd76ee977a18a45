#pragma once
/// Tables of precomputed zero-cost proxies: CSV with header `arch,<proxy names>`, one row per
/// architecture (its string form in the space), values written so they read back exactly.
///
/// A whole table costs hours (seconds per architecture for the full vector), so it is computed by
/// compute_proxy_table into a ProxyTableAppender: rows go to the file as they complete, a killed run
/// loses at most the rows in flight, and the same call on the same file resumes where it stopped.

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "hwnas/predictors/proxies/zero_cost_proxies.h"
#include "hwnas/spaces/search_space.h"

namespace hwnas::predictors {

struct ProxyTable {
  std::vector<spaces::Arch> archs;
  std::vector<ProxyScores> scores;  ///< scores[i] belongs to archs[i]
};

/// Writes `archs` and their `scores` (same length; every row with the same proxy names, which give the
/// header). Throws hwnas::Error when the lengths or names disagree or the file cannot be written.
void write_proxy_csv(const std::filesystem::path& path, const spaces::SearchSpace& space,
                     const std::vector<spaces::Arch>& archs, const std::vector<ProxyScores>& scores);

/// Reads a table written by write_proxy_csv. Columns other than `arch` must be proxy names (any subset,
/// any order; they are returned in proxy_names() order); values may be nan/inf. Architectures come back
/// normalized (SearchSpace::normalize). Throws hwnas::Error naming the file and line of a bad
/// architecture, value or duplicate row.
ProxyTable read_proxy_csv(const std::filesystem::path& path, const spaces::SearchSpace& space);

/// `requested` proxy names checked and put in proxy_names() order; empty = all of them. Throws
/// hwnas::Error naming an unknown or repeated name and listing the valid ones.
std::vector<std::string> canonical_proxy_names(const std::vector<std::string>& requested);

/// The shipped proxy table of `space` (data/proxies/<space>.csv: all NB201 cells, the public FBNet
/// sample; computed with the default ProxyOptions), or null for a space without one or with options
/// (another dataset) that change its networks.
std::shared_ptr<const ProxyTable> shipped_proxy_table(const spaces::SearchSpace& space);

/// A proxy table file that grows one flushed row at a time and survives being killed.
///
/// Opening a missing or empty file creates it with its header. Opening an existing one reads it back:
/// its proxy columns must be the requested ones (else hwnas::Error naming both lists) and its rows
/// architectures of `space` (else read_proxy_csv's error). A last line without its newline is a write
/// cut short by a kill: it is dropped (dropped_truncated_line() says so) and the file cut back to the
/// last complete row; a header cut short likewise leaves an empty table. Columns in another order than
/// proxy_names() are rewritten in that order first, so appended rows line up.
///
/// One appender per file at a time (two processes appending to one file are not detected).
class ProxyTableAppender {
 public:
  /// `proxies`: the columns, as canonical_proxy_names() takes them (empty = all).
  ProxyTableAppender(std::filesystem::path path, const spaces::SearchSpace& space,
                     const std::vector<std::string>& proxies = {});
  ProxyTableAppender(const ProxyTableAppender&) = delete;
  ProxyTableAppender& operator=(const ProxyTableAppender&) = delete;

  const std::filesystem::path& path() const { return path_; }
  const spaces::SearchSpace& space() const { return space_; }
  /// The table's proxy columns, in proxy_names() order.
  const std::vector<std::string>& proxies() const { return proxies_; }
  /// Whether opening dropped a last line cut short by a kill.
  bool dropped_truncated_line() const { return dropped_truncated_line_; }

  /// Rows in the table (read back on opening, plus those appended since).
  std::size_t size() const;
  /// Whether `arch` (normalized first) has a row.
  bool contains(const spaces::Arch& arch) const;
  /// The rows in file order.
  ProxyTable table() const;

  /// Appends the row of `arch` (normalized) and flushes it to the file before returning. Thread-safe.
  /// Throws hwnas::Error when `scores` has other proxies than the table, `arch` already has a row, or
  /// the write fails.
  void append(const spaces::Arch& arch, const ProxyScores& scores);

  /// Rewrites the file as write_proxy_csv writes it: the rows of `order` (normalized; each must have a
  /// row, else hwnas::Error naming the first missing one) in that order, then every other row in its
  /// current order. Written to a temporary file beside it and renamed over it, so a kill during the
  /// rewrite leaves the old file whole. Not concurrent with append().
  void rewrite(const std::vector<spaces::Arch>& order);

 private:
  void rewrite_rows(const std::vector<std::size_t>& rows);
  void open_for_append();

  std::filesystem::path path_;
  const spaces::SearchSpace& space_;
  std::vector<std::string> proxies_;
  bool dropped_truncated_line_ = false;
  mutable std::mutex mutex_;
  std::vector<spaces::Arch> archs_;
  std::vector<ProxyScores> scores_;
  std::unordered_map<spaces::Arch, std::size_t, spaces::ArchHash> index_;
  std::ofstream out_;
};

/// Where a compute_proxy_table run stands, after each row.
struct ProxyTableProgress {
  std::size_t computed = 0;    ///< rows computed and appended by this run so far
  std::size_t to_compute = 0;  ///< rows this run has to compute (requested, not yet in the file)
  std::size_t reused = 0;      ///< requested rows that were already in the file
  double seconds = 0;          ///< wall time since the run started
};

struct ProxyTableOptions {
  /// Batch, data seed, classes, real data... of every architecture. Its `proxies` is ignored: the
  /// columns are the appender's.
  ProxyOptions proxy;
  /// Architectures computed concurrently, each with LibTorch on one thread (compute_proxies); the
  /// scores do not depend on it.
  std::size_t jobs = 1;
  /// Catch SIGINT/SIGTERM while running (core::InterruptGuard): stop after the rows in flight.
  bool handle_signals = true;
  /// Called after each appended row, one call at a time, from whichever thread computed it.
  std::function<void(const ProxyTableProgress&)> on_progress;
};

struct ProxyTableReport {
  std::size_t requested = 0;      ///< distinct requested architectures (after normalization)
  std::size_t reused = 0;         ///< requested rows already in the file
  std::size_t computed = 0;       ///< rows computed and appended by this run
  std::size_t other_rows = 0;     ///< rows of architectures not requested, kept after the requested ones
  std::size_t non_finite = 0;     ///< non-finite values (nan, inf) among the rows computed now
  std::vector<double> seconds;    ///< time of each row computed now (graph + proxies), in completion order
  double wall_seconds = 0;
  bool interrupted = false;       ///< stopped by a signal (or core::InterruptGuard::request()) after the rows in flight
  bool complete = false;          ///< every requested row is present and the file was rewritten in order
};

/// Computes the proxies of every architecture of `archs` that `table` lacks and appends each row as
/// it completes; then, when every requested row is present, rewrites the file in the order of `archs`
/// (rows of other architectures after them). `archs` is normalized and duplicates are dropped.
/// Interrupted, it returns after the rows in flight with `interrupted` set and the file valid and
/// resumable. When an architecture fails, no new one starts, the rows in flight are still appended,
/// and hwnas::Error names the architecture (the file stays resumable).
ProxyTableReport compute_proxy_table(ProxyTableAppender& table, const std::vector<spaces::Arch>& archs,
                                     const ProxyTableOptions& options = {});

}  // namespace hwnas::predictors
