#pragma once
/// The identity of a measuring platform on this host: what produced a latency, so a predictor set or
/// a stored measurement can refuse to silently serve a different host, library or thread count.

#include <cstdint>
#include <string>
#include <string_view>

namespace hwnas::devices {

struct PlatformFingerprint {
  std::string platform;       ///< registry name ("libtorch-cpu-t1")
  std::string cpu_model;      ///< /proc/cpuinfo "model name" of the first processor
  int cores = 0;              ///< logical processors online
  std::string torch_version;  ///< LibTorch version ("1.13.0")
  int threads = 0;            ///< intra-op threads the platform runs with
  std::string engine;         ///< how kernels run: "eager", "torchscript/onednn-groups", "opencv-dnn", ...

  /// Stable text key: "platform|cpu_model|cores|torch_version|threads|engine".
  std::string key() const;
  /// 16 lower-case hex digits: FNV-1a 64 of key(); the same on every run and build.
  std::string hash() const;
  /// One-line JSON object with every field.
  std::string to_json() const;
  /// Inverse of to_json(); throws hwnas::Error naming a missing or mistyped field.
  static PlatformFingerprint from_json(const std::string& text);

  bool operator==(const PlatformFingerprint&) const = default;
};

/// 64-bit FNV-1a hash of `text` (stable across runs, builds and hosts, unlike std::hash).
std::uint64_t fnv1a64(std::string_view text);

/// "model name" of the first processor in a cpuinfo file (falls back to "Hardware"/"Processor"
/// lines as on ARM, then to "unknown").
std::string read_cpu_model(const std::string& cpuinfo_path = "/proc/cpuinfo");

/// Logical processors online (at least 1).
int logical_cores();

}  // namespace hwnas::devices
