#pragma once
// The message of the hwnas::Error a piece of code throws: what most tests of bad input assert on.

#include <string>

#include "hwnas/core/error.h"

namespace hwnas::test {

/// Runs `body`; returns the what() of the hwnas::Error it throws, or a marker that cannot match any
/// expected message when it throws none.
template <typename Body>
std::string error_of(Body&& body) {
  try {
    body();
  } catch (const Error& e) {
    return e.what();
  }
  return "<no hwnas::Error thrown>";
}

}  // namespace hwnas::test
