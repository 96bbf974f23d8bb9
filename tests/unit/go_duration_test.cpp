// Go's durations (text/go_duration.hpp): time.Duration.String as SHOW RETENTION POLICIES prints
// it, and time.ParseDuration with d and w added for command-line flags.
#include "ifx/format/text/go_duration.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace {

using ifx::text::format_go_duration;
using ifx::text::parse_go_duration;
constexpr std::int64_t kSecond = 1'000'000'000LL;

// ---- time.Duration.String ------------------------------------------------------------------

TEST(GoDuration, AsInfluxShowsRetentionPolicies) {
  EXPECT_EQ(format_go_duration(0), "0s");
  EXPECT_EQ(format_go_duration(604800000000000), "168h0m0s");
  EXPECT_EQ(format_go_duration(5400000000000), "1h30m0s");
  EXPECT_EQ(format_go_duration(90000000000), "1m30s");
  EXPECT_EQ(format_go_duration(1500000000), "1.5s");
}

TEST(GoDuration, BelowASecondUsesSmallerUnits) {
  // time.Duration.String: 1.5ms, not 0.0015s.
  EXPECT_EQ(format_go_duration(1), "1ns");
  EXPECT_EQ(format_go_duration(999), "999ns");
  EXPECT_EQ(format_go_duration(1'000), "1\xC2\xB5s");
  EXPECT_EQ(format_go_duration(1'500), "1.5\xC2\xB5s");
  EXPECT_EQ(format_go_duration(100'000), "100\xC2\xB5s");
  EXPECT_EQ(format_go_duration(1'500'000), "1.5ms");
  EXPECT_EQ(format_go_duration(250'000'000), "250ms");
  EXPECT_EQ(format_go_duration(999'999'999), "999.999999ms");
}

TEST(GoDuration, FractionsNegativesAndTheInt64Limits) {
  EXPECT_EQ(format_go_duration(kSecond), "1s");
  EXPECT_EQ(format_go_duration(60 * kSecond + 1), "1m0.000000001s");
  EXPECT_EQ(format_go_duration(3600 * kSecond + 500'000'000), "1h0m0.5s");
  EXPECT_EQ(format_go_duration(-5400 * kSecond), "-1h30m0s");
  EXPECT_EQ(format_go_duration(-1'500'000), "-1.5ms");
  EXPECT_EQ(format_go_duration(std::numeric_limits<std::int64_t>::max()), "2562047h47m16.854775807s");
  EXPECT_EQ(format_go_duration(std::numeric_limits<std::int64_t>::min()), "-2562047h47m16.854775808s");
}

// ---- time.ParseDuration, plus d and w ------------------------------------------------------

TEST(ParseDuration, GoSpellingsAndDays) {
  EXPECT_EQ(parse_go_duration("26h"), 26 * 3600 * kSecond);
  EXPECT_EQ(parse_go_duration("1h30m"), 5400 * kSecond);
  EXPECT_EQ(parse_go_duration("90s"), 90 * kSecond);
  EXPECT_EQ(parse_go_duration("1.5h"), 5400 * kSecond);
  EXPECT_EQ(parse_go_duration("250ms"), 250'000'000);
  EXPECT_EQ(parse_go_duration("1m5s"), 65 * kSecond);
  EXPECT_EQ(parse_go_duration("2d"), 48 * 3600 * kSecond);
  EXPECT_EQ(parse_go_duration("1w"), 7 * 24 * 3600 * kSecond);
  EXPECT_EQ(parse_go_duration("1ns"), 1);
}

TEST(ParseDuration, RejectsWhatIsNotADuration) {
  for (const char* bad : {"", "26", "h", "3x", "1h-", "1..2h", "99999999999h", "-", "+", ".", ".s", "1.2.3s", "1hh",
                          "1 h", "1H", "1sec", "9223372036854775808ns", "2562048h", "15250w2d"}) {
    auto r = parse_go_duration(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ifx::ErrorCode::invalid_argument) << bad;
    EXPECT_NE(r.error().message.find(std::string("\"") + bad + "\""), std::string::npos) << r.error().message;
  }
}

TEST(ParseDuration, SignsZeroAndEveryUnitAsGoReadsThem) {
  EXPECT_EQ(parse_go_duration("0"), 0);
  EXPECT_EQ(parse_go_duration("-0"), 0);
  EXPECT_EQ(parse_go_duration("0s"), 0);
  EXPECT_EQ(parse_go_duration("-1h"), -3600 * kSecond);
  EXPECT_EQ(parse_go_duration("+1h"), 3600 * kSecond);
  EXPECT_EQ(parse_go_duration("-1.5h"), -5400 * kSecond);
  EXPECT_EQ(parse_go_duration("7us"), 7'000);
  EXPECT_EQ(parse_go_duration("7\xC2\xB5s"), 7'000);  // U+00B5 micro sign
  EXPECT_EQ(parse_go_duration("7\xCE\xBCs"), 7'000);  // U+03BC Greek mu
  EXPECT_EQ(parse_go_duration("1.s"), kSecond);
  EXPECT_EQ(parse_go_duration(".5s"), 500'000'000);
  EXPECT_EQ(parse_go_duration("1h1m1s1ms1us1ns"), 3661 * kSecond + 1'001'001);
  EXPECT_EQ(parse_go_duration("1w1d"), 8 * 24 * 3600 * kSecond);
}

TEST(ParseDuration, ExactToTheNanosecondWhereADoubleIsNot) {
  // 1000 days and one nanosecond: past 2^53 ns, where summing in a double loses the 1.
  EXPECT_EQ(parse_go_duration("1000d1ns"), 1000 * 86400 * kSecond + 1);
  EXPECT_EQ(parse_go_duration("2562047h47m16.854775807s"), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(parse_go_duration("-2562047h47m16.854775808s"), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(parse_go_duration("9223372036854775807ns"), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(parse_go_duration("0.000000001s"), 1);
  EXPECT_EQ(parse_go_duration("1.0000000001s"), kSecond);  // digits past the nanosecond dropped
  EXPECT_EQ(parse_go_duration("0.1234567891234567891234h"), 444'444'440'844);
}

TEST(ParseDuration, ReadsBackWhatDurationStringWrites) {
  for (std::int64_t ns : {std::int64_t{1}, std::int64_t{1'500}, std::int64_t{1'500'000}, std::int64_t{999'999'999},
                          kSecond, 5400 * kSecond + 7, 604800 * kSecond, -90 * kSecond,
                          std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::int64_t>::min()}) {
    EXPECT_EQ(parse_go_duration(format_go_duration(ns)), ns) << format_go_duration(ns);
  }
}

}  // namespace

// ---- durations for people ------------------------------------------------------------------

namespace {

using ifx::text::format_human_duration;

TEST(HumanDuration, TwoLargestUnitsTruncated) {
  const std::int64_t h = 3600 * kSecond;
  // 187h28m25.006813519s, as --max-age printed it before.
  EXPECT_EQ(format_human_duration(187 * h + 28 * 60 * kSecond + 25 * kSecond + 6813519), "7d19h");
  EXPECT_EQ(format_human_duration(26 * h), "1d2h");
  EXPECT_EQ(format_human_duration(24 * h), "1d0h");
  EXPECT_EQ(format_human_duration(5 * h + 3 * 60 * kSecond + 59 * kSecond), "5h3m");
  EXPECT_EQ(format_human_duration(12 * 60 * kSecond + 5 * kSecond + 999'999'999), "12m5s");
  EXPECT_EQ(format_human_duration(42 * kSecond + 1), "42s");
  EXPECT_EQ(format_human_duration(999'999'999), "0s");
  EXPECT_EQ(format_human_duration(0), "0s");
  EXPECT_EQ(format_human_duration(-90 * kSecond), "-1m30s");
  EXPECT_EQ(format_human_duration(std::numeric_limits<std::int64_t>::min()), "-106751d23h");
}

}  // namespace
