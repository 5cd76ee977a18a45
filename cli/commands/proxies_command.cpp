// `hwnas proxies`: precomputes a table of zero-cost proxies (issue #7). The computing, appending and
// resuming live in the predictors library (proxy_table.h); this file parses flags and shows progress.

#include <algorithm>
#include <thread>
#include <unordered_set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "commands/commands.h"
#include "commands/space_arguments.h"
#include "hwnas/core/error.h"
#include "hwnas/core/progress.h"
#include "hwnas/core/reuse_freed_memory.h"
#include "hwnas/core/statistics.h"
#include "hwnas/predictors/proxies/proxy_table.h"

namespace hwnas::cli {
namespace {

std::string minutes(double seconds) {
  const auto s = static_cast<long long>(seconds);
  if (s >= 3600) return fmt::format("{}h{:02}m", s / 3600, s / 60 % 60);
  return fmt::format("{}m{:02}s", s / 60, s % 60);
}

/// `count` distinct architectures drawn with space.sample from `seed`.
std::vector<spaces::Arch> sample_distinct(const spaces::SearchSpace& space, std::size_t count, std::uint64_t seed) {
  if (static_cast<double>(count) > space.size())
    fail("--sample {}: space {} has only {:.0f} architectures", count, space.name(), space.size());
  spaces::Rng rng(seed);
  std::unordered_set<spaces::Arch, spaces::ArchHash> seen;
  std::vector<spaces::Arch> archs;
  // Generous, yet finite where normalization makes fewer distinct networks than genotypes.
  const std::size_t attempts = 1000 + 100 * count;
  for (std::size_t i = 0; i < attempts && archs.size() < count; ++i) {
    spaces::Arch arch = space.sample(rng);
    if (seen.insert(arch).second) archs.push_back(std::move(arch));
  }
  if (archs.size() < count)
    fail("--sample {}: only {} distinct architectures of {} found in {} draws", count, archs.size(), space.name(),
         attempts);
  return archs;
}

}  // namespace

void add_proxies_command(CLI::App& app) {
  struct Args {
    SpaceArguments space;
    bool all = false;
    std::string archs;
    std::size_t sample = 0;
    std::uint64_t seed = 0;
    std::string out;
    std::vector<std::string> proxies;
    std::int64_t batch = 64;
    std::uint64_t data_seed = 0;
    std::size_t jobs = std::max(1u, std::thread::hardware_concurrency());
  };
  auto args = std::make_shared<Args>();
  auto* command = app.add_subcommand(
      "proxies",
      "precompute the zero-cost proxies of many architectures into a CSV table (arch,<proxies>), in parallel; rows "
      "are appended as they complete, so after a kill or Ctrl-C the same command resumes");
  args->space.add_to(*command, /*required=*/true);
  command->add_flag("--all", args->all, "every architecture of the space (an enumerable one, e.g. nb201)");
  command->add_option("--archs", args->archs, "CSV with an `arch` column: these architectures, in this order");
  auto* sample = command->add_option("--sample", args->sample, "N distinct random architectures (space.sample)");
  command->add_option("--seed", args->seed, "with --sample: the sampling seed")->capture_default_str();
  command->add_option("--out", args->out,
                      "the table (CSV); if it exists, its rows are kept and only the missing ones computed")
      ->required();
  command->add_option("--proxies", args->proxies,
                      fmt::format("proxies to compute, comma separated (default: all): {}",
                                  fmt::join(predictors::proxy_names(), ",")))
      ->delimiter(',');
  command->add_option("--batch", args->batch, "batch of random inputs of the data pass")->capture_default_str();
  command->add_option("--data-seed", args->data_seed, "seed of the weights, inputs and labels (same for every arch)")
      ->capture_default_str();
  command->add_option("--jobs", args->jobs,
                      "architectures computed at once, each with LibTorch on one thread (default: hardware threads)")
      ->capture_default_str();
  command->callback([args, sample] {
    const int sources = (args->all ? 1 : 0) + (args->archs.empty() ? 0 : 1) + (sample->count() > 0 ? 1 : 0);
    if (sources != 1) fail("proxies needs exactly one of --all, --archs FILE.csv, --sample N");
    if (sample->count() > 0 && args->sample == 0) fail("--sample 0: give at least one architecture");
    if (args->jobs == 0) fail("--jobs 0: give at least 1");
    if (args->batch < 1) fail("--batch {}: give at least 1", args->batch);
    const std::vector<std::string> proxies = predictors::canonical_proxy_names(args->proxies);
    const auto space = args->space.make();

    std::vector<spaces::Arch> archs;
    if (args->all) {
      if (!space->is_enumerable())
        fail("--all: space {} has {:.3g} architectures, too many to enumerate; use --sample N or --archs FILE.csv",
             space->name(), space->size());
      archs = space->enumerate();
    } else if (!args->archs.empty()) {
      archs = read_arch_column(args->archs, *space);
    } else {
      archs = sample_distinct(*space, args->sample, args->seed);
    }

    predictors::ProxyTableAppender table(args->out, *space, proxies);
    if (table.dropped_truncated_line())
      fmt::print(stderr, "proxies: dropped the last line of {}, cut short by a kill; that row is computed again\n",
                 args->out);
    if (table.size() > 0)
      fmt::print(stderr, "proxies: {} has {} rows already; computing only the missing ones\n", args->out, table.size());

    core::reuse_freed_memory();
    predictors::ProxyTableOptions options;
    options.proxy.batch_size = args->batch;
    options.proxy.seed = args->data_seed;
    options.jobs = args->jobs;
    core::ProgressLine line(true);
    options.on_progress = [&](const predictors::ProxyTableProgress& p) {
      if (!line.due(p.computed, p.to_compute)) return;
      const double left = p.seconds / static_cast<double>(p.computed) * static_cast<double>(p.to_compute - p.computed);
      const std::string text = fmt::format("proxies: {}/{} computed ({} reused), {}, ETA {}", p.computed, p.to_compute,
                                           p.reused, minutes(p.seconds), minutes(left));
      line.update(text, p.computed, p.to_compute);
    };
    const predictors::ProxyTableReport report = predictors::compute_proxy_table(table, archs, options);
    line.finish();

    const std::string per_arch =
        report.computed == 0
            ? std::string("nothing to compute")
            : fmt::format("{:.3f} s per architecture (median, one thread each, {} jobs)", core::median(report.seconds),
                          std::min(args->jobs, report.computed));
    fmt::print("proxies of {} ({}): {} rows computed, {} reused{}, {}, wall {:.1f}s; {} non-finite values\n",
               space->name(), fmt::join(proxies, ","), report.computed, report.reused,
               report.other_rows > 0 ? fmt::format(", {} other rows kept", report.other_rows) : "", per_arch,
               report.wall_seconds, report.non_finite);
    if (report.complete) {
      fmt::print("wrote {} ({} rows, the requested {} in order)\n", args->out, report.requested + report.other_rows,
                 report.requested);
    } else {
      fmt::print("interrupted: {} holds {} of the {} requested rows; run the same command again to resume\n",
                 args->out, report.reused + report.computed, report.requested);
      search_exit_code = 130;
    }
  });
}

}  // namespace hwnas::cli
