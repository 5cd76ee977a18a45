#pragma once
/// Reading YAML configs into plain structs: every message names the file and line at fault, unknown
/// and repeated keys are rejected listing the valid ones.

#include <algorithm>
#include <filesystem>
#include <cmath>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include "hwnas/core/error.h"
#include "hwnas/core/text.h"

namespace hwnas::core {

/// Reads YAML nodes into plain structs, naming file and line in every message.
class YamlReader {
 public:
  explicit YamlReader(std::string source) : source_(std::move(source)) {}

  /// 1-based line of a node, 0 when unknown.
  static int line(const YAML::Node& node) {
    const YAML::Mark mark = node.Mark();
    return mark.is_null() ? 0 : mark.line + 1;
  }

  /// "file:line: " prefix for messages about `node`.
  std::string at(const YAML::Node& node) const { return at(line(node)); }
  std::string at(int line) const {
    return line > 0 ? fmt::format("{}:{}: ", source_, line) : fmt::format("{}: ", source_);
  }

  static const char* type_name(const YAML::Node& node) {
    switch (node.Type()) {
      case YAML::NodeType::Null: return "nothing";
      case YAML::NodeType::Scalar: return "a single value";
      case YAML::NodeType::Sequence: return "a list";
      case YAML::NodeType::Map: return "a map";
      default: return "undefined";
    }
  }

  /// Throws unless `node` has `type`.
  void expect(const YAML::Node& node, YAML::NodeType::value type, const std::string& what,
              const char* expected) const {
    if (node.Type() != type) fail("{}'{}' must be {}, got {}", at(node), what, expected, type_name(node));
  }

  /// Typed readers: throw naming `what`, the file and the line on a wrong type or out-of-range value.
  std::string scalar(const YAML::Node& node, const std::string& what) const {
    expect(node, YAML::NodeType::Scalar, what, "a single value");
    return node.Scalar();
  }

  std::string nonempty(const YAML::Node& node, const std::string& what) const {
    std::string s = scalar(node, what);
    if (detail::trim(s).empty()) fail("{}'{}' is empty", at(node), what);
    return s;
  }

  std::int64_t integer(const YAML::Node& node, const std::string& what, std::int64_t min) const {
    const std::string s = scalar(node, what);
    const auto v = detail::parse_int(s);
    if (!v) fail("{}'{}' is '{}', expected an integer", at(node), what, s);
    if (*v < min) fail("{}'{}' is {}, expected an integer >= {}", at(node), what, *v, min);
    return *v;
  }

  double number(const YAML::Node& node, const std::string& what, double min) const {
    const std::string s = scalar(node, what);
    const auto v = detail::parse_double(s);
    if (!v || !std::isfinite(*v)) fail("{}'{}' is '{}', expected a number", at(node), what, s);
    if (*v < min) fail("{}'{}' is {}, expected a number >= {}", at(node), what, *v, min);
    return *v;
  }

  bool boolean(const YAML::Node& node, const std::string& what) const {
    const std::string s = scalar(node, what);
    const auto v = detail::parse_bool(s);
    if (!v) fail("{}'{}' is '{}', expected true or false", at(node), what, s);
    return *v;
  }

  /// Iterates a map, rejecting keys outside `valid` and repeated keys.
  template <typename Fn>
  void each_key(const YAML::Node& map, const std::string& what, const std::vector<std::string>& valid, Fn fn) const {
    expect(map, YAML::NodeType::Map, what, "a map");
    std::set<std::string> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      const std::string key = scalar(it->first, what + " key");
      if (!valid.empty() && std::find(valid.begin(), valid.end(), key) == valid.end())
        fail("{}unknown key '{}'{} (valid: {})", at(it->first), key, what.empty() ? "" : " in " + what,
             fmt::join(valid, ", "));
      if (!seen.insert(key).second) fail("{}key '{}' is given twice", at(it->first), key);
      fn(key, it->first, it->second);
    }
  }

  const std::string& source() const { return source_; }

 private:
  std::string source_;
};

/// Parses YAML text, turning a syntax error into hwnas::Error "source:line:column: invalid YAML: ...".
YAML::Node parse_yaml(const std::string& text, const std::string& source);
/// Reads and parses a YAML file; throws hwnas::Error naming the file when it cannot be read.
YAML::Node load_yaml_file(const std::filesystem::path& path, std::string* text = nullptr);

}  // namespace hwnas::core
