#include "hwnas/predictors/few_shot/device_latency_table.h"

#include <fmt/format.h>

#include "hwnas/core/csv.h"
#include "hwnas/core/data_dir.h"
#include "hwnas/core/error.h"
#include "hwnas/core/text.h"

namespace hwnas::predictors {

std::size_t DeviceLatencyTable::device_index(const std::string& device) const {
  for (std::size_t d = 0; d < devices.size(); ++d)
    if (devices[d] == device) return d;
  std::string known;
  for (const auto& name : devices) known += (known.empty() ? "" : ", ") + name;
  fail("no device '{}' in the {} latency table (devices: {})", device, space, known);
}

DeviceLatencyTable load_device_latency_table(const spaces::SearchSpace& space) {
  std::string file, arch_column;
  if (space.name() == "nb201") {
    file = "nb201_latency.csv";
    arch_column = "arch_str";
  } else if (space.name() == "fbnet") {
    file = "fbnet_latency.csv";
    arch_column = "arch_ops";
  } else {
    fail("no public latency table for space '{}' (spaces with one: fbnet, nb201)", space.name());
  }
  const core::CsvTable csv = core::read_csv(core::data_dir() / "tables" / file);
  DeviceLatencyTable table;
  table.space = space.name();
  const auto arch = static_cast<std::size_t>(csv.require_column(arch_column));
  std::vector<std::size_t> columns;
  for (std::size_t c = 0; c < csv.header.size(); ++c) {
    const std::string& h = csv.header[c];
    if (h.size() > 3 && h.ends_with("_ms")) {
      columns.push_back(c);
      table.devices.push_back(h.substr(0, h.size() - 3));
    }
  }
  table.latency.resize(columns.size());
  for (std::size_t r = 0; r < csv.rows.size(); ++r) {
    const std::string where = fmt::format("{}:{}", csv.path.string(), csv.lines[r]);
    try {
      table.archs.push_back(space.from_string(csv.rows[r][arch]));
    } catch (const Error& e) {
      fail("{}: {}", where, e.what());
    }
    for (std::size_t d = 0; d < columns.size(); ++d) {
      const auto ms = core::detail::parse_double(csv.rows[r][columns[d]]);
      if (!ms || !(*ms > 0))
        fail("{}: {} is '{}', not a positive latency", where, csv.header[columns[d]], csv.rows[r][columns[d]]);
      table.latency[d].push_back(*ms);
    }
  }
  return table;
}

std::vector<std::string> validation_devices(const std::string& space) {
  if (space == "fbnet") return {"titanx_1", "titanx_32", "titanx_64", "gold_6240"};
  return {"titanx_1", "titanx_32", "titanx_256", "gold_6240"};
}

}  // namespace hwnas::predictors
