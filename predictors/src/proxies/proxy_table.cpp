#include "hwnas/predictors/proxies/proxy_table.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <iterator>
#include <unordered_set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "hwnas/core/csv.h"
#include "hwnas/core/data_dir.h"
#include "hwnas/core/error.h"
#include "hwnas/core/interrupt.h"
#include "hwnas/core/text.h"
#include "hwnas/core/thread_pool.h"

namespace hwnas::predictors {
namespace {

namespace fs = std::filesystem;

std::string header_line(const std::vector<std::string>& names) {
  std::vector<std::string> header{"arch"};
  header.insert(header.end(), names.begin(), names.end());
  return core::csv_line(header);
}

// fmt's shortest round-trip form: the table reads back bit-identical (nan/inf spelled so).
std::string row_line(const spaces::SearchSpace& space, const spaces::Arch& arch, const ProxyScores& scores) {
  std::vector<std::string> fields{space.to_string(arch)};
  for (const auto& [name, value] : scores.values) fields.push_back(fmt::format("{}", value));
  return core::csv_line(fields);
}

// The whole file as write_proxy_csv writes it; every row must have exactly `names`.
std::string table_text(const fs::path& path, const spaces::SearchSpace& space, const std::vector<std::string>& names,
                       const std::vector<spaces::Arch>& archs, const std::vector<ProxyScores>& scores) {
  HWNAS_CHECK(archs.size() == scores.size(), "proxy table {}: {} architectures but {} score rows", path.string(),
              archs.size(), scores.size());
  std::string text = header_line(names);
  for (std::size_t i = 0; i < archs.size(); ++i) {
    HWNAS_CHECK(scores[i].names() == names, "proxy table {}: row {} has proxies {}, the table {}", path.string(), i,
                fmt::join(scores[i].names(), ","), fmt::join(names, ","));
    text += row_line(space, archs[i], scores[i]);
  }
  return text;
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream file(path, std::ios::binary);
  HWNAS_CHECK(file.good(), "proxy table {}: cannot open for writing", path.string());
  file << text;
  file.close();
  HWNAS_CHECK(file.good(), "proxy table {}: write failed", path.string());
}

struct ParsedTable {
  ProxyTable table;
  std::vector<std::string> columns;  ///< the proxy columns, in proxy_names() order
  bool canonical_order = true;       ///< whether the file has them in that order after `arch`
};

ParsedTable parse_table(const core::CsvTable& csv, const fs::path& path, const spaces::SearchSpace& space) {
  const int arch_col = csv.require_column("arch");
  const auto& names = proxy_names();
  // (column, proxy index) pairs, in proxy_names() order.
  std::vector<std::pair<std::size_t, std::size_t>> columns;
  for (std::size_t c = 0; c < csv.header.size(); ++c) {
    if (static_cast<int>(c) == arch_col) continue;
    const auto it = std::find(names.begin(), names.end(), csv.header[c]);
    HWNAS_CHECK(it != names.end(), "proxy table {}: unknown column '{}'; valid: arch, {}", path.string(), csv.header[c],
                fmt::join(names, ", "));
    const auto index = static_cast<std::size_t>(it - names.begin());
    for (const auto& [col, idx] : columns)
      HWNAS_CHECK(idx != index, "proxy table {}: column '{}' appears twice", path.string(), csv.header[c]);
    columns.emplace_back(c, index);
  }
  ParsedTable parsed;
  parsed.canonical_order = arch_col == 0 && std::is_sorted(columns.begin(), columns.end(), [](const auto& a, const auto& b) {
                             return a.second < b.second;
                           });
  std::sort(columns.begin(), columns.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
  for (const auto& [col, index] : columns) parsed.columns.push_back(names[index]);

  ProxyTable& table = parsed.table;
  std::unordered_map<spaces::Arch, int, spaces::ArchHash> seen;
  for (std::size_t r = 0; r < csv.rows.size(); ++r) {
    const auto& row = csv.rows[r];
    const int line = csv.lines[r];
    spaces::Arch arch;
    try {
      arch = space.normalize(space.from_string(row[static_cast<std::size_t>(arch_col)]));
    } catch (const Error& e) {
      fail("proxy table {}, line {}: {}", path.string(), line, e.what());
    }
    const auto [it, fresh] = seen.emplace(arch, line);
    HWNAS_CHECK(fresh, "proxy table {}, line {}: architecture '{}' already on line {}", path.string(), line,
                row[static_cast<std::size_t>(arch_col)], it->second);
    ProxyScores scores;
    for (const auto& [col, index] : columns) {
      const auto value = core::detail::parse_double(row[col]);
      HWNAS_CHECK(value.has_value(), "proxy table {}, line {}: {} = '{}' is not a number", path.string(), line,
                  names[index], row[col]);
      scores.values.emplace_back(names[index], *value);
    }
    table.archs.push_back(std::move(arch));
    table.scores.push_back(std::move(scores));
  }
  return parsed;
}

std::string list_or_none(const std::vector<std::string>& names) {
  return names.empty() ? std::string("(none)") : fmt::format("{}", fmt::join(names, ","));
}

}  // namespace

void write_proxy_csv(const std::filesystem::path& path, const spaces::SearchSpace& space,
                     const std::vector<spaces::Arch>& archs, const std::vector<ProxyScores>& scores) {
  const std::vector<std::string> names = scores.empty() ? proxy_names() : scores.front().names();
  write_text(path, table_text(path, space, names, archs, scores));
}

ProxyTable read_proxy_csv(const std::filesystem::path& path, const spaces::SearchSpace& space) {
  return parse_table(core::read_csv(path), path, space).table;
}

std::vector<std::string> canonical_proxy_names(const std::vector<std::string>& requested) {
  const auto& names = proxy_names();
  if (requested.empty()) return names;
  std::vector<bool> wanted(names.size(), false);
  for (const auto& name : requested) {
    const auto it = std::find(names.begin(), names.end(), name);
    HWNAS_CHECK(it != names.end(), "unknown zero-cost proxy '{}'; valid: {}", name, fmt::join(names, ", "));
    const auto index = static_cast<std::size_t>(it - names.begin());
    HWNAS_CHECK(!wanted[index], "zero-cost proxy '{}' requested twice", name);
    wanted[index] = true;
  }
  std::vector<std::string> out;
  for (std::size_t i = 0; i < names.size(); ++i)
    if (wanted[i]) out.push_back(names[i]);
  return out;
}

// ----- ProxyTableAppender -----

ProxyTableAppender::ProxyTableAppender(std::filesystem::path path, const spaces::SearchSpace& space,
                                       const std::vector<std::string>& proxies)
    : path_(std::move(path)), space_(space), proxies_(canonical_proxy_names(proxies)) {
  std::string text;
  if (fs::exists(path_)) {
    std::ifstream in(path_, std::ios::binary);
    HWNAS_CHECK(in.good(), "proxy table {}: cannot open for reading", path_.string());
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  // Rows are written whole, newline last: text after the last newline is a write a kill cut short.
  if (!text.empty() && text.back() != '\n') {
    const auto last_newline = text.rfind('\n');
    text.resize(last_newline == std::string::npos ? 0 : last_newline + 1);
    dropped_truncated_line_ = true;
  }
  bool rewrite_now = text.empty() || dropped_truncated_line_;
  if (!text.empty()) {
    ParsedTable parsed = parse_table(core::parse_csv(text, path_), path_, space_);
    HWNAS_CHECK(parsed.columns == proxies_,
                "proxy table {} holds the proxies {} but {} were requested: request the same ones to resume it, or "
                "write to another file",
                path_.string(), list_or_none(parsed.columns), list_or_none(proxies_));
    rewrite_now = rewrite_now || !parsed.canonical_order;
    archs_ = std::move(parsed.table.archs);
    scores_ = std::move(parsed.table.scores);
    for (std::size_t i = 0; i < archs_.size(); ++i) index_.emplace(archs_[i], i);
  }
  if (rewrite_now) {
    std::vector<std::size_t> all(archs_.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    rewrite_rows(all);
  }
  open_for_append();
}

void ProxyTableAppender::open_for_append() {
  if (out_.is_open()) out_.close();
  out_.clear();
  out_.open(path_, std::ios::binary | std::ios::app);
  HWNAS_CHECK(out_.good(), "proxy table {}: cannot open for appending", path_.string());
}

std::size_t ProxyTableAppender::size() const {
  std::lock_guard lock(mutex_);
  return archs_.size();
}

bool ProxyTableAppender::contains(const spaces::Arch& arch) const {
  const spaces::Arch normalized = space_.normalize(arch);
  std::lock_guard lock(mutex_);
  return index_.count(normalized) > 0;
}

ProxyTable ProxyTableAppender::table() const {
  std::lock_guard lock(mutex_);
  return {archs_, scores_};
}

void ProxyTableAppender::append(const spaces::Arch& arch, const ProxyScores& scores) {
  spaces::Arch normalized = space_.normalize(arch);
  HWNAS_CHECK(scores.names() == proxies_, "proxy table {}: a row of {} has the proxies {}, the table {}",
              path_.string(), space_.to_string(normalized), list_or_none(scores.names()), list_or_none(proxies_));
  const std::string line = row_line(space_, normalized, scores);
  std::lock_guard lock(mutex_);
  HWNAS_CHECK(index_.count(normalized) == 0, "proxy table {}: {} already has a row", path_.string(), line.substr(0, line.find(',')));
  out_ << line;
  out_.flush();  // a kill from now on cannot lose this row
  HWNAS_CHECK(out_.good(), "proxy table {}: appending a row failed", path_.string());
  index_.emplace(normalized, archs_.size());
  archs_.push_back(std::move(normalized));
  scores_.push_back(scores);
}

void ProxyTableAppender::rewrite(const std::vector<spaces::Arch>& order) {
  std::lock_guard lock(mutex_);
  std::vector<std::size_t> rows;
  std::vector<bool> taken(archs_.size(), false);
  for (const auto& arch : order) {
    const auto it = index_.find(space_.normalize(arch));
    HWNAS_CHECK(it != index_.end(), "proxy table {}: no row for {} to rewrite", path_.string(),
                space_.to_string(space_.normalize(arch)));
    if (taken[it->second]) continue;
    taken[it->second] = true;
    rows.push_back(it->second);
  }
  for (std::size_t i = 0; i < archs_.size(); ++i)
    if (!taken[i]) rows.push_back(i);
  rewrite_rows(rows);
  open_for_append();  // the old stream writes to the file the rename replaced
}

void ProxyTableAppender::rewrite_rows(const std::vector<std::size_t>& rows) {
  std::vector<spaces::Arch> archs;
  std::vector<ProxyScores> scores;
  for (std::size_t i : rows) {
    archs.push_back(archs_[i]);
    scores.push_back(scores_[i]);
  }
  fs::path temp = path_;
  temp += ".tmp";
  write_text(temp, table_text(path_, space_, proxies_, archs, scores));
  std::error_code error;
  fs::rename(temp, path_, error);
  HWNAS_CHECK(!error, "proxy table {}: cannot replace it with {}: {}", path_.string(), temp.string(), error.message());
  archs_ = std::move(archs);
  scores_ = std::move(scores);
  index_.clear();
  for (std::size_t i = 0; i < archs_.size(); ++i) index_.emplace(archs_[i], i);
}

// ----- compute_proxy_table -----

ProxyTableReport compute_proxy_table(ProxyTableAppender& table, const std::vector<spaces::Arch>& archs,
                                     const ProxyTableOptions& options) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const auto since_start = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
  const spaces::SearchSpace& space = table.space();

  std::vector<spaces::Arch> order;
  std::unordered_set<spaces::Arch, spaces::ArchHash> seen;
  for (const auto& arch : archs) {
    spaces::Arch normalized = space.normalize(arch);
    if (seen.insert(normalized).second) order.push_back(std::move(normalized));
  }
  std::vector<std::size_t> todo;
  for (std::size_t i = 0; i < order.size(); ++i)
    if (!table.contains(order[i])) todo.push_back(i);

  ProxyTableReport report;
  report.requested = order.size();
  report.reused = order.size() - todo.size();
  report.other_rows = table.size() - report.reused;

  ProxyOptions proxy = options.proxy;
  proxy.proxies = table.proxies();
  ProxyTableProgress progress;
  progress.to_compute = todo.size();
  progress.reused = report.reused;

  core::InterruptGuard interrupt(options.handle_signals);
  std::mutex mutex;  // report, progress, the first error, on_progress
  std::atomic<bool> failed{false};
  std::string error;
  const std::size_t jobs = std::clamp<std::size_t>(options.jobs, 1, std::max<std::size_t>(todo.size(), 1));
  core::ThreadPool pool(jobs);
  // A task that finds the run stopping returns at once, so parallel_for ends after the rows in flight.
  pool.parallel_for(todo.size(), [&](std::size_t k) {
    if (failed || core::InterruptGuard::requested()) return;
    const spaces::Arch& arch = order[todo[k]];
    try {
      const auto begin = Clock::now();
      const ProxyScores scores = compute_proxies(space.to_graph(arch), proxy);
      const double seconds = std::chrono::duration<double>(Clock::now() - begin).count();
      std::lock_guard lock(mutex);
      table.append(arch, scores);
      report.seconds.push_back(seconds);
      for (const auto& [name, value] : scores.values) report.non_finite += std::isfinite(value) ? 0 : 1;
      ++progress.computed;
      progress.seconds = since_start();
      if (options.on_progress) options.on_progress(progress);
    } catch (const std::exception& e) {
      std::lock_guard lock(mutex);
      if (!failed.exchange(true)) error = fmt::format("{}: {}", space.to_string(arch), e.what());
    }
  });
  report.computed = progress.computed;
  if (failed)
    fail("proxy table {}: {} ({} rows computed before the failure are in the file: run again to resume)",
         table.path().string(), error, report.computed);
  report.complete = report.reused + report.computed == report.requested;
  if (report.complete) table.rewrite(order);
  report.interrupted = !report.complete;
  report.wall_seconds = since_start();
  return report;
}

std::shared_ptr<const ProxyTable> shipped_proxy_table(const spaces::SearchSpace& space) {
  // The tables hold the networks of the spaces' default options (NB201 on CIFAR-10, FBNet on
  // CIFAR-100); another dataset changes the classifier, so its proxies are computed instead.
  if (space.description() != spaces::make_space(space.name())->description()) return nullptr;
  const auto path = core::data_dir() / "proxies" / (space.name() + ".csv");
  if (!std::filesystem::exists(path)) return nullptr;
  return std::make_shared<const ProxyTable>(read_proxy_csv(path, space));
}

}  // namespace hwnas::predictors
