#pragma once
/// Fusion rules: the op sequences a platform runs as one kernel, kept as data (YAML) so a detected
/// rule set (`hwnas profile --detect-fusion`) replaces the defaults without a rebuild.

#include <filesystem>
#include <string>
#include <vector>

namespace hwnas::predictors {

/// An op sequence written with kernel tokens (see kernel_token()), e.g. {"conv", "bn", "relu"}.
using FusionPattern = std::vector<std::string>;

struct FusionRules {
  static constexpr int kFormatVersion = 1;

  std::string platform;       ///< the platform the rules describe
  std::string source;         ///< "default" or how they were detected
  std::vector<FusionPattern> patterns;

  /// True if `prefix` starts some pattern (so a kernel may still grow).
  bool is_prefix(const FusionPattern& prefix) const;
  /// True if `sequence` is exactly one of the patterns.
  bool matches(const FusionPattern& sequence) const;
};

/// The rules a platform uses when no detected file is given.
/// Eager LibTorch dispatches every aten op on its own, so nothing fuses. A frozen TorchScript module
/// folds batch norm into the preceding convolution or linear layer (frozen_conv_folding and
/// frozen_linear_folding in optimize_for_inference), so conv-bn runs as a single convolution. OpenCV
/// DNN folds a batch norm and then one activation into a convolution (conv-bn-relu, dwconv-bn-hswish,
/// ...), and a batch norm or an activation into a linear layer or an add (fusion_rules.cpp).
FusionRules default_fusion_rules(const std::string& platform);

/// Reads a rule file; throws hwnas::Error naming the file and line of an unknown key or token.
FusionRules load_fusion_rules(const std::filesystem::path& path);
void save_fusion_rules(const FusionRules& rules, const std::filesystem::path& path);

}  // namespace hwnas::predictors
