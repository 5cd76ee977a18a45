#pragma once
/// Static tensor shapes. Images are NCHW, token sequences are (N, L, C); the batch is always dim 0.

#include <cstdint>
#include <string>
#include <vector>

namespace hwnas::core {

using Shape = std::vector<std::int64_t>;

/// Number of elements of a shape (1 for a scalar shape).
std::int64_t numel(const Shape& shape);

/// "1x16x32x32".
std::string to_string(const Shape& shape);

/// Parses "1,3,224,224" or "1x3x224x224"; throws hwnas::Error naming the bad text.
Shape parse_shape(const std::string& text);

}  // namespace hwnas::core
