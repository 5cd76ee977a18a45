#include "hwnas/predictors/proxies/proxy_table.h"

#include <algorithm>
#include <fstream>
#include <unordered_map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "hwnas/core/csv.h"
#include "hwnas/core/error.h"
#include "hwnas/core/text.h"

namespace hwnas::predictors {

void write_proxy_csv(const std::filesystem::path& path, const spaces::SearchSpace& space,
                     const std::vector<spaces::Arch>& archs, const std::vector<ProxyScores>& scores) {
  HWNAS_CHECK(archs.size() == scores.size(), "proxy table {}: {} architectures but {} score rows", path.string(),
              archs.size(), scores.size());
  const std::vector<std::string> names = scores.empty() ? proxy_names() : scores.front().names();
  std::string text = core::csv_line([&] {
    std::vector<std::string> header{"arch"};
    header.insert(header.end(), names.begin(), names.end());
    return header;
  }());
  for (std::size_t i = 0; i < archs.size(); ++i) {
    HWNAS_CHECK(scores[i].names() == names, "proxy table {}: row {} has proxies {}, the first row {}", path.string(),
                i, fmt::join(scores[i].names(), ","), fmt::join(names, ","));
    std::vector<std::string> fields{space.to_string(archs[i])};
    // fmt's shortest round-trip form: the table reads back bit-identical (nan/inf spelled so).
    for (const auto& [name, value] : scores[i].values) fields.push_back(fmt::format("{}", value));
    text += core::csv_line(fields);
  }
  std::ofstream file(path, std::ios::binary);
  HWNAS_CHECK(file.good(), "proxy table {}: cannot open for writing", path.string());
  file << text;
  file.close();
  HWNAS_CHECK(file.good(), "proxy table {}: write failed", path.string());
}

ProxyTable read_proxy_csv(const std::filesystem::path& path, const spaces::SearchSpace& space) {
  const core::CsvTable csv = core::read_csv(path);
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
  std::sort(columns.begin(), columns.end(), [](const auto& a, const auto& b) { return a.second < b.second; });

  ProxyTable table;
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
  return table;
}

}  // namespace hwnas::predictors
