#pragma once
// Helpers shared by the search tests: scratch directories and file reading.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace hwnas::search::test {

/// A fresh empty directory under the build tree, named after the running test (and `suffix`).
inline std::filesystem::path scratch_dir(const std::string& suffix = "") {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::filesystem::path dir = std::filesystem::path(HWNAS_TEST_BINARY_DIR) / "test_scratch" / "search" /
                              (std::string(info->test_suite_name()) + "." + info->name() + (suffix.empty() ? "" : "_" + suffix));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

inline std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void write_text(const std::filesystem::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary);
  out << text;
}

/// Runs `fn` and returns the hwnas::Error message it throws ("" when it throws none).
template <typename Fn>
std::string error_of(Fn fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace hwnas::search::test
