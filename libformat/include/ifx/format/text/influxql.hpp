// InfluxQL text as the influxql package writes it: identifiers (QuoteIdent) and duration literals
// (FormatDuration), for the DDL of an export (docs/FORMATS.md §8.4) and the statements the tools send.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ifx::text {

// influxql.QuoteIdent for one identifier: bare when it matches [A-Za-z_][A-Za-z0-9_]* and is not
// an InfluxQL keyword (any case), else in double quotes with `\`, `"` and newline escaped.
std::string quote_influxql_ident(std::string_view ident);

// influxql.FormatDuration: the largest unit that divides exactly ("1w", "1d", "25h", "90m",
// "61s", "1500ms", "3u", "7ns"); 0 → "0s". Not time.Duration.String (go_duration.hpp).
std::string format_influxql_duration(std::int64_t nanoseconds);

}  // namespace ifx::text
