// Durations as Go's time package writes and reads them: SHOW RETENTION POLICIES prints
// time.Duration.String ("168h0m0s"), and command-line flags take time.ParseDuration's spellings
// ("26h", "1h30m", "1.5h") plus "d" and "w", which people write for backup ages.
// influxql's own duration literal ("7d", "1w") is in influxql.hpp.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ifx/format/error.hpp"

namespace ifx::text {

// time.Duration.String: hours, minutes and seconds ("1h30m0s", "168h0m0s", "1m30s", "1.5s",
// no days); below one second the largest of ms, µs, ns that keeps an integer part ("1.5ms",
// "100µs", "7ns"); 0 → "0s"; negative durations with a leading "-".
std::string format_go_duration(std::int64_t nanoseconds);

// A duration for people, e.g. a backup's age: its two largest units, truncated: days and hours
// ("7d19h") from a day up, hours and minutes ("5h3m") under a day, minutes and seconds ("12m5s")
// under an hour, seconds ("42s") under a minute; negative with a leading "-". Every tool shows
// ages this way; Go's form (above) is for what InfluxDB itself prints, such as RP durations.
std::string format_human_duration(std::int64_t nanoseconds);

// time.ParseDuration, plus the units "d" (24h) and "w" (7d): an optional sign, then one or more
// decimal numbers (fraction allowed) each with a unit: ns, us (or µs, μs), ms, s, m, h, d, w.
// "0" alone is zero. Fractions are exact to the nanosecond as Go computes them. A unit missing
// or unknown, no digits, or a value past the int64 range: "invalid-argument" naming the text.
Result<std::int64_t> parse_go_duration(std::string_view text);

}  // namespace ifx::text
