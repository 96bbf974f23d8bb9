// Durations on the command line, as Go's time.ParseDuration spells them ("26h", "1h30m",
// "90s", "1.5h") plus "d" (24h) and "w" (7d), which people write for backup ages.
#pragma once

#include <cstdint>
#include <string_view>

#include "ifx/format/error.hpp"

namespace ifx::cli {

// Nanoseconds; "usage" error naming the text when it is not a positive duration.
Result<std::int64_t> parse_duration(std::string_view text);

}  // namespace ifx::cli
