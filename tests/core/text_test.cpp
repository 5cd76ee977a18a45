#include <gtest/gtest.h>

#include "hwnas/core/text.h"

namespace hwnas::core::detail {
namespace {

TEST(ParseUtcTime, ReadsMinutesSecondsAndEpochSeconds) {
  // Cross-checked with `date -u -d 2026-11-23T07:00:00 +%s`.
  EXPECT_EQ(parse_utc_time("2026-11-23T07:00"), 1795417200);
  EXPECT_EQ(parse_utc_time("2026-11-23T07:00:30"), 1795417230);
  EXPECT_EQ(parse_utc_time(" 2026-11-23T07:00 "), 1795417200);
  EXPECT_EQ(parse_utc_time("@1795417200"), 1795417200);
}

TEST(ParseUtcTime, RejectsAnythingElse) {
  for (const char* bad : {"", "2026-11-23", "2026-11-23T07", "2026-11-23T07:00x", "2026-11-23T07:00:", "07:00",
                          "@", "@12x", "yesterday", "2026-13-01T00:00", "2026-11-23T24:00", "2026-11-23 07:00",
                          "2026-11-23T07:00:3x", "2026-1x-23T07:00"})
    EXPECT_FALSE(parse_utc_time(bad).has_value()) << bad;
}

}  // namespace
}  // namespace hwnas::core::detail
