#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "commands/commands.h"
#include "hwnas/core/error.h"
#include "hwnas/core/progress.h"
#include "hwnas/core/text.h"
#include "hwnas/devices/platform.h"
#include "hwnas/devices/repeatability.h"
#include "hwnas/predictors/profiling/campaign.h"
#include "hwnas/predictors/profiling/fusion_detection.h"
#include "hwnas/predictors/profiling/store_recheck.h"
#include "hwnas/predictors/profiling/store_repeatability.h"

namespace hwnas::cli {
namespace {

std::string eta_text(double seconds_done, std::size_t done, std::size_t total) {
  if (done == 0) return "ETA --";
  const double left = seconds_done / static_cast<double>(done) * static_cast<double>(total - done);
  return fmt::format("ETA {}m{:02}s", static_cast<int>(left) / 60, static_cast<int>(left) % 60);
}

std::int64_t parse_utc_time(const std::string& text) {
  if (const auto seconds = core::detail::parse_utc_time(text)) return *seconds;
  fail("--remeasure-before '{}': give a UTC time as 2026-11-23T07:00[:30], or @SECONDS since the epoch", text);
}

void run_campaign_file(const std::string& file, std::optional<std::int64_t> remeasure_before) {
  const auto spec = predictors::load_campaign(file);
  fmt::print(stderr, "campaign '{}' on {} -> {}\n", spec.name, spec.platform, spec.database.string());
  core::ProgressLine line(true);
  predictors::CampaignRunOptions options;
  options.remeasure_before = remeasure_before;
  options.on_progress = [&](const predictors::CampaignProgress& p) {
    const std::string text = fmt::format("measured {}/{} kernels and networks ({} already in the store) {:.0f}s, {}", p.measured,
                                         p.to_measure, p.already_measured, p.seconds,
                                         eta_text(p.seconds, p.measured, p.to_measure));
    line.update(text, p.measured, p.to_measure);
  };
  const auto report = predictors::run_campaign(spec, options);
  line.finish();
  fmt::print("campaign '{}': {} measurements planned, {} were already measured, {} measured now in {:.1f}s "
             "(median spread {:.2f}%, {} above the profiler's threshold){}\n",
             spec.name, report.progress.planned, report.progress.already_measured, report.progress.measured,
             report.progress.seconds, 100 * report.median_spread, report.unstable,
             report.interrupted ? "; interrupted: run the same command again to resume" : "");
  fmt::print("{}\n", predictors::describe(report.host_speed, spec.host_speed));
}

void run_repeatability(const std::string& platform_name, const devices::ProfileOptions& profile, bool watch_host,
                       const predictors::HostSpeedOptions& host_speed) {
  auto platform = devices::make_platform(platform_name);
  const auto graphs = devices::reference_kernels();
  fmt::print(stderr, "measuring {} reference kernels twice on {}{}...\n", graphs.size(), platform_name,
             watch_host ? ", each pass with the host-speed sentinels as a campaign stores it" : "");
  constexpr double kMinMs = 0.05;  // the target applies to kernels of at least 50 us
  std::optional<predictors::HostSpeedReport> host_speed_report;
  devices::RepeatabilityReport report;
  if (watch_host) {
    auto watched = predictors::check_store_repeatability(*platform, graphs, profile, host_speed, kMinMs);
    report = std::move(watched.agreement);
    host_speed_report = watched.host_speed;
  } else {
    report = devices::check_repeatability(*platform, graphs, profile, kMinMs);
  }
  std::size_t small = 0, small_within_5 = 0, small_within_10 = 0;
  for (std::size_t i = 0; i < graphs.size(); ++i) {
    if (std::min(report.first_ms[i], report.second_ms[i]) >= kMinMs) continue;
    ++small;
    small_within_5 += report.rel_diff[i] <= 0.05;
    small_within_10 += report.rel_diff[i] <= 0.10;
  }
  fmt::print("repeatability on {} ({} reference kernels, two independent interleaved passes{}):\n", platform_name,
             graphs.size(), watch_host ? " watched by the host-speed sentinels" : "");
  fmt::print("  kernels >= 50 us: {:5.1f}% agree within 5%, {:5.1f}% within 10% ({} kernels; median difference {:.2f}%)\n",
             100 * report.within_5pct, 100 * report.within_10pct, report.counted, 100 * report.median_rel_diff);
  if (small > 0)
    fmt::print("  kernels <  50 us: {:5.1f}% agree within 5%, {:5.1f}% within 10% ({} kernels)\n",
               100.0 * static_cast<double>(small_within_5) / static_cast<double>(small),
               100.0 * static_cast<double>(small_within_10) / static_cast<double>(small), small);
  if (report.counted > 0)
    fmt::print("  host drift: the second pass ran {:.2f}% {} (median over kernels >= 50 us); with that shared drift "
               "divided out, {:.1f}% agree within 5%\n",
               100 * std::abs(report.host_drift), report.host_drift >= 0 ? "slower" : "faster",
               100 * report.within_5pct_drift_removed);
  // Which kernels disagree, and whether their own spread warned of it: a disagreement the spreads did
  // not see is the host changing between the passes, not a noisy measurement.
  for (std::size_t i = 0; i < graphs.size(); ++i)
    if (std::min(report.first_ms[i], report.second_ms[i]) >= kMinMs && report.rel_diff[i] > 0.05)
      fmt::print("  differ by {:.1f}%: {} {:.4f} ms (spread {:.1f}%) vs {:.4f} ms (spread {:.1f}%)\n",
                 100 * report.rel_diff[i], graphs[i].name(), report.first_ms[i], 100 * report.first_spread[i],
                 report.second_ms[i], 100 * report.second_spread[i]);
  if (host_speed_report) fmt::print("  {}\n", predictors::describe(*host_speed_report, host_speed));
  fmt::print("  cost: {:.2f} s per kernel per pass{}\n", report.seconds_per_graph,
             watch_host ? " (with the sentinels, waits and re-measurements)" : "");
}

void run_fusion_detection(const std::string& platform_name, const std::string& out,
                          const devices::ProfileOptions& profile) {
  auto platform = devices::make_platform(platform_name);
  predictors::FusionDetectionOptions options;
  options.profile = profile;
  core::ProgressLine line(true);
  const auto report = predictors::detect_fusion_rules(*platform, options, [&](std::size_t done, std::size_t total) {
    line.update(fmt::format("fusion tests {}/{}", done, total), done, total);
  });
  line.finish();
  fmt::print("fusion tests on {} (fused iff T1 + T2 - T12 > {} * min(T1, T2) and above noise, majority of {}):\n",
             platform_name, options.alpha, options.votes);
  for (const auto& t : report.tests)
    fmt::print("  {:<18} T1 {:8.4f}  T2 {:8.4f}  T12 {:8.4f} ms  noise {:7.4f}  {} ({}/{} votes)\n",
               fmt::format("{}-{}", fmt::join(t.first, "-"), t.second), t.t_first_ms, t.t_second_ms, t.t_block_ms,
               t.noise_ms, t.fused ? "FUSED" : "separate", t.fused_votes, options.votes);
  predictors::save_fusion_rules(report.rules, out);
  fmt::print("wrote {} rule(s) to {}\n", report.rules.patterns.size(), out);
}

void run_recheck(const std::string& platform_name, const std::string& db, const predictors::StoreRecheckOptions& options) {
  if (!std::filesystem::exists(db)) fail("--recheck {}: no such measurement store", db);
  auto platform = devices::make_platform(platform_name);
  const auto store = devices::MeasurementStore::open(db, false);
  core::ProgressLine line(true);
  fmt::print(stderr, "re-measuring up to {} kernels of each campaign of {} on {}...\n", options.samples_per_campaign, db,
             platform_name);
  const auto report = predictors::recheck_store(*platform, store, options, [&](std::size_t done, std::size_t total) {
    line.update(fmt::format("rechecking: block {}/{}", done, total), done, total);
  });
  line.finish();
  fmt::print("recheck of {} on {} ({} kernels re-measured in {:.0f}s; kernels >= {:.0f} us counted):\n", db,
             platform_name, report.kernels.size(), report.seconds, 1000 * options.min_latency_ms);
  fmt::print("  {:<40} {:>5} {:>12} {:>8} {:>8}\n", "campaign", "n", "now/stored", "±5%", "±10%");
  auto row = [](const std::string& name, const predictors::RecheckAgreement& a) {
    fmt::print("  {:<40} {:>5} {:>12.3f} {:>7.1f}% {:>7.1f}%\n", name, a.counted, a.median_ratio, 100 * a.within_5,
               100 * a.within_10);
  };
  for (const auto& [campaign, agreement] : report.by_campaign) row(campaign.empty() ? "(ad hoc)" : campaign, agreement);
  row("all", report.all);
  fmt::print("  a median now/stored away from 1 is the host running faster or slower than when that campaign was "
             "measured; run --repeatability to see how the host varies within minutes\n");
}

}  // namespace

void add_profile_command(CLI::App& app) {
  struct Args {
    std::string campaign;
    std::string platform = "libtorch-cpu-t1";
    bool repeatability = false;
    bool watch_host = false;
    predictors::HostSpeedOptions host_speed;
    bool detect_fusion = false;
    std::string recheck;
    std::string remeasure_before;
    std::string out;
    std::string space;
    std::vector<std::string> kernels;
    std::size_t samples = 200;
    std::string db = "measurements.db";
    std::uint64_t seed = 1;
    devices::ProfileOptions profile;
  };
  auto args = std::make_shared<Args>();
  auto* command = app.add_subcommand(
      "profile",
      "measure kernels on this host: a campaign file, an ad-hoc sample (--space/--kernels), the profiler's "
      "repeatability (--repeatability), a store against the host as it is now (--recheck), or the platform's fusion "
      "rules (--detect-fusion)");
  command->add_option("campaign", args->campaign, "campaign YAML (see configs/campaign_*.yaml)");
  command->add_option("--platform", args->platform, "platform (see `hwnas platforms`)")->capture_default_str();
  command->add_flag("--repeatability", args->repeatability,
                    "measure 40 reference kernels twice and report how often the passes agree");
  command->add_flag("--watch-host", args->watch_host,
                    "with --repeatability: measure each pass the way a campaign stores kernels, with the host-speed "
                    "sentinels (a pass measured while the host ran slow is measured again)");
  auto* host_tolerance =
      command->add_option("--host-tolerance", args->host_speed.tolerance,
                          "with --watch-host: a pass whose sentinels ran more than this much slower (their median) "
                          "than the fastest seen is measured again")
          ->capture_default_str();
  command->add_flag("--detect-fusion", args->detect_fusion, "detect the platform's fusion rules (nn-Meter's test)");
  command->add_option("--remeasure-before", args->remeasure_before,
                      "with a campaign: measure again every planned row stored before this UTC time (e.g. "
                      "2026-11-23T07:00), replacing it; rows measured since are kept, so the same command resumes");
  command->add_option("--recheck", args->recheck,
                      "re-measure a sample of each campaign's kernels in this store now and compare with the stored "
                      "latencies (--samples per campaign, default 20)");
  command->add_option("--out", args->out, "rules file written by --detect-fusion (default: fusion_<platform>.yaml)");
  command->add_option("--space", args->space, "ad hoc: measure kernels as they occur in this space");
  command->add_option("--kernels", args->kernels, "ad hoc: measure random kernels of these types (e.g. conv-bn-relu)");
  auto* samples =
      command->add_option("--samples", args->samples, "ad hoc: kernels per space or type")->capture_default_str();
  command->add_option("--db", args->db, "ad hoc: measurement database")->capture_default_str();
  command->add_option("--seed", args->seed, "ad hoc: sampling seed")->capture_default_str();
  auto* repeats =
      command->add_option("--repeats", args->profile.repeats, "timed samples per round")->capture_default_str();
  auto* rounds = command->add_option("--rounds", args->profile.rounds, "interleaved rounds")->capture_default_str();
  auto* preparations =
      command->add_option("--preparations", args->profile.preparations,
                          "separate preparations of each kernel (memory placements), taking turns across rounds")
          ->capture_default_str();
  command->callback([args, samples, repeats, rounds, preparations, host_tolerance] {
    if (!args->remeasure_before.empty() && args->campaign.empty())
      fail("--remeasure-before needs a campaign file (it measures that campaign's rows again)");
    if (!args->campaign.empty())
      return run_campaign_file(args->campaign, args->remeasure_before.empty()
                                                   ? std::nullopt
                                                   : std::optional(parse_utc_time(args->remeasure_before)));
    if (args->watch_host && !args->repeatability) fail("--watch-host goes with --repeatability");
    if (host_tolerance->count() > 0 && !args->watch_host) fail("--host-tolerance goes with --watch-host");
    if (args->repeatability) {
      predictors::validate(args->host_speed);
      return run_repeatability(args->platform, args->profile, args->watch_host, args->host_speed);
    }
    if (!args->recheck.empty()) {
      // The campaigns' settings unless told otherwise: a recheck re-measures the way the rows were measured.
      predictors::StoreRecheckOptions options;
      if (samples->count() > 0) options.samples_per_campaign = args->samples;
      options.seed = args->seed;
      if (repeats->count() > 0) options.profile.repeats = args->profile.repeats;
      if (rounds->count() > 0) options.profile.rounds = args->profile.rounds;
      if (preparations->count() > 0) options.profile.preparations = args->profile.preparations;
      return run_recheck(args->platform, args->recheck, options);
    }
    if (args->detect_fusion)
      return run_fusion_detection(args->platform, args->out.empty() ? "fusion_" + args->platform + ".yaml" : args->out,
                                  args->profile);
    if (args->space.empty() && args->kernels.empty())
      fail("profile needs a campaign file, --repeatability, --recheck, --detect-fusion, or --space/--kernels (see --help)");
    // An ad-hoc campaign: same machinery, so it is resumable and lands in the same store.
    predictors::CampaignSpec spec;
    spec.platform = args->platform;
    spec.database = args->db;
    spec.seed = args->seed;
    spec.profile = args->profile;
    if (!args->space.empty()) {
      spec.prior.spaces = {args->space};
      spec.kernels.push_back({"*", args->samples, 0});
    }
    for (const auto& type : args->kernels) spec.kernels.push_back({type, 0, args->samples});
    spec.name = fmt::format("adhoc-{}-{}-{}-n{}-s{}", spec.platform, args->space, fmt::join(args->kernels, "+"),
                            args->samples, args->seed);
    spec.source_text = spec.name;
    const auto report = predictors::run_campaign(spec);
    fmt::print("{}: {} kernels, {} measured now into {} ({} already there)\n", spec.name, report.progress.planned,
               report.progress.measured, args->db, report.progress.already_measured);
    fmt::print("{}\n", predictors::describe(report.host_speed, spec.host_speed));
  });
}

}  // namespace hwnas::cli
