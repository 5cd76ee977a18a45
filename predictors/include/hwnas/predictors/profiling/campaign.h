#pragma once
/// A profiling campaign: which kernels to measure on which platform, run resumably into the
/// measurement store. Described by a YAML file (configs/campaign_*.yaml):
///
///   campaign: kernels-libtorch-cpu-t1      # name; the store refuses the same name with another spec
///   platform: libtorch-cpu-t1
///   database: measurements/libtorch-cpu-t1.db   # relative paths: the YAML's directory
///   fusion_rules: fusion/torchscript-cpu-t1.yaml  # optional; default: the platform's defaults
///   seed: 1
///   chunk: 40                              # kernels measured (and committed) together
///   profile: {repeats: 10, rounds: 3, ...} # devices::ProfileOptions: warmup_runs, min_warmup_ms, repeats,
///                                          # rounds, preparations, min_sample_ms, max_rel_spread, max_remeasure
///   prior: {spaces: [nb201, fbnet], archs_per_space: 300}
///   random: {hw: [4, 224], cin: [8, 512], cout: [8, 512], kernels: [1, 3, 5, 7], strides: [1, 2]}
///                                          # also seq_len, fc_rows, pool_kernels (RandomSamplerOptions)
///   vae: {steps: 1500, batch_size: 64}     # optional VaeSamplerOptions for `vae:` quotas (trained on `prior`)
///   kernels:                               # per kernel type: how many from each sampler
///     - {type: conv, prior: 300, random: 200, vae: 100}   # vae: vae_sampler.h
///     - {type: relu, random: 100}
///   networks:                              # whole networks (the ground truth of model-level prediction)
///     spaces: {nb201: 100, fbnet: 100}     # random architectures per space (network_sample.h)
///     graphs: [../data/networks/zoo]       # directories of IR graph files, every one measured
///     profile: {repeats: 2, rounds: 7}     # their own profiler settings (networks run for milliseconds)
///   host_speed: {enabled: true, tolerance: 0.1, max_waits: 2, first_wait_s: 5, slow_phase_chunks: 3,
///                final_sweep: true, max_unstable_share: 0.5}  # host_speed.h
///
/// Kernels and networks are planned deterministically from the seed, those already in the store for
/// this platform fingerprint are skipped, and the rest are measured chunk by chunk (kernels first),
/// each chunk one transaction: a campaign killed at any point resumes where it stopped and measures
/// nothing twice.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "hwnas/devices/profiler.h"
#include "hwnas/predictors/kernels/fusion_rules.h"
#include "hwnas/predictors/profiling/host_speed.h"
#include "hwnas/predictors/profiling/network_sample.h"
#include "hwnas/predictors/sampling/samplers.h"
#include "hwnas/predictors/sampling/vae_sampler.h"

namespace hwnas::predictors {

struct KernelQuota {
  std::string type;        ///< a kernel type, or "*" for every type the prior spaces produce (prior only)
  std::size_t prior = 0;   ///< kernels of this type as they occur in the prior spaces (random ones make up a shortfall)
  std::size_t random = 0;  ///< kernels of this type over the random ranges
  /// Kernels of this type drawn from LitePred's VAE trained on the prior spaces' configs (conv, dwconv,
  /// maxpool, avgpool families), beyond those the prior and random samplers already planned; fewer when
  /// the VAE cannot produce that many distinct new ones.
  std::size_t vae = 0;
};

/// The whole networks of a campaign.
struct NetworkQuota {
  std::vector<std::pair<std::string, std::size_t>> spaces;  ///< space name → random architectures
  std::vector<std::filesystem::path> graph_dirs;            ///< every IR graph file in these
  devices::ProfileOptions profile;
  bool empty() const { return spaces.empty() && graph_dirs.empty(); }
};

struct CampaignSpec {
  std::string name;
  std::string platform;
  std::filesystem::path database;
  std::filesystem::path fusion_rules;  ///< empty: the platform's default rules
  std::uint64_t seed = 1;
  std::size_t chunk = 40;
  devices::ProfileOptions profile;
  PriorSamplerOptions prior;
  RandomSamplerOptions random;
  VaeSamplerOptions vae;  ///< the VAE of `vae:` quotas (its seed comes from the campaign's)
  std::vector<KernelQuota> kernels;
  NetworkQuota networks;
  HostSpeedOptions host_speed;  ///< the sentinel that watches the host's speed while measuring
  std::string source_text;  ///< the YAML as read: what the store records to recognise a resume
};

/// Reads a campaign file; throws hwnas::Error naming the file and line of an unknown key or bad value.
CampaignSpec load_campaign(const std::filesystem::path& path);
CampaignSpec parse_campaign(const std::string& text, const std::string& source, const std::filesystem::path& base_dir);

/// The fusion rules a campaign cuts kernels with.
FusionRules campaign_fusion_rules(const CampaignSpec& spec);

/// Every kernel the campaign measures, in a deterministic order (distinct keys).
std::vector<KernelSample> plan_campaign(const CampaignSpec& spec);
/// Every whole network the campaign measures, in a deterministic order (distinct keys).
std::vector<NetworkSample> plan_campaign_networks(const CampaignSpec& spec);

struct CampaignProgress {
  std::size_t planned = 0;           ///< kernels and networks in the plan
  std::size_t already_measured = 0;  ///< found in the store at start (a resume)
  std::size_t measured = 0;          ///< measured by this run so far
  std::size_t to_measure = 0;        ///< what this run set out to measure
  double seconds = 0;                ///< wall time of this run so far
};

struct CampaignReport {
  CampaignProgress progress;
  std::size_t unstable = 0;  ///< measurements whose spread stayed above the profiler's threshold
  bool interrupted = false;  ///< stopped by a signal between chunks (everything committed stays)
  double median_spread = 0;  ///< over the kernels measured by this run
  HostSpeedReport host_speed;
};

struct CampaignRunOptions {
  bool handle_signals = true;  ///< SIGINT/SIGTERM stop after the current chunk
  /// Set: a planned row stored before this time (seconds since the epoch) is measured again and replaced
  /// (its replaced_count grows), as when `hwnas profile --recheck` shows a campaign measured while the
  /// host was in another state. Rows measured since are kept, so the same command resumes after a kill.
  std::optional<std::int64_t> remeasure_before;
  std::function<void(const CampaignProgress&)> on_progress;  ///< after every chunk
};

CampaignReport run_campaign(const CampaignSpec& spec, const CampaignRunOptions& options = {});

}  // namespace hwnas::predictors
