#include "hwnas/search/checkpoint.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "hwnas/core/error.h"

namespace hwnas::search {

void ensure_directory(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) fail("cannot create directory '{}': {}", dir.string(), ec.message());
}

void write_file_atomic(const std::filesystem::path& file, const std::string& content) {
  std::filesystem::path tmp = file;
  tmp += ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) fail("cannot write '{}'", tmp.string());
  const bool ok = std::fwrite(content.data(), 1, content.size(), f) == content.size() && std::fflush(f) == 0 &&
                  ::fsync(::fileno(f)) == 0;
  if (std::fclose(f) != 0 || !ok) {
    std::filesystem::remove(tmp);
    fail("cannot write '{}' (disk full?)", tmp.string());
  }
  std::error_code ec;
  std::filesystem::rename(tmp, file, ec);
  if (ec) fail("cannot rename '{}' to '{}': {}", tmp.string(), file.string(), ec.message());
}

void write_checkpoint(const std::filesystem::path& file, const Checkpoint& checkpoint) {
  nlohmann::json j;
  j["format"] = "hwnas-search-checkpoint";
  j["version"] = Checkpoint::kVersion;
  j["fingerprint"] = checkpoint.fingerprint;
  j["elapsed_seconds"] = checkpoint.elapsed_seconds;
  nlohmann::json evaluations = nlohmann::json::array();
  for (const auto& e : checkpoint.evaluations) {
    nlohmann::json values = nlohmann::json::array();
    for (double v : e.values) values.push_back(std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v));
    evaluations.push_back({{"genes", e.arch.genes}, {"values", std::move(values)}});
  }
  j["evaluations"] = std::move(evaluations);
  write_file_atomic(file, j.dump() + "\n");
}

Checkpoint read_checkpoint(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) fail("no checkpoint to resume from: cannot read '{}'", file.string());
  std::ostringstream text;
  text << in.rdbuf();
  Checkpoint out;
  try {
    const auto j = nlohmann::json::parse(text.str());
    if (j.value("format", "") != "hwnas-search-checkpoint")
      fail("'{}' is not an hwnas search checkpoint", file.string());
    const int version = j.at("version").get<int>();
    if (version != Checkpoint::kVersion)
      fail("checkpoint '{}' has version {}, this hwnas reads version {}", file.string(), version, Checkpoint::kVersion);
    out.fingerprint = j.at("fingerprint").get<std::string>();
    out.elapsed_seconds = j.at("elapsed_seconds").get<double>();
    for (const auto& e : j.at("evaluations")) {
      CheckpointEntry entry;
      entry.arch.genes = e.at("genes").get<std::vector<int>>();
      for (const auto& v : e.at("values"))
        entry.values.push_back(v.is_null() ? std::numeric_limits<double>::quiet_NaN() : v.get<double>());
      out.evaluations.push_back(std::move(entry));
    }
  } catch (const nlohmann::json::exception& e) {
    fail("checkpoint '{}' is damaged: {}", file.string(), e.what());
  }
  return out;
}

}  // namespace hwnas::search
