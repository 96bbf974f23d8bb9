// RFC 3339 as Go's time package writes and reads it (text/rfc3339.hpp): RFC3339Nano for the
// snapshotter request (docs/FORMATS.md §1.4) and everything the tools print, RFC3339 (whole seconds)
// for the export header (§8.4), and time.Parse(time.RFC3339, …) for the time flags.
#include "ifx/format/text/rfc3339.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace {

using ifx::text::format_rfc3339_nano;
using ifx::text::parse_rfc3339;
using ifx::text::Rfc3339Time;

constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
// influxd's export limits: the int64 range rounded inwards to whole seconds.
constexpr std::int64_t kExportMinUnixNs = -9223372036000000000;
constexpr std::int64_t kExportMaxUnixNs = 9223372036000000000;

Rfc3339Time at(std::string_view text) {
  auto t = parse_rfc3339(text);
  EXPECT_TRUE(t) << t.error().message;
  return t ? *t : Rfc3339Time{};
}

std::string seconds_layout(std::int64_t unix_ns, std::int32_t offset = 0) {
  std::string out;
  ifx::text::append_rfc3339(out, unix_ns, offset);
  return out;
}

// ---- RFC3339Nano ---------------------------------------------------------------------------

TEST(Rfc3339Nano, EpochAndFractions) {
  EXPECT_EQ(format_rfc3339_nano(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_rfc3339_nano(1600000000000000000), "2020-09-13T12:26:40Z");
  EXPECT_EQ(format_rfc3339_nano(1500000000500000000), "2017-07-14T02:40:00.5Z");
  EXPECT_EQ(format_rfc3339_nano(1), "1970-01-01T00:00:00.000000001Z");
}

TEST(Rfc3339Nano, FractionTrailingZerosTrimmed) {
  EXPECT_EQ(format_rfc3339_nano(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_rfc3339_nano(500'000'000), "1970-01-01T00:00:00.5Z");
  EXPECT_EQ(format_rfc3339_nano(1'000'000'001), "1970-01-01T00:00:01.000000001Z");
  EXPECT_EQ(format_rfc3339_nano(120'000), "1970-01-01T00:00:00.00012Z");
  EXPECT_EQ(format_rfc3339_nano(1'700'000'000'000'000'000), "2023-11-14T22:13:20Z");
}

TEST(Rfc3339Nano, BeforeTheEpochFloorsToTheRightSecond) {
  EXPECT_EQ(format_rfc3339_nano(-1), "1969-12-31T23:59:59.999999999Z");
  EXPECT_EQ(format_rfc3339_nano(-500'000'000), "1969-12-31T23:59:59.5Z");
  EXPECT_EQ(format_rfc3339_nano(-86'400'000'000'000), "1969-12-31T00:00:00Z");
}

TEST(Rfc3339Nano, TheInt64LimitsAndTheExportLimits) {
  EXPECT_EQ(format_rfc3339_nano(kMin), "1677-09-21T00:12:43.145224192Z");
  EXPECT_EQ(format_rfc3339_nano(kMax), "2262-04-11T23:47:16.854775807Z");
  EXPECT_EQ(format_rfc3339_nano(kExportMinUnixNs), "1677-09-21T00:12:44Z");
  EXPECT_EQ(format_rfc3339_nano(kExportMaxUnixNs), "2262-04-11T23:47:16Z");
}

TEST(Rfc3339Nano, OffsetsPrintTheWallClockOfTheZone) {
  // 2026-11-23T11:00:00Z seen from +01:00 and -05:30.
  const std::int64_t ns = at("2026-11-23T11:00:00Z").unix_ns;
  EXPECT_EQ(format_rfc3339_nano(ns, 3600), "2026-11-23T12:00:00+01:00");
  EXPECT_EQ(format_rfc3339_nano(ns, -19800), "2026-11-23T05:30:00-05:30");
}

TEST(Rfc3339Nano, OffsetsAcrossDaysAndPastTheInt64Range) {
  EXPECT_EQ(format_rfc3339_nano(0, -19800), "1969-12-31T18:30:00-05:30");
  EXPECT_EQ(format_rfc3339_nano(-1, 3600), "1970-01-01T00:59:59.999999999+01:00");
  // The wall clock lies outside int64 nanoseconds; the instant does not.
  EXPECT_EQ(format_rfc3339_nano(kMax, 14 * 3600), "2262-04-12T13:47:16.854775807+14:00");
  EXPECT_EQ(format_rfc3339_nano(kMin, -12 * 3600), "1677-09-20T12:12:43.145224192-12:00");
}

// ---- RFC3339 (whole seconds) ---------------------------------------------------------------

TEST(Rfc3339Seconds, FloorsToTheSecondAsTimeUnixDoes) {
  EXPECT_EQ(seconds_layout(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(seconds_layout(-1), "1969-12-31T23:59:59Z");
  EXPECT_EQ(seconds_layout(1600000000999999999), "2020-09-13T12:26:40Z");
  EXPECT_EQ(seconds_layout(kMin), "1677-09-21T00:12:43Z");
  EXPECT_EQ(seconds_layout(kMax), "2262-04-11T23:47:16Z");
  EXPECT_EQ(seconds_layout(1'500'000'000, 3600), "1970-01-01T01:00:01+01:00");
}

// ---- time.Parse(time.RFC3339, …) -----------------------------------------------------------

TEST(Rfc3339Parse, RoundTripsAndRejects) {
  for (const char* s : {"2026-11-20T00:00:00.5Z", "2026-11-23T12:00:00+01:00", "1970-01-01T00:00:00Z",
                        "2000-02-29T23:59:59.123456789-08:00", "1677-09-21T00:12:44Z", "2262-04-11T23:47:16Z"}) {
    auto t = parse_rfc3339(s);
    ASSERT_TRUE(t) << s << ": " << t.error().message;
    EXPECT_EQ(format_rfc3339_nano(t->unix_ns, t->utc_offset_seconds), s);
  }
  EXPECT_EQ(at("2024-01-01T01:00:00+01:00").unix_ns, at("2024-01-01T00:00:00Z").unix_ns);
  EXPECT_EQ(at("2024-01-01T00:00:00.250z").unix_ns, 1704067200250000000);
  for (const char* s :
       {"", "garbage", "2024-01-01", "2024-01-01T00:00:00", "2024-13-01T00:00:00Z", "2023-02-29T00:00:00Z",
        "2024-01-01T24:00:00Z", "2024-01-01T00:00:00.Z", "2024-01-01T00:00:00.1234567890Z", "2024-01-01T00:00:00+1:00",
        "2024-01-01T00:00:00Zjunk", "1600-01-01T00:00:00Z", "2263-01-01T00:00:00Z"}) {
    auto t = parse_rfc3339(s);
    ASSERT_FALSE(t) << s;
    EXPECT_EQ(t.error().code, ifx::ErrorCode::invalid_argument);
    EXPECT_NE(t.error().message.find(std::string("\"") + s + "\""), std::string::npos) << t.error().message;
  }
}

TEST(Rfc3339Parse, KeepsTheOffsetAndReadsTheWholeInt64Range) {
  EXPECT_EQ(at("2026-11-23T12:00:00+01:00"), (Rfc3339Time{at("2026-11-23T11:00:00Z").unix_ns, 3600}));
  EXPECT_EQ(at("2026-11-23T05:30:00-05:30").utc_offset_seconds, -19800);
  EXPECT_EQ(at("2026-11-23T05:30:00-00:00").utc_offset_seconds, 0);
  EXPECT_EQ(at("2024-01-01T00:00:00,5Z").unix_ns, 1704067200500000000);  // Go reads ',' too
  EXPECT_EQ(at("1677-09-21T00:12:43.145224192Z").unix_ns, kMin);
  EXPECT_EQ(at("2262-04-11T23:47:16.854775807Z").unix_ns, kMax);
  EXPECT_EQ(at("2262-04-12T13:47:16.854775807+14:00").unix_ns, kMax);
  for (const char* s : {"1677-09-21T00:12:43.145224191Z", "2262-04-11T23:47:16.854775808Z"}) {
    auto t = parse_rfc3339(s);
    ASSERT_FALSE(t) << s;
    EXPECT_EQ(t.error().code, ifx::ErrorCode::invalid_argument);
    EXPECT_NE(t.error().message.find("outside the range"), std::string::npos) << t.error().message;
  }
}

}  // namespace
