#pragma once
/// Header-only helper for writing objective kinds in a C++ plugin (the C side: HwnasObjectiveV1 in
/// plugin_abi.h).
///
/// Subclass hwnas::plugin::PluginObjective and export it, alone or together with search spaces, with one
/// line in one source file of the SHARED library:
///
///     HWNAS_EXPORT_OBJECTIVES(MyScore)                       // objectives only
///     HWNAS_EXPORT_PLUGIN(hwnas::plugin::Spaces<MySpace, OtherSpace>,
///                         hwnas::plugin::Objectives<MyScore>)   // spaces and objectives
///
/// (each class default-constructible), or with a factory returning hwnas::plugin::PluginContents:
///
///     hwnas::plugin::PluginContents make_contents();
///     HWNAS_EXPORT_PLUGIN_FACTORY("my_plugin", "1.0", make_contents)
///
/// A plugin has one entry point, so use one export macro per plugin (HWNAS_EXPORT_SPACES of
/// space_plugin.h is the spaces-only form of HWNAS_EXPORT_PLUGIN). Name and version: as in space_plugin.h.
///
/// A search config then uses the kind like a built-in one; every key of the entry other than name, kind
/// and direction is an option of the objective:
///
///     objectives:
///       - {name: score, kind: my_score, direction: maximize, scale: 2}
///
/// Exceptions thrown by an objective cross the boundary as their what() text; hwnas reports them as
/// `plugin 'P', objective 'score' (kind my_score): evaluate failed: <message>`.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "hwnas/core/options.h"
#include "hwnas/plugin/plugin_abi.h"
#include "hwnas/plugin/plugin_guard.h"
#include "hwnas/spaces/search_space.h"

namespace hwnas::plugin {

/// Direction the config gets when it gives none.
enum class DefaultDirection : std::int32_t {
  kNone = HWNAS_DIRECTION_NONE,  ///< the config must set `direction:`
  kMinimize = HWNAS_DIRECTION_MINIMIZE,
  kMaximize = HWNAS_DIRECTION_MAXIMIZE,
};

/// Value meaning "this architecture cannot be scored" (unavailable, not an error).
inline constexpr double kNotScored = std::numeric_limits<double>::quiet_NaN();

/// An objective kind exported by a plugin. One instance serves every config entry of its kind: the
/// entry's options come with each call.
class PluginObjective {
 public:
  virtual ~PluginObjective() = default;

  /// The kind name configs use (`kind: <name>`): letters, digits, '_', '-', '.'.
  virtual std::string name() const = 0;
  /// One line saying what is computed.
  virtual std::string description() const { return name(); }
  virtual DefaultDirection default_direction() const { return DefaultDirection::kNone; }
  /// False when evaluate() must not run on several threads at once (hwnas then serializes the calls).
  virtual bool thread_safe() const { return true; }

  /// Scores `archs` (the space's string forms) of search space `space`: one value per arch, in order;
  /// kNotScored for an arch it cannot score. Throw (e.g. hwnas::fail) on an error.
  /// Read options with the typed getters of `options` (get_double, get_int, get_string, ...): they throw
  /// a message naming the key for a value that does not parse. Read every option you accept whatever
  /// the batch (also for an empty one): the default check_options() evaluates an empty batch and then
  /// rejects every option nobody asked for.
  virtual std::vector<double> evaluate(std::string_view space, const std::vector<std::string>& archs,
                                       const core::Options& options) const = 0;

