// time.Duration's String and time.ParseDuration (with d and w added).
#include "ifx/format/text/go_duration.hpp"

#include <fmt/format.h>

namespace ifx::text {
namespace {

constexpr std::uint64_t kMicrosecond = 1'000;
constexpr std::uint64_t kMillisecond = 1'000'000;
constexpr std::uint64_t kSecond = 1'000'000'000;
constexpr std::uint64_t kLimit = std::uint64_t{1} << 63;  // |int64 min|

// Writes the digits of `v` backwards, ending just before `end`; returns the new start.
char* put_integer(char* end, std::uint64_t v) {
  do {
    *--end = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  return end;
}

// The last `precision` digits of `v` as a fraction without trailing zeros (nothing, not even the
// point, when they are all zero), written backwards before `end`; `v` keeps the integer part.
char* put_fraction(char* end, std::uint64_t& v, int precision) {
  bool printed = false;
  for (int i = 0; i < precision; ++i) {
    const auto digit = static_cast<char>(v % 10);
    printed = printed || digit != 0;
    if (printed) *--end = static_cast<char>('0' + digit);
    v /= 10;
  }
  if (printed) *--end = '.';
  return end;
}

struct Unit {
  std::string_view name;
  std::uint64_t ns;
};
constexpr Unit kUnits[] = {
    {"ns", 1},
    {"us", kMicrosecond},
    {"\xC2\xB5s", kMicrosecond},  // U+00B5 micro sign
    {"\xCE\xBCs", kMicrosecond},  // U+03BC Greek small letter mu
    {"ms", kMillisecond},
    {"s", kSecond},
    {"m", 60 * kSecond},
    {"h", 3600 * kSecond},
    {"d", 24 * 3600 * kSecond},
    {"w", 7 * 24 * 3600 * kSecond},
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::string format_go_duration(std::int64_t nanoseconds) {
  char buf[32];
  char* const end = buf + sizeof buf;
  char* w = end;
  std::uint64_t u = static_cast<std::uint64_t>(nanoseconds);
  const bool negative = nanoseconds < 0;
  if (negative) u = ~u + 1;  // two's complement magnitude, right for int64 min too
  *--w = 's';
  if (u < kSecond) {
    // Below a second Go switches to the largest smaller unit: 1.2ms, 100µs, 7ns.
    int precision = 0;
    if (u == 0) {
      *--w = '0';
      return std::string(w, end);
    } else if (u < kMicrosecond) {
      *--w = 'n';
    } else if (u < kMillisecond) {
      precision = 3;
      w -= 2;
      w[0] = '\xC2';  // µ, U+00B5
      w[1] = '\xB5';
    } else {
      precision = 6;
      *--w = 'm';
    }
    w = put_fraction(w, u, precision);
    w = put_integer(w, u);
  } else {
    w = put_fraction(w, u, 9);
    w = put_integer(w, u % 60);  // u is now whole seconds
    u /= 60;
    if (u > 0) {  // whole minutes
      *--w = 'm';
      w = put_integer(w, u % 60);
      u /= 60;
      if (u > 0) {  // whole hours; Go stops there, days having different lengths
        *--w = 'h';
        w = put_integer(w, u);
      }
    }
  }
  if (negative) *--w = '-';
  return std::string(w, end);
}

std::string format_human_duration(std::int64_t nanoseconds) {
  std::uint64_t u = static_cast<std::uint64_t>(nanoseconds);
  const bool negative = nanoseconds < 0;
  if (negative) u = ~u + 1;
  const std::uint64_t s = u / kSecond;
  const char* sign = negative ? "-" : "";
  if (s >= 24 * 3600) return fmt::format("{}{}d{}h", sign, s / (24 * 3600), s / 3600 % 24);
  if (s >= 3600) return fmt::format("{}{}h{}m", sign, s / 3600, s / 60 % 60);
  if (s >= 60) return fmt::format("{}{}m{}s", sign, s / 60, s % 60);
  return fmt::format("{}{}s", s == 0 ? "" : sign, s);
}

Result<std::int64_t> parse_go_duration(std::string_view text) {
  const auto bad = [&](std::string_view why) {
    return fail(ErrorCode::invalid_argument,
                fmt::format("invalid duration \"{}\": {} (expected e.g. 26h, 90m, 1h30m, 1.5h, 2d)", text, why));
  };
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return 0;
  if (s.empty()) return bad("no number");
  std::uint64_t total = 0;
  while (!s.empty()) {
    if (!(s[0] == '.' || is_digit(s[0]))) return bad("a number must come before each unit");
    // The integer part, exactly; past 2^63 it cannot be a duration.
    std::uint64_t integer = 0;
    std::size_t i = 0;
    for (; i < s.size() && is_digit(s[i]); ++i) {
      if (integer > kLimit / 10) return bad("out of range");
      integer = integer * 10 + static_cast<std::uint64_t>(s[i] - '0');
      if (integer > kLimit) return bad("out of range");
    }
    const bool has_integer = i > 0;
    s.remove_prefix(i);
    // The fraction: digits past what 63 bits hold are ignored, as Go does.
    std::uint64_t fraction = 0;
    double scale = 1;
    bool has_fraction = false;
    if (!s.empty() && s[0] == '.') {
      s.remove_prefix(1);
      bool saturated = false;
      for (i = 0; i < s.size() && is_digit(s[i]); ++i) {
        if (saturated) continue;
        if (fraction > (kLimit - 1) / 10) {
          saturated = true;
          continue;
        }
        const std::uint64_t next = fraction * 10 + static_cast<std::uint64_t>(s[i] - '0');
        if (next > kLimit) {
          saturated = true;
          continue;
        }
        fraction = next;
        scale *= 10;
      }
      has_fraction = i > 0;
      s.remove_prefix(i);
    }
    if (!has_integer && !has_fraction) return bad("a '.' needs digits");
    // The unit runs to the next digit or '.'.
    i = 0;
    while (i < s.size() && s[i] != '.' && !is_digit(s[i])) ++i;
    if (i == 0) return bad("missing unit");
    const std::string_view name = s.substr(0, i);
    s.remove_prefix(i);
    const Unit* unit = nullptr;
    for (const Unit& u : kUnits) {
      if (u.name == name) unit = &u;
    }
    if (unit == nullptr) {
      return bad(fmt::format("unknown unit \"{}\" (ns, us, ms, s, m, h, d, w)", name));
    }
    if (integer > kLimit / unit->ns) return bad("out of range");
    std::uint64_t value = integer * unit->ns;
    if (fraction > 0) {
      // Go computes the fraction in float64: exact to the nanosecond for fractions of an hour.
      value += static_cast<std::uint64_t>(static_cast<double>(fraction) * (static_cast<double>(unit->ns) / scale));
      if (value > kLimit) return bad("out of range");
    }
    total += value;
    if (total > kLimit) return bad("out of range");
  }
  if (negative) return static_cast<std::int64_t>(~total + 1);
  if (total > kLimit - 1) return bad("out of range");
  return static_cast<std::int64_t>(total);
}

}  // namespace ifx::text
