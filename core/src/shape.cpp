#include "hwnas/core/shape.h"

#include <charconv>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "hwnas/core/error.h"

namespace hwnas::core {

std::int64_t numel(const Shape& shape) {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

std::string to_string(const Shape& shape) { return fmt::format("{}", fmt::join(shape, "x")); }

Shape parse_shape(const std::string& text) {
  Shape shape;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t end = text.find_first_of(",x", pos);
    if (end == std::string::npos) end = text.size();
    std::int64_t value = 0;
    const char* first = text.data() + pos;
    const char* last = text.data() + end;
    auto [ptr, ec] = std::from_chars(first, last, value);
    if (ec != std::errc() || ptr != last || value <= 0)
      fail("bad shape '{}': expected positive integers separated by ',' such as 1,3,224,224", text);
    shape.push_back(value);
    pos = end + 1;
  }
  return shape;
}

}  // namespace hwnas::core
