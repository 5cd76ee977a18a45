// `hwnas calibrate`: learn a new device or platform from a few measurements.
//   --space S --measurements T.csv --out DIR   few-shot, model level: a device you measured networks on
//   --platform P [--samples N | --budget 10m] [--networks N] --out DIR
//                                              kernel level (LitePred): a platform this host runs

#include <chrono>
#include <cmath>

#include <fmt/format.h>

#include "commands/commands.h"
#include "commands/space_arguments.h"
#include "hwnas/core/error.h"
#include "hwnas/core/progress.h"
#include "hwnas/devices/platform.h"
#include "hwnas/predictors/few_shot/arch_encoding.h"
#include "hwnas/predictors/few_shot/few_shot_predictor.h"
#include "hwnas/predictors/few_shot/measured_archs.h"
#include "hwnas/predictors/predictor_set.h"
#include "hwnas/predictors/predictor_sets.h"
#include "hwnas/predictors/transfer/platform_calibration.h"

namespace hwnas::cli {
namespace {

struct CalibrateArgs {
  // few-shot device
  SpaceArguments space;
  std::string measurements;
  std::string local = predictors::kDefaultPredictorSet;
  // kernel-level platform
  std::string platform;
  std::size_t samples = 100;
  std::string budget;
  std::size_t networks = 4;
  std::vector<std::string> pool;
  std::string database;
  std::uint64_t seed = 1;
  std::string out;
};

/// "10m", "90s", "1h" or plain seconds.
double parse_duration_seconds(const std::string& text) {
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    fail("--budget '{}' is not a duration (e.g. 90s, 10m, 1h)", text);
  }
  const std::string unit = text.substr(used);
  const double scale = unit.empty() || unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : -1;
  if (scale < 0 || !(value > 0)) fail("--budget '{}' is not a positive duration (e.g. 90s, 10m, 1h)", text);
  return value * scale;
}

void calibrate_device(const CalibrateArgs& args) {
  const auto start = std::chrono::steady_clock::now();
  const auto space = args.space.make();
  const auto table = predictors::load_device_latency_table(*space);
  const auto measured = predictors::read_measured_archs(args.measurements, *space);
  auto local = std::make_shared<const predictors::PredictorSet>(
      predictors::PredictorSet::load(predictors::predictor_set_path(args.local)));
  const predictors::ArchEncoder encoder(*space, local, predictors::default_encoding_options(*space));
  fmt::print(stderr, "pre-training on {} devices x {} architectures of the public {} table...\n", table.devices.size(),
             table.archs.size(), space->name());
  const auto heads = predictors::pretrain_device_heads(table, encoder.encode(table.archs), encoder.size(), {});
  auto device =
      predictors::calibrate_few_shot(heads, encoder.encode(measured.archs), measured.latency_ms, encoder.size());
  device.space = space->name();
  device.local_predictors = args.local;
  device.feature_names = encoder.feature_names();
  device.save(args.out);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fmt::print("calibrated from {} measured architectures in {:.1f}s: closest known device {} (Spearman {:.3f} on the "
             "samples), fine-tuning ridge {:g}; wrote {}\n",
             device.samples, seconds, device.reference_device, device.reference_spearman, device.ridge, args.out);
}

void calibrate_platform(const CalibrateArgs& args) {
  // Bad arguments fail here, before the pool is loaded or anything measured.
  devices::make_platform(args.platform);  // an unknown name lists the valid ones
  const double budget_seconds = args.budget.empty() ? 0 : parse_duration_seconds(args.budget);
  if (budget_seconds == 0 && args.samples < predictors::PlatformCalibrationOptions::kMinSamplesPerType)
    fail("--samples {}: at least {} samples per kernel type are needed", args.samples,
         predictors::PlatformCalibrationOptions::kMinSamplesPerType);
  predictors::KnowledgePool pool;
  const std::vector<std::string> pool_names = args.pool.empty() ? predictors::shipped_predictor_sets() : args.pool;
  for (const auto& name : pool_names) {
    auto set = predictors::PredictorSet::load(predictors::predictor_set_path(name));
    if (set.platform() != args.platform) pool.push_back(std::move(set));  // the platform is what we learn
  }
  if (pool.empty())
    fail("no predictor set to transfer from for '{}' (pool: {}); name some with --pool", args.platform,
         fmt::join(pool_names, ", "));

  predictors::PlatformCalibrationOptions options;
  options.platform = args.platform;
  options.database = args.database.empty() ? std::filesystem::path(args.out) / "measurements.db"
                                           : std::filesystem::path(args.database);
  std::filesystem::create_directories(options.database.parent_path().empty() ? "." : options.database.parent_path());
  options.samples_per_type = args.samples;
  options.budget_seconds = budget_seconds;
  options.seed = args.seed;
  for (auto& [space, count] : options.networks_per_space) count = args.networks;
  if (args.networks == 0) options.networks_per_space.clear();
  core::ProgressLine line(true);
  const auto started = std::chrono::steady_clock::now();
  options.on_progress = [&](const std::string& stage, std::size_t done, std::size_t total) {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const std::string text =
        stage == "measure"    ? fmt::format("measuring kernels {}/{} ({:.0f}s in)", done, total, seconds)
        : stage == "networks" ? fmt::format("measuring whole networks {}/{} ({:.0f}s in)", done, total, seconds)
                              : fmt::format("adaptive sampling: type {}/{} ({:.0f}s in)", done, total, seconds);
    line.update(text, done, total);
  };
  std::string pool_list;
  for (const auto& set : pool) pool_list += (pool_list.empty() ? "" : ", ") + set.platform();
  fmt::print(stderr, "calibrating {} from the pool [{}]: {} -> {}\n", args.platform, pool_list,
             options.budget_seconds > 0 ? fmt::format("profiling budget {:.0f}s", options.budget_seconds)
                                        : fmt::format("{} samples per kernel type", options.samples_per_type),
             options.database.string());

  predictors::PlatformCalibrationReport report;
  const predictors::PredictorSet set = predictors::calibrate_platform(pool, options, &report);
  line.finish();
  set.save(args.out);

  fmt::print("{}: {} kernels measured in {:.0f}s ({} of them adaptive neighbours; {} reused from the store; median "
             "spread {:.2f}%), {:.0f}s in all\n",
             args.platform, report.measured, report.profiling_seconds, report.adaptive, report.reused,
             100 * report.median_spread, report.seconds);
  fmt::print("{}\n", predictors::describe(report.host_speed, options.host_speed));
  fmt::print("source per kernel type (KL of predicted vs measured latencies, lowest wins):\n");
  for (const auto& t : report.adaptation.types) {
    std::string ranking;
    for (const auto& c : t.ranking) ranking += fmt::format(" {}:{}={:.4f}", c.platform, c.serving_type, c.kl);
    fmt::print("  {:<12} {:>4} samples, {:<9}{}\n", t.type, t.samples, predictors::adaptation_method_name(t.method),
               ranking);
  }
  if (!report.adaptation.inherited.empty())
    fmt::print("  unmeasured types taken unchanged from {}: {}\n", report.adaptation.inherited_from,
               fmt::join(report.adaptation.inherited, ", "));
  fmt::print("held-out kernels ({}% of the measurements):\n", std::lround(100 * options.held_out_fraction));
  for (const auto& score : report.held_out)
    fmt::print("  {:<10} {}\n", predictors::adaptation_method_name(score.method), score.accuracy.to_string());
  if (report.correction) {
    const predictors::LatencyCorrection& c = report.correction->correction;
    const std::string terms =
        report.correction->networks < predictors::CorrectionFitReport::kMinNetworksForAllTerms
            ? fmt::format("scale {:.3f}; too few networks for the other terms", c.scale)
            : predictors::to_string(c);
    fmt::print("whole networks: {} measured; correction fitted on {} ({}); the other {}:\n  corrected  {}\n  plain sum  "
               "{}\n",
               report.networks, report.correction->networks, terms, report.networks_held_out.count,
               report.networks_held_out.to_string(), report.networks_held_out_plain_sum.to_string());
    if (const std::string verdict = report.correction->type_scales_verdict(); !verdict.empty())
      fmt::print("  {}\n", verdict);
  }
  else if (!options.networks_per_space.empty())
    fmt::print("whole networks: {} measured, too few to fit a correction (networks are predicted as kernel sums)\n",
               report.networks);
  fmt::print("wrote {} (fine-tuned on every measurement){}{}\n", args.out,
             report.budget_exhausted ? "; measuring stopped when the budget was spent" : "",
             report.interrupted ? "; interrupted: run the same command again to measure the rest" : "");
}

}  // namespace

