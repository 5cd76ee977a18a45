#pragma once
/// Where shipped data (tables, default predictor sets) is found, and how input paths resolve.

#include <filesystem>
#include <string>

namespace hwnas::core {

/// The shipped data directory: $HWNAS_DATA_DIR if set, else the source tree's data/ of this build,
/// else <prefix>/share/hwnas/data of an installed hwnas.
std::filesystem::path data_dir();

/// Resolves a path option: absolute as is; relative against `base_dir`, then against the data
/// directory (data_dir()). Throws hwnas::Error, prefixed with `what`, listing the places tried when no file exists.
std::filesystem::path resolve_input_path(const std::string& path, const std::filesystem::path& base_dir,
                                         const std::string& what);

}  // namespace hwnas::core
