#include "hwnas/predictors/few_shot/measured_archs.h"

#include <cmath>
#include <map>

#include <fmt/format.h>

#include "hwnas/core/csv.h"
#include "hwnas/core/error.h"
#include "hwnas/core/text.h"

namespace hwnas::predictors {

MeasuredArchs read_measured_archs(const std::filesystem::path& file, const spaces::SearchSpace& space,
                                  std::size_t min_rows) {
  const core::CsvTable csv = core::read_csv(file);
  const auto arch_col = static_cast<std::size_t>(csv.require_column("arch"));
  const auto ms_col = static_cast<std::size_t>(csv.require_column("latency_ms"));
  MeasuredArchs out;
  std::map<std::string, int> first_line;  // canonical arch -> line
  for (std::size_t r = 0; r < csv.rows.size(); ++r) {
    const std::string at = fmt::format("{}:{}", file.string(), csv.lines[r]);
    spaces::Arch arch;
    try {
      arch = space.normalize(space.from_string(csv.rows[r][arch_col]));
    } catch (const Error& e) {
      fail("{}: architecture '{}' is not one of {}: {}", at, csv.rows[r][arch_col], space.name(), e.what());
    }
    const auto ms = core::detail::parse_double(csv.rows[r][ms_col]);
    if (!ms || !std::isfinite(*ms) || *ms <= 0)
      fail("{}: latency_ms '{}' is not a positive number of milliseconds", at, csv.rows[r][ms_col]);
    const auto [it, fresh] = first_line.emplace(space.to_string(arch), csv.lines[r]);
    if (!fresh) fail("{}: architecture {} is already measured on line {}", at, it->first, it->second);
    out.archs.push_back(std::move(arch));
    out.latency_ms.push_back(*ms);
  }
  if (out.archs.size() < min_rows)
    fail("{}: {} measured architectures; calibration needs at least {}", file.string(), out.archs.size(), min_rows);
  return out;
}

}  // namespace hwnas::predictors