void add_calibrate_command(CLI::App& app) {
  auto args = std::make_shared<CalibrateArgs>();
  auto* command = app.add_subcommand(
      "calibrate",
      "learn a new device from a few measured architectures of a space (--space, few-shot), or a platform of this host "
      "from a few hundred measured kernels (--platform, fine-tuning the most similar known platform's predictors)");
  args->space.add_to(*command, false);
  auto* measurements = command->add_option("--measurements", args->measurements,
                                           "few-shot: CSV `arch,latency_ms` measured on the new device (>= 5 rows)");
  command->add_option("--local-predictors", args->local, "few-shot: kernel predictor set whose predictions join the encoding")
      ->capture_default_str();
  auto* platform = command->add_option("--platform", args->platform, "kernel level: the platform to learn (see `hwnas platforms`)");
  command->add_option("--samples", args->samples, "kernel level: measured kernels per kernel type")->capture_default_str();
  command->add_option("--budget", args->budget, "kernel level: profiling time budget instead (e.g. 90s, 10m)");
  command->add_option("--networks", args->networks,
                      "kernel level: whole networks measured per space (nb201, fbnet, mobilenet) to fit the per-model "
                      "correction on half and score the other half; 0: none")
      ->capture_default_str();
  command->add_option("--pool", args->pool, "kernel level: predictor sets to transfer from (default: every shipped set)");
  command->add_option("--db", args->database, "kernel level: measurement store (default: OUT/measurements.db; reruns resume)");
  command->add_option("--seed", args->seed, "kernel level: sampling and training seed")->capture_default_str();
  command->add_option("--out", args->out, "directory to write: a device (few-shot) or a predictor set (kernel level)")
      ->required();
  platform->excludes(measurements);
  command->callback([args] {
    if (!args->platform.empty()) return calibrate_platform(*args);
    if (args->space.space.empty() || args->measurements.empty())
      fail("calibrate: give --space and --measurements (a device, few-shot) or --platform (a platform of this host)");
    calibrate_device(*args);
  });
}

}  // namespace hwnas::cli
