#pragma once
// Shared flags of the verbs that take one network: a space architecture or a TorchScript file.

#include <string>

#include <CLI/CLI.hpp>

#include "commands/space_arguments.h"
#include "hwnas/core/graph.h"

namespace hwnas::cli {

struct ModelArguments {
  SpaceArguments space;
  std::string arch;
  std::string model;  ///< TorchScript file
  std::string input;  ///< its input shape, e.g. 1,3,224,224

  void add_to(CLI::App& command);
  /// The network as an IR graph, with a short label for messages; throws hwnas::Error on bad input.
  core::Graph graph(std::string* label) const;
};

}  // namespace hwnas::cli
