#pragma once
/// Finding a predictor set by name: the ones hwnas ships live in the data directory
/// (data/predictors/<platform>/), and any other is a directory the user names.

#include <filesystem>
#include <string>
#include <vector>

namespace hwnas::predictors {

/// The platforms with a shipped predictor set, sorted.
std::vector<std::string> shipped_predictor_sets();

/// `name_or_dir` as a predictor set directory: an existing directory as is, else a shipped set of that
/// name. Throws hwnas::Error naming it and listing the shipped sets when it is neither.
std::filesystem::path predictor_set_path(const std::string& name_or_dir);

/// The set searches and `hwnas predict` use when none is named.
inline constexpr const char* kDefaultPredictorSet = "libtorch-cpu-t1";

}  // namespace hwnas::predictors
