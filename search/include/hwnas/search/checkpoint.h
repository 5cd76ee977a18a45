#pragma once
/// Checkpoints of a search: the settings fingerprint and every evaluation so far, in order. Resuming
/// replays the search from the start with the same seed, taking values from the checkpoint instead
/// of evaluating again, so a resumed search ends exactly as an uninterrupted one would (strategies
/// need no serialization of their own state). File: JSON, written atomically (temp file + rename).

#include <filesystem>
#include <string>
#include <vector>

#include "hwnas/spaces/search_space.h"

namespace hwnas::search {

struct CheckpointEntry {
  spaces::Arch arch;
  std::vector<double> values;  ///< NaN = unavailable (null in the file)
};

struct Checkpoint {
  static constexpr int kVersion = 1;
  std::string fingerprint;  ///< result_fingerprint() of the config
  double elapsed_seconds = 0;
  std::vector<CheckpointEntry> evaluations;
};

void write_checkpoint(const std::filesystem::path& file, const Checkpoint& checkpoint);
/// Throws hwnas::Error naming the file when it is missing, unreadable or of another version.
Checkpoint read_checkpoint(const std::filesystem::path& file);

/// Creates `dir` and its parents if needed; throws hwnas::Error naming it when that fails.
void ensure_directory(const std::filesystem::path& dir);

/// Writes `content` to a temporary file beside `file`, flushes it to disk, then renames it over
/// `file`, so readers see the old or the new content, never a torn one.
void write_file_atomic(const std::filesystem::path& file, const std::string& content);

}  // namespace hwnas::search
