#pragma once
// Shared flags of the verbs that take an architecture: --space, --space-option key=value, --arch.

#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "hwnas/spaces/search_space.h"

namespace hwnas::cli {

struct SpaceArguments {
  std::string space;
  std::vector<std::string> options;  ///< "key=value"

  void add_to(CLI::App& command, bool required);
  /// Creates the space, turning "key=value" options into SpaceOptions; throws hwnas::Error on bad ones.
  std::unique_ptr<spaces::SearchSpace> make() const;
};

/// The architectures of the `arch` column of a CSV file, in file order; throws hwnas::Error naming the
/// file and line of one `space` does not know.
std::vector<spaces::Arch> read_arch_column(const std::string& file, const spaces::SearchSpace& space);

}  // namespace hwnas::cli
