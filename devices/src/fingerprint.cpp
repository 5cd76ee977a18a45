#include "hwnas/devices/fingerprint.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "hwnas/core/error.h"

namespace hwnas::devices {
namespace {

std::string trim(const std::string& s) {
  const auto begin = s.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  return s.substr(begin, s.find_last_not_of(" \t") - begin + 1);
}

}  // namespace

std::string PlatformFingerprint::key() const {
  return fmt::format("{}|{}|{}|{}|{}|{}", platform, cpu_model, cores, torch_version, threads, engine);
}

std::uint64_t fnv1a64(std::string_view text) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string PlatformFingerprint::hash() const { return fmt::format("{:016x}", fnv1a64(key())); }

std::string PlatformFingerprint::to_json() const {
  const nlohmann::json j = {{"platform", platform}, {"cpu_model", cpu_model},     {"cores", cores},
                            {"torch_version", torch_version}, {"threads", threads}, {"engine", engine}};
  return j.dump();
}

PlatformFingerprint PlatformFingerprint::from_json(const std::string& text) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    fail("platform fingerprint: not JSON: {}", e.what());
  }
  HWNAS_CHECK(j.is_object(), "platform fingerprint: expected a JSON object, got '{}'", text);
  const auto field = [&](const char* name, auto& out) {
    HWNAS_CHECK(j.contains(name), "platform fingerprint: missing field '{}' in {}", name, text);
    try {
      j.at(name).get_to(out);
    } catch (const nlohmann::json::exception&) {
      fail("platform fingerprint: field '{}' has the wrong type in {}", name, text);
    }
  };
  PlatformFingerprint f;
  field("platform", f.platform);
  field("cpu_model", f.cpu_model);
  field("cores", f.cores);
  field("torch_version", f.torch_version);
  field("threads", f.threads);
  field("engine", f.engine);
  return f;
}

std::string read_cpu_model(const std::string& cpuinfo_path) {
  std::ifstream in(cpuinfo_path);
  std::string line, fallback;
  while (std::getline(in, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string name = trim(line.substr(0, colon));
    const std::string value = trim(line.substr(colon + 1));
    if (value.empty()) continue;
    if (name == "model name") return value;
    if (fallback.empty() && (name == "Hardware" || name == "Processor")) fallback = value;
  }
  return fallback.empty() ? "unknown" : fallback;
}

int logical_cores() {
  const long online = sysconf(_SC_NPROCESSORS_ONLN);
  if (online > 0) return static_cast<int>(online);
  return std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace hwnas::devices
