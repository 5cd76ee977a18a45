#include "hwnas/core/options.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "hwnas/core/error.h"
#include "hwnas/core/text.h"

namespace hwnas::core {

void Options::set(const std::string& key, std::string value, int line) {
  entries_[key] = Entry{std::move(value), line};
}

const Options::Entry* Options::find(const std::string& key) const {
  known_.insert(key);
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second;
}

std::string Options::where(const std::string& key) const {
  auto it = entries_.find(key);
  const int line = it == entries_.end() ? 0 : it->second.line;
  std::string out;
  if (!source_.empty()) out += source_;
  if (line > 0) out += fmt::format("{}{}", out.empty() ? "line " : ":", line);
  if (!out.empty()) out += ": ";
  if (!context_.empty()) out += context_ + ": ";
  return out;
}

void Options::bad_value(const std::string& key, const std::string& expected) const {
  fail("{}option '{}' is '{}', expected {}", where(key), key, entries_.at(key).value, expected);
}

std::string Options::get_string(const std::string& key, const std::string& fallback) const {
  const Entry* e = find(key);
  return e ? e->value : fallback;
}

std::string Options::get_choice(const std::string& key, const std::string& fallback,
                                const std::vector<std::string>& choices) const {
  const Entry* e = find(key);
  if (!e) return fallback;
  for (const auto& c : choices)
    if (c == e->value) return c;
  bad_value(key, fmt::format("one of {}", fmt::join(choices, ", ")));
}

std::string Options::require_string(const std::string& key) const {
  const Entry* e = find(key);
  if (!e || e->value.empty()) {
    std::string prefix = where(key);
    fail("{}missing required option '{}'", prefix, key);
  }
  return e->value;
}

double Options::get_double(const std::string& key, double fallback, double min, double max) const {
  const Entry* e = find(key);
  if (!e) return fallback;
  const auto v = detail::parse_double(e->value);
  if (!v || std::isnan(*v)) bad_value(key, "a number");
  if (*v < min || *v > max) bad_value(key, fmt::format("a number in [{}, {}]", min, max));
  return *v;
}

std::int64_t Options::get_int(const std::string& key, std::int64_t fallback, std::int64_t min,
                              std::int64_t max) const {
  const Entry* e = find(key);
  if (!e) return fallback;
  const auto v = detail::parse_int(e->value);
  if (!v) bad_value(key, "an integer");
  if (*v < min || *v > max) {
    if (max == INT64_MAX) bad_value(key, fmt::format("an integer >= {}", min));
    bad_value(key, fmt::format("an integer in [{}, {}]", min, max));
  }
  return *v;
}

bool Options::get_bool(const std::string& key, bool fallback) const {
  const Entry* e = find(key);
  if (!e) return fallback;
  const auto v = detail::parse_bool(e->value);
  if (!v) bad_value(key, "true or false");
  return *v;
}

void Options::reject_unknown() const {
  for (const auto& [key, entry] : entries_)
    if (!known_.count(key))
      fail("{}unknown option '{}' (valid: {})", where(key), key,
           known_.empty() ? std::string("none") : fmt::format("{}", fmt::join(known_, ", ")));
}

}  // namespace hwnas::core
