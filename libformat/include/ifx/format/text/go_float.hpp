// Go's strconv.FormatFloat(v, 'g', -1, 64): how influx_inspect export writes float fields
// (docs/FORMATS.md §8.3). encoding/json's float64 is a different layout: see go_json.hpp.
#pragma once

#include <string>

namespace ifx::text {

// The shortest digits that read back to the same double; exponent form when the decimal
// exponent is < -4 or >= 6 ("1e+06", "1.234567e+06", "1e-05", "5e-324"), plain otherwise
// ("100000", "999999.9", "0.0001"). Specials: "+Inf", "-Inf", "NaN", "0", "-0".
void append_go_float(std::string& out, double v);
std::string format_go_float(double v);

}  // namespace ifx::text
