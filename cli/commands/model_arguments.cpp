#include "commands/model_arguments.h"

#include "hwnas/core/error.h"
#include "hwnas/frontends/torchscript_import.h"

namespace hwnas::cli {

void ModelArguments::add_to(CLI::App& command) {
  space.add_to(command, false);
  auto* arch_flag = command.add_option("--arch", arch, "architecture in the space's string form");
  auto* model_flag = command.add_option("--model", model, "a TorchScript file (scripted or traced)");
  command.add_option("--input", input, "input shape of --model, e.g. 1,3,224,224");
  arch_flag->excludes(model_flag);
}

core::Graph ModelArguments::graph(std::string* label) const {
  if (!model.empty()) {
    if (input.empty()) fail("--model needs --input, the model's input shape (e.g. 1,3,224,224)");
    if (label) *label = model;
    return frontends::import_torchscript(model, core::parse_shape(input));
  }
  if (space.space.empty() || arch.empty()) fail("give --space S --arch A, or --model FILE.pt --input SHAPE");
  const auto s = space.make();
  const auto a = s->from_string(arch);
  if (label) *label = space.space + " " + s->to_string(a);
  return s->to_graph(a);
}

}  // namespace hwnas::cli
