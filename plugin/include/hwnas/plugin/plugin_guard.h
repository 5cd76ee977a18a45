#pragma once
/// The exception firewall of the header-only plugin helpers (space_plugin.h, objective_plugin.h):
/// every C function of a plugin table runs its body through guarded(), so a C++ exception crosses the
/// boundary as an error status and its what() text, never as an exception.

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>

#include "hwnas/plugin/plugin_abi.h"

namespace hwnas::plugin::detail {

/// Copies `message` into the caller's buffer, truncated and NUL-terminated.
inline void write_error(char* error, std::size_t error_size, std::string_view message) {
  if (error == nullptr || error_size == 0) return;
  const std::size_t n = std::min(message.size(), error_size - 1);
  std::memcpy(error, message.data(), n);
  error[n] = '\0';
}

/// Runs `body`, turning any exception into HWNAS_PLUGIN_ERROR plus its message.
template <typename Body>
int guarded(char* error, std::size_t error_size, Body&& body) noexcept {
  try {
    body();
    return HWNAS_PLUGIN_OK;
  } catch (const std::exception& e) {
    write_error(error, error_size, e.what());
  } catch (...) {
    write_error(error, error_size, "unknown exception (not derived from std::exception)");
  }
  return HWNAS_PLUGIN_ERROR;
}

/// A string the host releases with the table's free_string.
inline char* copy_string(const std::string& text) {
  char* out = new char[text.size() + 1];
  std::memcpy(out, text.c_str(), text.size() + 1);
  return out;
}

inline void free_string(char* text) { delete[] text; }

}  // namespace hwnas::plugin::detail
