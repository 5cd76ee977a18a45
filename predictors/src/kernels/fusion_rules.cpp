#include "hwnas/predictors/kernels/fusion_rules.h"

#include <algorithm>
#include <fstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include "hwnas/core/error.h"
#include "hwnas/core/yaml_reader.h"
#include "hwnas/predictors/kernels/kernel.h"

namespace hwnas::predictors {

bool FusionRules::is_prefix(const FusionPattern& prefix) const {
  return std::any_of(patterns.begin(), patterns.end(), [&](const FusionPattern& p) {
    return p.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), p.begin());
  });
}

bool FusionRules::matches(const FusionPattern& sequence) const {
  return std::find(patterns.begin(), patterns.end(), sequence) != patterns.end();
}

FusionRules default_fusion_rules(const std::string& platform) {
  FusionRules rules;
  rules.platform = platform;
  rules.source = "default";
  if (platform.rfind("torchscript", 0) == 0) {
    rules.patterns = {{"conv", "bn"}, {"dwconv", "bn"}, {"fc", "bn"}};
  } else if (platform.rfind("opencv", 0) == 0) {
    // OpenCV 4.6 DNN on the CPU (Net::Impl::fuseLayers), for a layer whose output has a single consumer:
    // a convolution folds a following batch norm into its weights (tryFuse) and then takes one following
    // activation (setActivation); a fully-connected layer or an Eltwise add takes a batch norm or an
    // activation, but not both; a batch norm folds a following batch norm (or zero). Batch norm and pooling take no
    // activation, and conv + add stays two layers (the CPU conv+add fusion came with OpenCV 4.7). Read
    // layer by layer from the installed library (tests/devices/opencv_platform_test.cpp). nn-Meter's
    // timing test sees little of it: a fused activation saves little time here, and inside a depthwise
    // conv it even costs more than a separate one -- which is why such a pair is predicted as one kernel.
    // NB201's zero (x * 0) is an OpenCV Power layer: an activation, and a scale-shift to fold.
    const std::vector<std::string> activations = {"relu", "relu6", "hswish", "hsigmoid", "sigmoid", "swish", "zero"};
    for (const char* lead : {"conv", "dwconv", "fc", "add"}) {
      rules.patterns.push_back({lead, "bn"});
      for (const auto& act : activations) rules.patterns.push_back({lead, act});
    }
    for (const char* conv : {"conv", "dwconv"})
      for (const auto& act : activations) rules.patterns.push_back({conv, "bn", act});
    rules.patterns.push_back({"bn", "bn"});
    rules.patterns.push_back({"bn", "zero"});
  }
  return rules;
}

namespace {

[[noreturn]] void fail_at(const std::filesystem::path& path, const YAML::Node& node, const std::string& what) {
  fail("{}:{}: {}", path.string(), node.Mark().line + 1, what);
}

}  // namespace

FusionRules load_fusion_rules(const std::filesystem::path& path) {
  if (!std::filesystem::is_regular_file(path)) fail("cannot read fusion rules '{}'", path.string());
  const YAML::Node doc = core::load_yaml_file(path);  // names file, line and column of a syntax error
  if (!doc.IsMap()) fail("{}: expected a map with keys format_version, platform, source, rules", path.string());
  FusionRules rules;
  for (const auto& entry : doc) {
    const auto key = entry.first.as<std::string>();
    const YAML::Node& value = entry.second;
    if (key == "format_version") {
      if (value.as<int>() != FusionRules::kFormatVersion)
        fail_at(path, value, fmt::format("format_version {} is not supported (expected {})", value.as<std::string>(),
                                         FusionRules::kFormatVersion));
    } else if (key == "platform") {
      rules.platform = value.as<std::string>();
    } else if (key == "source") {
      rules.source = value.as<std::string>();
    } else if (key == "rules") {
      if (!value.IsSequence()) fail_at(path, value, "'rules' must be a list of op sequences");
      for (const auto& rule : value) {
        if (!rule.IsSequence() || rule.size() < 2) fail_at(path, rule, "a rule is a list of at least two op tokens");
        FusionPattern pattern;
        for (const auto& token : rule) {
          const auto t = token.as<std::string>();
          const auto& valid = kernel_tokens();
          if (std::find(valid.begin(), valid.end(), t) == valid.end())
            fail_at(path, token, fmt::format("unknown op token '{}' (valid: {})", t, fmt::join(valid, ", ")));
          pattern.push_back(t);
        }
        rules.patterns.push_back(std::move(pattern));
      }
    } else {
      fail_at(path, entry.first, fmt::format("unknown key '{}' (valid: format_version, platform, source, rules)", key));
    }
  }
  if (rules.platform.empty()) fail("{}: missing 'platform'", path.string());
  return rules;
}

void save_fusion_rules(const FusionRules& rules, const std::filesystem::path& path) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "format_version" << YAML::Value << FusionRules::kFormatVersion;
  out << YAML::Key << "platform" << YAML::Value << rules.platform;
  out << YAML::Key << "source" << YAML::Value << rules.source;
  out << YAML::Key << "rules" << YAML::Value << YAML::BeginSeq;
  for (const auto& pattern : rules.patterns) out << YAML::Flow << pattern;
  out << YAML::EndSeq << YAML::EndMap;
  const auto tmp = path.string() + ".tmp";
  {
    std::ofstream file(tmp);
    if (!file) fail("cannot write fusion rules '{}'", path.string());
    file << out.c_str() << "\n";
  }
  std::filesystem::rename(tmp, path);
}

}  // namespace hwnas::predictors
