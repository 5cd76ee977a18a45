#include <limits>

#include <fmt/format.h>

#include "hwnas/core/yaml_reader.h"
#include "hwnas/predictors/profiling/campaign.h"

namespace hwnas::predictors {
namespace {

using core::YamlReader;

IntRange read_range(const YamlReader& r, const YAML::Node& node, const std::string& what) {
  r.expect(node, YAML::NodeType::Sequence, what, "a list [min, max]");
  if (node.size() != 2) fail("{}'{}' must be [min, max]", r.at(node), what);
  IntRange range{r.integer(node[0], what, 1), r.integer(node[1], what, 1)};
  if (range.max < range.min) fail("{}'{}' has max {} below min {}", r.at(node), what, range.max, range.min);
  return range;
}

std::vector<std::int64_t> read_ints(const YamlReader& r, const YAML::Node& node, const std::string& what) {
  r.expect(node, YAML::NodeType::Sequence, what, "a list of integers");
  std::vector<std::int64_t> values;
  for (const auto& v : node) values.push_back(r.integer(v, what, 1));
  if (values.empty()) fail("{}'{}' is empty", r.at(node), what);
  return values;
}

std::vector<std::string> read_strings(const YamlReader& r, const YAML::Node& node, const std::string& what) {
  r.expect(node, YAML::NodeType::Sequence, what, "a list");
  std::vector<std::string> values;
  for (const auto& v : node) values.push_back(r.nonempty(v, what));
  return values;
}

/// The profiler settings of `node`, over `p` for the keys it leaves out.
devices::ProfileOptions read_profile(const YamlReader& r, const YAML::Node& node, devices::ProfileOptions p = {}) {
  r.each_key(node, "profile",
             {"warmup_runs", "min_warmup_ms", "repeats", "rounds", "preparations", "min_sample_ms", "max_rel_spread",
              "max_remeasure"},
             [&](const std::string& key, const YAML::Node&, const YAML::Node& v) {
               const std::string what = "profile." + key;
               if (key == "warmup_runs") p.warmup_runs = static_cast<int>(r.integer(v, what, 0));
               else if (key == "min_warmup_ms") p.min_warmup_ms = r.number(v, what, 0);
               else if (key == "repeats") p.repeats = static_cast<int>(r.integer(v, what, 1));
               else if (key == "rounds") p.rounds = static_cast<int>(r.integer(v, what, 1));
               else if (key == "preparations") p.preparations = static_cast<int>(r.integer(v, what, 1));
               else if (key == "min_sample_ms") p.min_sample_ms = r.number(v, what, 0);
               else if (key == "max_rel_spread") p.max_rel_spread = r.number(v, what, 0);
               else if (key == "max_remeasure") p.max_remeasure = static_cast<int>(r.integer(v, what, 0));
             });
  return p;
}

HostSpeedOptions read_host_speed(const YamlReader& r, const YAML::Node& node) {
  HostSpeedOptions o;
  r.each_key(node, "host_speed",
             {"enabled", "tolerance", "max_waits", "first_wait_s", "slow_phase_chunks", "final_sweep",
              "max_unstable_share"},
             [&](const std::string& key, const YAML::Node&, const YAML::Node& v) {
               const std::string what = "host_speed." + key;
               if (key == "enabled") o.enabled = r.boolean(v, what);
               else if (key == "tolerance") o.tolerance = r.number(v, what, 0.001);
               else if (key == "max_waits") o.max_waits = static_cast<int>(r.integer(v, what, 0));
               else if (key == "first_wait_s") o.first_wait_seconds = r.number(v, what, 0);
               else if (key == "slow_phase_chunks") o.slow_phase_chunks = static_cast<int>(r.integer(v, what, 1));
               else if (key == "final_sweep") o.final_sweep = r.boolean(v, what);
               else if (key == "max_unstable_share") {
                 o.max_unstable_share = r.number(v, what, 0.001);
                 if (o.max_unstable_share > 1)
                   fail("{}'{}' is {}, expected a share <= 1", r.at(v), what, o.max_unstable_share);
               }
             });
  return o;
}

template <typename ResolvePath>
NetworkQuota read_networks(const YamlReader& r, const YAML::Node& node, const ResolvePath& path) {
  NetworkQuota networks;
  // Whole networks run for milliseconds: one run per sample is already long against the clock, and
  // a few more rounds than a kernel's keep the median robust at a fraction of the kernels' repeats.
  networks.profile.repeats = 2;
  networks.profile.rounds = 7;
  networks.profile.warmup_runs = 2;
  r.each_key(node, "networks", {"spaces", "graphs", "profile"},
             [&](const std::string& key, const YAML::Node&, const YAML::Node& v) {
               if (key == "spaces") {
                 r.expect(v, YAML::NodeType::Map, "networks.spaces", "a map {space: count}");
                 for (const auto& entry : v)
                   networks.spaces.emplace_back(entry.first.as<std::string>(),
                                                static_cast<std::size_t>(r.integer(entry.second, "networks.spaces", 1)));
               } else if (key == "graphs") {
                 r.expect(v, YAML::NodeType::Sequence, "networks.graphs", "a list of directories");
                 for (const auto& dir : v) networks.graph_dirs.push_back(path(dir, "networks.graphs"));
               } else {
                 networks.profile = read_profile(r, v, networks.profile);
               }
             });
  return networks;
}

}  // namespace

CampaignSpec parse_campaign(const std::string& text, const std::string& source, const std::filesystem::path& base_dir) {
  const YAML::Node root = core::parse_yaml(text, source);
  const YamlReader r(source);
  CampaignSpec spec;
  spec.source_text = text;
  auto path = [&](const YAML::Node& v, const std::string& what) {
    const std::filesystem::path p = r.nonempty(v, what);
    return p.is_absolute() ? p : base_dir / p;
  };
  r.each_key(root, "",
             {"campaign", "platform", "database", "fusion_rules", "seed", "chunk", "profile", "prior", "random", "vae",
              "kernels", "networks", "host_speed"},
             [&](const std::string& key, const YAML::Node&, const YAML::Node& v) {
               if (key == "campaign") spec.name = r.nonempty(v, key);
               else if (key == "platform") spec.platform = r.nonempty(v, key);
               else if (key == "database") spec.database = path(v, key);
               else if (key == "fusion_rules") spec.fusion_rules = path(v, key);
               else if (key == "seed") spec.seed = static_cast<std::uint64_t>(r.integer(v, key, 0));
               else if (key == "chunk") spec.chunk = static_cast<std::size_t>(r.integer(v, key, 1));
               else if (key == "profile") spec.profile = read_profile(r, v);
               else if (key == "host_speed") spec.host_speed = read_host_speed(r, v);
               else if (key == "prior") {
                 r.each_key(v, "prior", {"spaces", "archs_per_space"},
                            [&](const std::string& k, const YAML::Node&, const YAML::Node& x) {
                              if (k == "spaces") spec.prior.spaces = read_strings(r, x, "prior.spaces");
                              else spec.prior.archs_per_space = static_cast<int>(r.integer(x, "prior." + k, 1));
                            });
               } else if (key == "random") {
                 r.each_key(v, "random", {"hw", "cin", "cout", "seq_len", "fc_rows", "kernels", "strides", "pool_kernels"},
                            [&](const std::string& k, const YAML::Node&, const YAML::Node& x) {
                              const std::string what = "random." + k;
                              if (k == "hw") spec.random.hw = read_range(r, x, what);
                              else if (k == "cin") spec.random.cin = read_range(r, x, what);
                              else if (k == "cout") spec.random.cout = read_range(r, x, what);
                              else if (k == "seq_len") spec.random.seq_len = read_range(r, x, what);
                              else if (k == "fc_rows") spec.random.fc_rows = read_range(r, x, what);
                              else if (k == "kernels") spec.random.kernels = read_ints(r, x, what);
                              else if (k == "strides") spec.random.strides = read_ints(r, x, what);
                              else spec.random.pool_kernels = read_ints(r, x, what);
                            });
               } else if (key == "vae") {
                 r.each_key(v, "vae", {"latent", "hidden", "steps", "batch_size", "learning_rate", "loss_balance"},
                            [&](const std::string& k, const YAML::Node&, const YAML::Node& x) {
                              const std::string what = "vae." + k;
                              if (k == "latent") spec.vae.latent = static_cast<int>(r.integer(x, what, 1));
                              else if (k == "hidden") spec.vae.hidden = static_cast<int>(r.integer(x, what, 1));
                              else if (k == "steps") spec.vae.steps = static_cast<int>(r.integer(x, what, 1));
                              else if (k == "batch_size") spec.vae.batch_size = static_cast<int>(r.integer(x, what, 1));
                              else if (k == "learning_rate") spec.vae.learning_rate = r.number(x, what, 1e-12);
                              else spec.vae.loss_balance = r.number(x, what, -std::numeric_limits<double>::infinity());
                            });
               } else if (key == "kernels") {
                 r.expect(v, YAML::NodeType::Sequence, key, "a list of {type, prior, random, vae}");
                 for (const auto& entry : v) {
                   KernelQuota quota;
                   r.each_key(entry, "kernels entry", {"type", "prior", "random", "vae"},
                              [&](const std::string& k, const YAML::Node&, const YAML::Node& x) {
                                if (k == "type") quota.type = r.nonempty(x, "type");
                                else if (k == "prior") quota.prior = static_cast<std::size_t>(r.integer(x, k, 0));
                                else if (k == "random") quota.random = static_cast<std::size_t>(r.integer(x, k, 0));
                                else quota.vae = static_cast<std::size_t>(r.integer(x, k, 0));
                              });
                   if (quota.type.empty()) fail("{}a kernels entry needs a 'type'", r.at(entry));
                   if (quota.vae > 0) {
                     const std::string family = quota.type.substr(0, quota.type.find('-'));
                     if (family != "conv" && family != "dwconv" && family != "maxpool" && family != "avgpool")
                       fail("{}kernel type '{}' cannot be sampled by the VAE (vae: needs a conv, dwconv, maxpool or "
                            "avgpool type)",
                            r.at(entry), quota.type);
                   }
                   spec.kernels.push_back(std::move(quota));
                 }
               } else if (key == "networks") {
                 spec.networks = read_networks(r, v, path);
               }
             });
  if (spec.name.empty()) fail("{}: missing 'campaign' (its name)", source);
  if (spec.platform.empty()) fail("{}: missing 'platform'", source);
  if (spec.database.empty()) fail("{}: missing 'database'", source);
  if (spec.kernels.empty() && spec.networks.empty()) fail("{}: neither 'kernels' nor 'networks' lists anything to measure", source);
  return spec;
}

CampaignSpec load_campaign(const std::filesystem::path& path) {
  std::string text;
  core::load_yaml_file(path, &text);
  return parse_campaign(text, path.string(), std::filesystem::absolute(path).parent_path());
}

}  // namespace hwnas::predictors
