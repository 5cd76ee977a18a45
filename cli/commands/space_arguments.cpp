#include "commands/space_arguments.h"

#include "hwnas/core/csv.h"
#include "hwnas/core/error.h"

namespace hwnas::cli {

void SpaceArguments::add_to(CLI::App& command, bool required) {
  auto* flag = command.add_option("--space", space, "search space (see `hwnas spaces`)");
  if (required) flag->required();
  command.add_option("--space-option", options, "space option as key=value, e.g. dataset=cifar100 (repeatable)");
}

std::unique_ptr<spaces::SearchSpace> SpaceArguments::make() const {
  spaces::SpaceOptions parsed;
  for (const auto& option : options) {
    const auto eq = option.find('=');
    if (eq == std::string::npos || eq == 0) fail("--space-option '{}' is not key=value", option);
    parsed[option.substr(0, eq)] = option.substr(eq + 1);
  }
  return spaces::make_space(space, parsed);
}

std::vector<spaces::Arch> read_arch_column(const std::string& file, const spaces::SearchSpace& space) {
  const core::CsvTable table = core::read_csv(file);
  const auto column = static_cast<std::size_t>(table.require_column("arch"));
  std::vector<spaces::Arch> archs;
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    try {
      archs.push_back(space.from_string(table.rows[r][column]));
    } catch (const Error& e) {
      fail("{}:{}: {}", file, table.lines[r], e.what());
    }
  }
  return archs;
}

}  // namespace hwnas::cli
