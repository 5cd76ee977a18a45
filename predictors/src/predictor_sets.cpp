#include "hwnas/predictors/predictor_sets.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "hwnas/core/data_dir.h"
#include "hwnas/core/error.h"

namespace hwnas::predictors {

std::vector<std::string> shipped_predictor_sets() {
  std::vector<std::string> names;
  const auto root = core::data_dir() / "predictors";
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(root, ec))
    if (std::filesystem::exists(entry.path() / "manifest.json")) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::filesystem::path predictor_set_path(const std::string& name_or_dir) {
  if (std::filesystem::is_directory(name_or_dir)) return name_or_dir;
  const auto shipped = core::data_dir() / "predictors" / name_or_dir;
  if (name_or_dir.find('/') == std::string::npos && std::filesystem::is_directory(shipped)) return shipped;
  fail("predictor set '{}' is neither a directory nor a shipped set (shipped: {})", name_or_dir,
       fmt::join(shipped_predictor_sets(), ", "));
}

}  // namespace hwnas::predictors
