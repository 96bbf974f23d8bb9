// --max-age durations (tools/common/duration.hpp): Go's spellings plus d and w.
#include <gtest/gtest.h>

#include "common/duration.hpp"

namespace {

using ifx::cli::parse_duration;
constexpr std::int64_t kSecond = 1'000'000'000LL;

TEST(ParseDuration, GoSpellingsAndDays) {
  EXPECT_EQ(parse_duration("26h"), 26 * 3600 * kSecond);
  EXPECT_EQ(parse_duration("1h30m"), 5400 * kSecond);
  EXPECT_EQ(parse_duration("90s"), 90 * kSecond);
  EXPECT_EQ(parse_duration("1.5h"), 5400 * kSecond);
  EXPECT_EQ(parse_duration("250ms"), 250'000'000);
  EXPECT_EQ(parse_duration("1m5s"), 65 * kSecond);
  EXPECT_EQ(parse_duration("2d"), 48 * 3600 * kSecond);
  EXPECT_EQ(parse_duration("1w"), 7 * 24 * 3600 * kSecond);
  EXPECT_EQ(parse_duration("1ns"), 1);
}

TEST(ParseDuration, RejectsWhatIsNotAPositiveDuration) {
  for (const char* bad : {"", "26", "h", "3x", "-1h", "1h-", "0s", "1..2h", "99999999999h"}) {
    auto r = parse_duration(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, "usage") << bad;
  }
}

}  // namespace