  /// Called once per config entry before the search: throws on options this objective does not take
  /// or a space it cannot score. The default runs evaluate() on an empty batch, which must read every
  /// option it accepts (and may refuse the space); unknown keys are then rejected by the caller.
  virtual void check_options(std::string_view space, const core::Options& options) const {
    evaluate(space, {}, options);
  }
};

/// Everything one plugin exports.
struct PluginContents {
  std::vector<std::unique_ptr<spaces::SearchSpace>> spaces;
  std::vector<std::unique_ptr<PluginObjective>> objectives;
};

/// Type lists for HWNAS_EXPORT_PLUGIN.
template <typename... T>
struct Spaces {};
template <typename... T>
struct Objectives {};

namespace detail {

/// Appends one UTF-8 encoded code point.
inline void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

/// Parses the flat JSON object of strings the host sends as options_json into `options`.
/// Deliberately small (the host never sends anything else), so a plugin needs no JSON library.
inline void parse_options_json(std::string_view text, core::Options& options) {
  std::size_t i = 0;
  const auto bad = [&](const char* what) {
    throw std::invalid_argument(std::string("options_json: ") + what + " at offset " + std::to_string(i));
  };
  const auto skip_space = [&] {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')) ++i;
  };
  const auto expect = [&](char c) {
    skip_space();
    if (i >= text.size() || text[i] != c) bad((std::string("expected '") + c + "'").c_str());
    ++i;
  };
  const auto hex4 = [&]() -> std::uint32_t {
    if (i + 4 > text.size()) bad("truncated \\u escape");
    std::uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = text[i++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<std::uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<std::uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<std::uint32_t>(c - 'A' + 10);
      else bad("bad \\u escape");
    }
    return v;
  };
  const auto string = [&]() -> std::string {
    expect('"');
    std::string out;
    while (true) {
      if (i >= text.size()) bad("unterminated string");
      const char c = text[i++];
      if (c == '"') return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i >= text.size()) bad("unterminated escape");
      const char e = text[i++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          std::uint32_t cp = hex4();
          if (cp >= 0xD800 && cp < 0xDC00 && i + 1 < text.size() && text[i] == '\\' && text[i + 1] == 'u') {
            i += 2;
            const std::uint32_t low = hex4();
            if (low < 0xDC00 || low >= 0xE000) bad("bad surrogate pair");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          append_utf8(out, cp);
          break;
        }
        default: bad("bad escape");
      }
    }
  };
  expect('{');
  skip_space();
  if (i < text.size() && text[i] == '}') {
    ++i;
  } else {
    while (true) {
      const std::string key = string();
      expect(':');
      options.set(key, string());
      skip_space();
      if (i < text.size() && text[i] == ',') {
        ++i;
        continue;
      }
      expect('}');
      break;
    }
  }
  skip_space();
  if (i != text.size()) bad("trailing text");
}

/// One exported objective with the strings its C table points to.
struct ObjectiveSlot {
  std::unique_ptr<PluginObjective> objective;
  std::string name;
  std::string description;
  HwnasObjectiveV1 table{};
};

inline const PluginObjective& objective_of(void* handle) {
  if (handle == nullptr) throw std::invalid_argument("null objective handle");
  return *static_cast<ObjectiveSlot*>(handle)->objective;
}

inline core::Options options_of(void* handle, const char* options_json) {
  core::Options options("objective kind '" + static_cast<ObjectiveSlot*>(handle)->name + "'", "");
  parse_options_json(options_json != nullptr ? options_json : "{}", options);
  return options;
}

inline int objective_evaluate(void* h, const char* space, const char* const* archs, std::int32_t count,
                              const char* options_json, double* out, char* error, std::size_t error_size) {
  return guarded(error, error_size, [&] {
    if (space == nullptr) throw std::invalid_argument("null space name");
    if (count < 0 || (count > 0 && (archs == nullptr || out == nullptr)))
      throw std::invalid_argument("bad architecture batch");
    std::vector<std::string> texts;
    texts.reserve(static_cast<std::size_t>(count));
    for (std::int32_t i = 0; i < count; ++i) {
      if (archs[i] == nullptr) throw std::invalid_argument("null architecture string");
      texts.emplace_back(archs[i]);
    }
    const core::Options options = options_of(h, options_json);
    const std::vector<double> values = objective_of(h).evaluate(space, texts, options);
    if (values.size() != texts.size())
      throw std::invalid_argument("evaluate returned " + std::to_string(values.size()) + " values for " +
                                  std::to_string(texts.size()) + " architectures");
    std::copy(values.begin(), values.end(), out);
  });
}

inline int objective_check_options(void* h, const char* space, const char* options_json, char* error,
                                   std::size_t error_size) {
  return guarded(error, error_size, [&] {
    if (space == nullptr) throw std::invalid_argument("null space name");
    const core::Options options = options_of(h, options_json);
    objective_of(h).check_options(space, options);
    options.reject_unknown();
  });
}

/// Fills the C table of `slot` (after its objective is set).
inline void fill_objective_table(ObjectiveSlot& slot) {
  slot.name = slot.objective->name();
  slot.description = slot.objective->description();
  HwnasObjectiveV1& t = slot.table;
  t.struct_size = sizeof(HwnasObjectiveV1);
  t.handle = &slot;
  t.name = slot.name.c_str();
  t.description = slot.description.c_str();
  t.default_direction = static_cast<std::int32_t>(slot.objective->default_direction());
  t.thread_safe = slot.objective->thread_safe() ? 1 : 0;
  t.evaluate = &objective_evaluate;
  t.check_options = &objective_check_options;
}

}  // namespace detail
}  // namespace hwnas::plugin

// The entry point and the export macros (HWNAS_EXPORT_PLUGIN, HWNAS_EXPORT_OBJECTIVES, ...).
#include "hwnas/plugin/plugin_export.h"
