#include "hwnas/search/config.h"

#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include "hwnas/core/error.h"
#include "hwnas/core/text.h"
#include "hwnas/core/yaml_reader.h"

namespace hwnas::search {

std::vector<std::string> SearchConfig::objective_names() const {
  std::vector<std::string> names;
  for (const auto& o : objectives) names.push_back(o.name);
  return names;
}

std::string config_location(const SearchConfig& config, int line) {
  if (config.source.empty() && line <= 0) return "";
  if (line <= 0) return config.source + ": ";
  return fmt::format("{}:{}: ", config.source.empty() ? "line" : config.source, line);
}

namespace {

using Reader = core::YamlReader;

bool valid_objective_name(const std::string& name) {
  if (name.empty()) return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) return false;
  return true;
}

ObjectiveSpec read_objective(const Reader& r, const YAML::Node& node, std::size_t position) {
  const std::string what = fmt::format("objectives[{}]", position);
  r.expect(node, YAML::NodeType::Map, what, "a map with name, kind, direction and the kind's options");
  ObjectiveSpec spec;
  spec.line = Reader::line(node);
  spec.options = core::Options("", r.source());
  r.each_key(node, what, {}, [&](const std::string& key, const YAML::Node& k, const YAML::Node& v) {
    if (key == "name") {
      spec.name = r.nonempty(v, what + ".name");
      if (!valid_objective_name(spec.name))
        fail("{}objective name '{}' may only hold letters, digits, '_', '-' and '.'", r.at(v), spec.name);
    } else if (key == "kind") {
      spec.kind = r.nonempty(v, what + ".kind");
    } else if (key == "direction") {
      const std::string d = r.scalar(v, what + ".direction");
      try {
        spec.direction = direction_from_name(d);
      } catch (const Error& e) {
        fail("{}{}", r.at(v), e.what());
      }
    } else {
      spec.options.set(key, r.scalar(v, what + "." + key), Reader::line(k));
    }
  });
  if (spec.name.empty()) fail("{}{} has no 'name'", r.at(node), what);
  if (spec.kind.empty()) fail("{}objective '{}' has no 'kind' (e.g. table, flops, params)", r.at(node), spec.name);
  spec.options.set_context(fmt::format("objective '{}' (kind {})", spec.name, spec.kind));
  return spec;
}

}  // namespace

SearchConfig parse_config(std::string_view yaml, const std::string& source, const std::filesystem::path& base_dir) {
  const YAML::Node root = core::parse_yaml(std::string(yaml), source);
  SearchConfig config;
  config.source = source;
  config.strategy.options = core::Options("strategy", source);
  config.base_dir = base_dir;
  const Reader r(source);
  if (!root.IsMap()) fail("{}: a search config must be a map of keys (space, objectives, strategy, budget, ...)", source);
  bool has_budget = false, has_strategy = false;
  int objectives_line = 0;
  std::vector<std::pair<std::string, int>> constraint_texts;
  r.each_key(
      root, "",
      {"space", "space_options", "objectives", "constraints", "strategy", "budget", "seed", "threads", "output",
       "plugins", "target", "base_dir"},
      [&](const std::string& key, const YAML::Node& k, const YAML::Node& v) {
        if (key == "space") {
          config.space = r.nonempty(v, "space");
          config.space_line = Reader::line(v);
        } else if (key == "space_options") {
          if (v.IsNull()) return;
          r.each_key(v, "space_options", {}, [&](const std::string& opt, const YAML::Node&, const YAML::Node& value) {
            config.space_options[opt] = r.scalar(value, "space_options." + opt);
          });
        } else if (key == "objectives") {
          objectives_line = Reader::line(k);
          r.expect(v, YAML::NodeType::Sequence, "objectives", "a list");
          for (std::size_t i = 0; i < v.size(); ++i) config.objectives.push_back(read_objective(r, v[i], i));
        } else if (key == "constraints") {
          if (v.IsNull()) return;
          r.expect(v, YAML::NodeType::Sequence, "constraints", "a list like [\"latency <= 5\"]");
          for (std::size_t i = 0; i < v.size(); ++i)
            constraint_texts.emplace_back(r.scalar(v[i], fmt::format("constraints[{}]", i)), Reader::line(v[i]));
        } else if (key == "strategy") {
          has_strategy = true;
          config.strategy.line = Reader::line(v);
          if (v.IsScalar()) {
            config.strategy.name = r.nonempty(v, "strategy");
          } else {
            r.each_key(v, "strategy", {"name", "options"}, [&](const std::string& sk, const YAML::Node&, const YAML::Node& sv) {
              if (sk == "name") {
                config.strategy.name = r.nonempty(sv, "strategy.name");
              } else if (!sv.IsNull()) {
                r.each_key(sv, "strategy.options", {}, [&](const std::string& opt, const YAML::Node& ok, const YAML::Node& ov) {
                  config.strategy.options.set(opt, r.scalar(ov, "strategy.options." + opt), Reader::line(ok));
                });
              }
            });
            if (config.strategy.name.empty()) fail("{}strategy has no 'name'", r.at(v));
          }
        } else if (key == "budget") {
          has_budget = true;
          r.each_key(v, "budget", {"evaluations", "seconds"}, [&](const std::string& bk, const YAML::Node&, const YAML::Node& bv) {
            if (bk == "evaluations")
              config.budget.evaluations = static_cast<std::uint64_t>(r.integer(bv, "budget.evaluations", 0));
            else
              config.budget.seconds = r.number(bv, "budget.seconds", 0);
          });
          if (config.budget.evaluations == 0 && config.budget.seconds == 0)
            fail("{}budget needs evaluations > 0 or seconds > 0", r.at(v));
        } else if (key == "seed") {
          config.seed = static_cast<std::uint64_t>(r.integer(v, "seed", 0));
        } else if (key == "threads") {
          config.threads = static_cast<std::size_t>(r.integer(v, "threads", 0));
        } else if (key == "output") {
          config.output = r.nonempty(v, "output");
        } else if (key == "plugins") {
          if (v.IsNull()) return;
          r.expect(v, YAML::NodeType::Sequence, "plugins", "a list of shared-library paths");
          for (std::size_t i = 0; i < v.size(); ++i) config.plugins.push_back(r.nonempty(v[i], fmt::format("plugins[{}]", i)));
        } else if (key == "target") {
          config.target = r.nonempty(v, "target");
        } else if (key == "base_dir") {
          config.base_dir = r.nonempty(v, "base_dir");
        }
      });
  if (config.space.empty()) fail("{}: missing key 'space' (the search space, e.g. nb201)", source);
  if (config.objectives.empty())
    fail("{}missing or empty 'objectives' (a list of {{name, kind, direction, ...}})", r.at(objectives_line));
  if (!has_strategy) fail("{}: missing key 'strategy' (random, evolution or nsga2)", source);
  if (!has_budget) fail("{}: missing key 'budget' ({{evaluations: N, seconds: S}})", source);
  std::set<std::string> names;
  for (const auto& o : config.objectives)
    if (!names.insert(o.name).second) fail("{}objective name '{}' is used twice", r.at(o.line), o.name);
  const auto objective_names = config.objective_names();
  for (const auto& [text, line] : constraint_texts) {
    Constraint c;
    try {
      c = parse_constraint(text);
    } catch (const Error& e) {
      fail("{}{}", r.at(line), e.what());
    }
    c.line = line;
    if (!names.count(c.objective))
      fail("{}constraint '{}' names no objective (objectives: {})", r.at(line), text, fmt::join(objective_names, ", "));
    config.constraints.push_back(std::move(c));
  }
  config.strategy.options.set_context(fmt::format("strategy '{}'", config.strategy.name));
  if (!config.base_dir.empty() && config.base_dir.is_relative() && !base_dir.empty())
    config.base_dir = base_dir / config.base_dir;
  return config;
}

