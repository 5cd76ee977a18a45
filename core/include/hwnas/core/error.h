#pragma once
/// Errors of hwnas: user errors throw hwnas::Error with a formatted message naming what is wrong
/// and where; broken internal invariants use HWNAS_ASSERT and abort loudly.

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace hwnas {

/// A user-facing error: bad input, a missing file, an unknown name. The message is one line that
/// names the offending value and, where it helps, the valid alternatives.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

/// Throws hwnas::Error with a fmt-formatted message.
template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...));
}

namespace detail {
[[noreturn]] void assertion_failed(const char* condition, const char* file, int line, const std::string& message);
}  // namespace detail

}  // namespace hwnas

/// Checks an internal invariant (a bug if it fails, never user input).
#define HWNAS_ASSERT(condition, ...)                                                          \
  do {                                                                                        \
    if (!(condition)) ::hwnas::detail::assertion_failed(#condition, __FILE__, __LINE__,       \
                                                        ::fmt::format("" __VA_ARGS__));       \
  } while (0)

/// Checks a user-facing precondition; throws hwnas::Error with the formatted message.
#define HWNAS_CHECK(condition, ...)                  \
  do {                                               \
    if (!(condition)) ::hwnas::fail(__VA_ARGS__);    \
  } while (0)
