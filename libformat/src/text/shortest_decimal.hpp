// The shortest round-trip digits of a double, and the pieces of Go's strconv layouts built from
// them. Private to src/text: go_float.cpp ('g') and go_json.cpp (encoding/json's 'f'/'e' choice)
// share it. Inline because export formats one float per line.
#pragma once

#include <charconv>
#include <cmath>
#include <cstddef>
#include <string>

namespace ifx::text::detail {

// A finite non-zero double as value = d1.d2…dn × 10^exponent. `scientific` keeps
// std::to_chars' own text, which already is Go's 'e' layout (sign, at least two exponent digits).
struct ShortestDecimal {
  bool negative = false;
  char digits[20];
  int count = 0;
  int exponent = 0;
  char scientific[32];
  std::size_t scientific_size = 0;
};

inline ShortestDecimal shortest_decimal(double v) {
  ShortestDecimal d;
  // Without a precision, to_chars gives the shortest digits that round-trip (C++17 [charconv]),
  // the closest to the exact value among them, as Go's shortest mode does.
  auto res = std::to_chars(d.scientific, d.scientific + sizeof d.scientific, v, std::chars_format::scientific);
  d.scientific_size = static_cast<std::size_t>(res.ptr - d.scientific);
  const char* p = d.scientific;
  const char* end = res.ptr;
  if (*p == '-') {
    d.negative = true;
    ++p;
  }
  for (; p != end && *p != 'e'; ++p) {
    if (*p != '.') d.digits[d.count++] = *p;
  }
  ++p;  // 'e'
  std::from_chars(*p == '+' ? p + 1 : p, end, d.exponent);
  return d;
}

// Go's 'f' layout of shortest digits: no exponent, no trailing zeros after the point.
inline void append_plain(const ShortestDecimal& d, std::string& out) {
  if (d.negative) out.push_back('-');
  if (d.exponent < 0) {
    out.append("0.");
    out.append(static_cast<std::size_t>(-d.exponent - 1), '0');
    out.append(d.digits, static_cast<std::size_t>(d.count));
    return;
  }
  const int integer_digits = d.exponent + 1;
  if (d.count <= integer_digits) {
    out.append(d.digits, static_cast<std::size_t>(d.count));
    out.append(static_cast<std::size_t>(integer_digits - d.count), '0');
    return;
  }
  out.append(d.digits, static_cast<std::size_t>(integer_digits));
  out.push_back('.');
  out.append(d.digits + integer_digits, static_cast<std::size_t>(d.count - integer_digits));
}

// strconv's text for NaN, the infinities and the zeros; returns false (nothing written) for any
// other value.
inline bool append_special(double v, std::string& out) {
  if (std::isnan(v)) {
    out.append("NaN");
  } else if (std::isinf(v)) {
    out.append(v > 0 ? "+Inf" : "-Inf");
  } else if (v == 0) {
    out.append(std::signbit(v) ? "-0" : "0");
  } else {
    return false;
  }
  return true;
}

}  // namespace ifx::text::detail