SearchConfig load_config(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) fail("cannot read config file '{}'", file.string());
  std::ostringstream text;
  text << in.rdbuf();
  std::filesystem::path dir = std::filesystem::absolute(file).parent_path();
  return parse_config(text.str(), file.string(), dir);
}

namespace {

void emit_options(YAML::Emitter& out, const core::Options& options) {
  for (const auto& [key, entry] : options.entries()) out << YAML::Key << key << YAML::Value << entry.value;
}

void emit_result_sections(YAML::Emitter& out, const SearchConfig& c) {
  out << YAML::Key << "space" << YAML::Value << c.space;
  out << YAML::Key << "space_options" << YAML::Value << YAML::BeginMap;
  for (const auto& [k, v] : c.space_options) out << YAML::Key << k << YAML::Value << v;
  out << YAML::EndMap;
  out << YAML::Key << "objectives" << YAML::Value << YAML::BeginSeq;
  for (const auto& o : c.objectives) {
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << o.name << YAML::Key << "kind" << YAML::Value
        << o.kind;
    if (o.direction) out << YAML::Key << "direction" << YAML::Value << std::string(direction_name(*o.direction));
    emit_options(out, o.options);
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
  out << YAML::Key << "constraints" << YAML::Value << YAML::BeginSeq;
  for (const auto& k : c.constraints) out << k.to_string();
  out << YAML::EndSeq;
  out << YAML::Key << "strategy" << YAML::Value << YAML::BeginMap << YAML::Key << "name" << YAML::Value
      << c.strategy.name << YAML::Key << "options" << YAML::Value << YAML::BeginMap;
  emit_options(out, c.strategy.options);
  out << YAML::EndMap << YAML::EndMap;
  out << YAML::Key << "seed" << YAML::Value << c.seed;
}

}  // namespace

std::string to_yaml(const SearchConfig& c) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  emit_result_sections(out, c);
  out << YAML::Key << "budget" << YAML::Value << YAML::BeginMap << YAML::Key << "evaluations" << YAML::Value
      << c.budget.evaluations << YAML::Key << "seconds" << YAML::Value << fmt::format("{}", c.budget.seconds)
      << YAML::EndMap;
  out << YAML::Key << "threads" << YAML::Value << c.threads;
  if (!c.output.empty()) out << YAML::Key << "output" << YAML::Value << c.output;
  out << YAML::Key << "plugins" << YAML::Value << YAML::BeginSeq;
  for (const auto& p : c.plugins) out << p;
  out << YAML::EndSeq;
  if (!c.target.empty()) out << YAML::Key << "target" << YAML::Value << c.target;
  if (!c.base_dir.empty())
    out << YAML::Key << "base_dir" << YAML::Value << std::filesystem::absolute(c.base_dir).lexically_normal().string();
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

std::string result_fingerprint(const SearchConfig& c) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  emit_result_sections(out, c);
  out << YAML::EndMap;
  return out.c_str();
}

}  // namespace hwnas::search
