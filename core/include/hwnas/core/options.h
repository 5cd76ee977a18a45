#pragma once
/// Kind-specific options (of an objective, a strategy) as read from a config: scalar values kept as text
/// with the config line they came from. Each consumer reads the keys it knows with typed getters, then
/// calls reject_unknown(), which names any key nobody asked for, its line and the keys that are valid.

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace hwnas::core {

class Options {
 public:
  struct Entry {
    std::string value;
    int line = 0;  ///< 1-based line in the config, 0 when unknown (options built in code)
  };

  Options() = default;
  /// `context` names the owner in messages ("strategy 'evolution'"); `source` is the config file.
  Options(std::string context, std::string source) : context_(std::move(context)), source_(std::move(source)) {}

  void set(const std::string& key, std::string value, int line = 0);
  bool contains(const std::string& key) const { return entries_.count(key) > 0; }
  bool empty() const { return entries_.empty(); }
  const std::map<std::string, Entry>& entries() const { return entries_; }
  const std::string& context() const { return context_; }
  const std::string& source() const { return source_; }
  void set_context(std::string context) { context_ = std::move(context); }

  /// Typed getters: return `fallback` when the key is absent, throw hwnas::Error naming the key, its
  /// line and the expected form when the value does not parse or is out of [min, max].
  std::string get_string(const std::string& key, const std::string& fallback) const;
  /// Like get_string but the value must be one of `choices`.
  std::string get_choice(const std::string& key, const std::string& fallback,
                         const std::vector<std::string>& choices) const;
  std::string require_string(const std::string& key) const;
  double get_double(const std::string& key, double fallback, double min = -1e300, double max = 1e300) const;
  std::int64_t get_int(const std::string& key, std::int64_t fallback, std::int64_t min = INT64_MIN,
                       std::int64_t max = INT64_MAX) const;
  bool get_bool(const std::string& key, bool fallback) const;

  /// Throws hwnas::Error for the first key that no getter has asked for.
  void reject_unknown() const;

  /// "file.yaml:12: " for a key read from a config (empty prefix parts are left out).
  std::string where(const std::string& key) const;

 private:
  const Entry* find(const std::string& key) const;
  [[noreturn]] void bad_value(const std::string& key, const std::string& expected) const;

  std::string context_;
  std::string source_;
  std::map<std::string, Entry> entries_;
  mutable std::set<std::string> known_;  // keys some getter asked for (valid keys)
};

}  // namespace hwnas::core
