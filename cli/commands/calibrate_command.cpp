#include <chrono>

#include <fmt/format.h>

#include "commands/commands.h"
#include "commands/space_arguments.h"
#include "hwnas/predictors/few_shot/arch_encoding.h"
#include "hwnas/predictors/few_shot/few_shot_predictor.h"
#include "hwnas/predictors/few_shot/measured_archs.h"
#include "hwnas/predictors/predictor_set.h"
#include "hwnas/predictors/predictor_sets.h"

namespace hwnas::cli {

void add_calibrate_command(CLI::App& app) {
  struct Args {
    SpaceArguments space;
    std::string measurements;
    std::string out;
    std::string local = predictors::kDefaultPredictorSet;
  };
  auto args = std::make_shared<Args>();
  auto* command = app.add_subcommand(
      "calibrate", "learn a new device from a few measured architectures of a space (few-shot, from the public tables)");
  args->space.add_to(*command, true);
  command->add_option("--measurements", args->measurements, "CSV `arch,latency_ms` measured on the new device (>= 5 rows)")
      ->required();
  command->add_option("--out", args->out, "device directory to write (use it as `hwnas predict --predictors DIR`)")
      ->required();
  command->add_option("--local-predictors", args->local, "kernel predictor set whose predictions join the encoding")
      ->capture_default_str();
  command->callback([args] {
    const auto start = std::chrono::steady_clock::now();
    const auto space = args->space.make();
    const auto table = predictors::load_device_latency_table(*space);
    const auto measured = predictors::read_measured_archs(args->measurements, *space);
    auto local = std::make_shared<const predictors::PredictorSet>(
        predictors::PredictorSet::load(predictors::predictor_set_path(args->local)));
    const predictors::ArchEncoder encoder(*space, local);
    fmt::print(stderr, "pre-training on {} devices x {} architectures of the public {} table...\n",
               table.devices.size(), table.archs.size(), space->name());
    const auto heads = predictors::pretrain_device_heads(table, encoder.encode(table.archs), encoder.size(), {});
    auto device = predictors::calibrate_few_shot(heads, encoder.encode(measured.archs), measured.latency_ms,
                                                 encoder.size());
    device.space = space->name();
    device.local_predictors = args->local;
    device.feature_names = encoder.feature_names();
    device.save(args->out);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    fmt::print("calibrated from {} measured architectures in {:.1f}s: closest known device {} (Spearman {:.3f} on the "
               "samples), fine-tuning ridge {:g}; wrote {}\n",
               device.samples, seconds, device.reference_device, device.reference_spearman, device.ridge, args->out);
  });
}

}  // namespace hwnas::cli
