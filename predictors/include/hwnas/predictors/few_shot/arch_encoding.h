#pragma once
/// What the few-shot latency predictor sees of an architecture: its genes one-hot (the papers'
/// architecture encoding), and what hwnas knows and they did not: the latency its kernel predictors
/// give on a local platform, the network's FLOPs and parameters, and optionally its kernel mix and
/// zero-cost proxies. Magnitudes enter as logs, since device latencies scale multiplicatively.
///
/// The feature names are the contract: a calibrated device stores them, and the options that produce
/// them are read back from them (EncodingOptions::from_feature_names).

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "hwnas/spaces/search_space.h"

namespace hwnas::predictors {

class ArchLatencyPredictor;
class PredictorSet;
struct ProxyTable;

/// The optional feature groups (the local latency is there whenever a local predictor set is given).
struct EncodingOptions {
  /// Per kernel family (conv, dwconv, dense, pool, elementwise) of the network cut by the local set's
  /// fusion rules (no fusion without a set): log(1 + kernels), log(1 + MFLOPs), log(1 + MB moved).
  bool kernel_mix = false;
  /// Zero-cost proxies (names from proxy_names()) as log(1 + |value|), a non-finite value as 0 (NB201's
  /// table has jacob_cov nan, zen -inf and often naswot -inf in cells whose output ignores the input):
  /// looked up in `proxy_table` when it holds them all, else computed with the default ProxyOptions
  /// (batch 64, seed 0: what the shipped tables hold).
  std::vector<std::string> proxies;
  std::shared_ptr<const ProxyTable> proxy_table;

  /// The options whose encoding has these feature names (its proxy table left empty).
  static EncodingOptions from_feature_names(const std::vector<std::string>& names);
};

/// The encoding `hwnas calibrate` uses, chosen by measurement (bench/few_shot_bench, HELP's validation
/// devices): the local latency plus the l2_norm proxy, from the shipped table where it has the
/// architecture. On NB201 (mean of 20 draws) it lifts the share within ±10% from 87.2% to 90.1% (N = 10)
/// and 87.6% to 90.0% (N = 20) over the local latency alone, Spearman 0.974 -> 0.977 and 0.976 -> 0.978;
/// synflow adds nothing; adding the kernel mix too gives 89.9% and 90.2%, no clear gain for its cost.
/// Every proxy of the NB201 table (the data pass's and zen too) gave 90.4% and 90.2%, Spearman 0.979
/// and 0.978, but no subset of them beside l2_norm (naswot, jacob_cov, the gradient proxies) moves a
/// figure, and without l2_norm they lose 2%: too fragile a gain to make every prediction outside the
/// table wait for a data pass. With grasp in the table too (2026-11-25) every proxy gives 90.1% and
/// 90.1%, Spearman 0.977 and 0.978: no better than l2_norm alone. FBNet is at 99.5-99.6% with every
/// encoding.
EncodingOptions default_encoding_options(const spaces::SearchSpace& space);

class ArchEncoder {
 public:
  /// `local` may be null: the encoding then has no local-latency feature.
  ArchEncoder(const spaces::SearchSpace& space, std::shared_ptr<const PredictorSet> local,
              EncodingOptions options = {});
  ~ArchEncoder();
  ArchEncoder(ArchEncoder&&) noexcept;

  /// "bias", "g<i>=<choice>" per gene and choice, then "log_local_ms", "log_mflops", "log_mparams",
  /// then "k:<family>:<count|mflops|mb>" and "zc:<proxy>" when asked for.
  const std::vector<std::string>& feature_names() const { return names_; }
  std::size_t size() const { return names_.size(); }
  /// The encodings of `archs`, row-major (archs.size() x size()). Thread-safe.
  std::vector<double> encode(const std::vector<spaces::Arch>& archs) const;

 private:
  const spaces::SearchSpace& space_;
  std::shared_ptr<const PredictorSet> local_;
  std::unique_ptr<ArchLatencyPredictor> local_latency_;  // by pieces, cached across encode() calls
  EncodingOptions options_;
  std::unordered_map<spaces::Arch, std::size_t, spaces::ArchHash> proxy_row_;  // arch -> row of options_.proxy_table
  std::vector<std::string> names_;
  std::vector<std::size_t> gene_offset_;  // column of gene i's choice 0
};

}  // namespace hwnas::predictors
