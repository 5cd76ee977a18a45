#include "hwnas/core/error.h"

#include <cstdio>
#include <cstdlib>

namespace hwnas::detail {

void assertion_failed(const char* condition, const char* file, int line, const std::string& message) {
  std::fprintf(stderr, "hwnas internal error: %s:%d: assertion '%s' failed%s%s\n", file, line, condition,
               message.empty() ? "" : ": ", message.c_str());
  std::abort();
}

}  // namespace hwnas::detail
