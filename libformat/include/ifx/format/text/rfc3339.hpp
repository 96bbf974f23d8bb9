// RFC 3339 times as Go's time package writes and reads them: the snapshotter request's times
// (docs/FORMATS.md §1.4), the -start/-end/-since flags of influxd's CLIs, the export header (§8.4) and
// every time the tools print. Instants are Unix nanoseconds (int64, as InfluxDB stores them);
// the UTC offset is kept apart so a time the user typed prints back in the user's zone.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ifx/format/error.hpp"

namespace ifx::text {

struct Rfc3339Time {
  std::int64_t unix_ns = 0;
  std::int32_t utc_offset_seconds = 0;  // east of UTC; 0 prints "Z"

  bool operator==(const Rfc3339Time&) const = default;
};

// Go's zero time.Time (January 1, year 1, UTC), which lies outside the int64-nanosecond range;
// callers that model it as "no time" print this.
inline constexpr std::string_view kGoZeroTime = "0001-01-01T00:00:00Z";

// time.RFC3339Nano: "2006-01-02T15:04:05.999999999Z07:00", the wall clock of the zone, the
// fraction with its trailing zeros trimmed (none when zero), "Z" or "±hh:mm".
// 0 → "1970-01-01T00:00:00Z", -1 → "1969-12-31T23:59:59.999999999Z".
void append_rfc3339_nano(std::string& out, std::int64_t unix_ns, std::int32_t utc_offset_seconds = 0);
std::string format_rfc3339_nano(std::int64_t unix_ns, std::int32_t utc_offset_seconds = 0);

// time.RFC3339: "2006-01-02T15:04:05Z07:00", the instant floored to its second (as
// time.Unix(0, ns) does): -1 → "1969-12-31T23:59:59Z".
void append_rfc3339(std::string& out, std::int64_t unix_ns, std::int32_t utc_offset_seconds = 0);

// "YYYY-MM-DDTHH:MM:SS[.frac](Z|±hh:mm)": T or t, Z or z, '.' or ',' before up to 9 fraction
// digits, as time.Parse(time.RFC3339, …) reads influxd's flags. Malformed, or outside the
// int64-nanosecond range (1677-09-21T00:12:43.145224192Z to 2262-04-11T23:47:16.854775807Z):
// "invalid-argument" naming the text and what was expected.
Result<Rfc3339Time> parse_rfc3339(std::string_view text);

}  // namespace ifx::text
