#include "hwnas/core/data_dir.h"

#include <cstdlib>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "hwnas/core/error.h"

#ifndef HWNAS_DEFAULT_DATA_DIR
#define HWNAS_DEFAULT_DATA_DIR "data"
#endif

namespace hwnas::core {

std::filesystem::path data_dir() {
  if (const char* env = std::getenv("HWNAS_DATA_DIR"); env && *env) return env;
  // A build runs from its source tree's data/; an installed hwnas from <prefix>/share/hwnas/data,
  // found next to the running executable (<prefix>/bin/hwnas).
  if (std::filesystem::is_directory(HWNAS_DEFAULT_DATA_DIR)) return HWNAS_DEFAULT_DATA_DIR;
  std::error_code error;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", error);
  if (!error) {
    const auto installed = exe.parent_path().parent_path() / "share" / "hwnas" / "data";
    if (std::filesystem::is_directory(installed)) return installed;
  }
  return HWNAS_DEFAULT_DATA_DIR;
}

std::filesystem::path resolve_input_path(const std::string& path, const std::filesystem::path& base_dir,
                                         const std::string& what) {
  const std::filesystem::path p(path);
  if (p.is_absolute()) {
    if (!std::filesystem::exists(p)) fail("{}: file '{}' does not exist", what, path);
    return p;
  }
  std::vector<std::filesystem::path> tried;
  if (!base_dir.empty()) tried.push_back(base_dir / p);
  tried.push_back(data_dir() / p);
  for (const auto& candidate : tried)
    if (std::filesystem::exists(candidate)) return std::filesystem::weakly_canonical(candidate);
  std::vector<std::string> names;
  for (const auto& t : tried) names.push_back(t.string());
  fail("{}: file '{}' not found (tried {})", what, path, fmt::join(names, ", "));
}

}  // namespace hwnas::core
