#include "commands/space_arguments.h"

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

}  // namespace hwnas::cli
