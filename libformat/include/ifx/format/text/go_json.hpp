// Go's encoding/json text, as influxd writes it: portable manifests (docs/FORMATS.md §3.4), the
// snapshotter's requests (§1.4) and /query answers. Strings are escaped as json.Marshal does by
// default (HTML-safe), floats laid out as its float64 encoder does.
#pragma once

#include <string>
#include <string_view>

namespace ifx::text {

// A JSON string: `"` + the body below + `"`.
void append_go_json_string(std::string& out, std::string_view s);

// The text between the quotes: `"` and `\` backslashed; \n \r \t; other bytes below 0x20 as
// \u00XX (no \b or \f: the Go releases that built 1.x influxd had none); `<` `>` `&` as \u003c
// \u003e \u0026; U+2028 and U+2029 as \u2028 \u2029; each byte that starts no valid UTF-8
// sequence (text/utf8.hpp) as \ufffd. Everything else, DEL included, is copied.
void append_go_json_string_body(std::string& out, std::string_view s);

// A float64: shortest round-trip digits, plain ('f') when 1e-6 <= |v| < 1e21 or v is ±0 ("-0"
// for negative zero), otherwise exponent form whose negative exponent loses its leading zero
// ("1e-7", "1.5e-10", "1e+21", "1.7976931348623157e+308"). JSON has no NaN or infinities (Go
// refuses to encode them); they are written as go_float.hpp writes them ("NaN", "+Inf", "-Inf").
void append_go_json_float(std::string& out, double v);
std::string format_go_json_float(double v);

}  // namespace ifx::text
