#pragma once
// Small text helpers shared by the config and table readers.

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hwnas::core::detail {

inline std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

/// The pieces of `s` between separators (an empty piece where two separators meet).
inline std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    const auto pos = s.find(sep);
    out.push_back(s.substr(0, pos));
    if (pos == std::string_view::npos) return out;
    s.remove_prefix(pos + 1);
  }
}

/// 1-based line of the first NUL byte in `text`, or nullopt. No text file hwnas reads (CSV, YAML) holds
/// one, so a NUL means a binary file (a .db, a .pt) was given where text belongs.
inline std::optional<int> line_of_first_nul(std::string_view text) {
  const std::size_t nul = text.find('\0');
  if (nul == std::string_view::npos) return std::nullopt;
  int line = 1;
  for (std::size_t i = 0; i < nul; ++i) line += text[i] == '\n';
  return line;
}

/// A finite or infinite double spelled in full (no trailing junk); nullopt otherwise.
inline std::optional<double> parse_double(std::string_view text) {
  text = trim(text);
  if (text.empty()) return std::nullopt;
  std::string copy(text);
  char* end = nullptr;
  const double value = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size()) return std::nullopt;
  return value;
}

inline std::optional<std::int64_t> parse_int(std::string_view text) {
  text = trim(text);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  std::int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

inline std::optional<bool> parse_bool(std::string_view text) {
  text = trim(text);
  if (text == "true" || text == "True" || text == "yes" || text == "on" || text == "1") return true;
  if (text == "false" || text == "False" || text == "no" || text == "off" || text == "0") return false;
  return std::nullopt;
}

/// Seconds since the epoch of a UTC time spelled exactly "2026-11-23T07:00" or "2026-11-23T07:00:30",
/// or given directly as "@1795417200"; nullopt for anything else. (std::get_time is no help here:
/// libstdc++'s accepts "2026-11-23" for "%Y-%m-%dT%H:%M" when the text ends early.)
inline std::optional<std::int64_t> parse_utc_time(std::string_view text) {
  text = trim(text);
  if (!text.empty() && text.front() == '@') return parse_int(text.substr(1));
  if (text.size() != 16 && text.size() != 19) return std::nullopt;
  const auto field = [&](std::size_t at, std::size_t digits, int lo, int hi) -> std::optional<int> {
    const std::string_view piece = text.substr(at, digits);
    for (const char c : piece)
      if (c < '0' || c > '9') return std::nullopt;
    const auto value = parse_int(piece);
    if (!value || *value < lo || *value > hi) return std::nullopt;
    return static_cast<int>(*value);
  };
  if (text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':') return std::nullopt;
  if (text.size() == 19 && text[16] != ':') return std::nullopt;
  const auto year = field(0, 4, 1970, 9999), month = field(5, 2, 1, 12), day = field(8, 2, 1, 31);
  const auto hour = field(11, 2, 0, 23), minute = field(14, 2, 0, 59);
  const auto second = text.size() == 19 ? field(17, 2, 0, 60) : std::optional<int>(0);
  if (!year || !month || !day || !hour || !minute || !second) return std::nullopt;
  std::tm tm{};
  tm.tm_year = *year - 1900;
  tm.tm_mon = *month - 1;
  tm.tm_mday = *day;
  tm.tm_hour = *hour;
  tm.tm_min = *minute;
  tm.tm_sec = *second;
  return static_cast<std::int64_t>(::timegm(&tm));
}

}  // namespace hwnas::core::detail
