#include "hwnas/devices/fingerprint.h"

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "hwnas/core/error.h"

namespace hwnas::devices {
namespace {

std::filesystem::path write_temp(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / name;
  std::ofstream(path) << text;
  return path;
}

PlatformFingerprint sample() {
  return {.platform = "p", .cpu_model = "Some CPU @ 2GHz", .cores = 8, .torch_version = "1.13.0", .threads = 2,
          .engine = "eager"};
}

TEST(Fingerprint, KeyListsEveryField) {
  EXPECT_EQ(sample().key(), "p|Some CPU @ 2GHz|8|1.13.0|2|eager");
}

TEST(Fingerprint, HashIsFnv1aOfTheKey) {
  // Published FNV-1a 64 test vectors (FNV reference code): "" -> offset basis, "a", "foobar".
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(fnv1a64("foobar"), 0x85944171f73967e8ULL);
  EXPECT_EQ(sample().hash(), fmt::format("{:016x}", fnv1a64(sample().key())));
  EXPECT_EQ(sample().hash().size(), 16u);
  EXPECT_EQ(sample().hash(), sample().hash());
  PlatformFingerprint other = sample();
  other.threads = 1;
  EXPECT_NE(other.hash(), sample().hash());
  EXPECT_EQ(PlatformFingerprint{}.key(), "||0||0|");
}

TEST(Fingerprint, JsonRoundTrip) {
  EXPECT_EQ(PlatformFingerprint::from_json(sample().to_json()), sample());
  EXPECT_THROW(PlatformFingerprint::from_json("{\"platform\": \"p\"}"), Error);
  EXPECT_THROW(PlatformFingerprint::from_json("not json"), Error);
  try {
    PlatformFingerprint::from_json(R"({"platform":"p","cpu_model":"c","cores":"eight","torch_version":"1",
                                       "threads":1,"engine":"eager"})");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'cores'"), std::string::npos) << e.what();
  }
}

TEST(Fingerprint, ReadsCpuModelFromCpuinfo) {
  const auto x86 = write_temp("hwnas_cpuinfo_x86", "processor\t: 0\nvendor_id\t: X\nmodel name\t: Foo CPU 9000  \n"
                                                  "processor\t: 1\nmodel name\t: Other\n");
  EXPECT_EQ(read_cpu_model(x86.string()), "Foo CPU 9000");
  const auto arm = write_temp("hwnas_cpuinfo_arm", "processor\t: 0\nBogoMIPS\t: 108\nHardware\t: BCM2835\n");
  EXPECT_EQ(read_cpu_model(arm.string()), "BCM2835");
  EXPECT_EQ(read_cpu_model("/nonexistent/cpuinfo"), "unknown");
  std::filesystem::remove(x86);
  std::filesystem::remove(arm);
}

TEST(Fingerprint, LogicalCoresIsPositive) { EXPECT_GE(logical_cores(), 1); }

}  // namespace
}  // namespace hwnas::devices
