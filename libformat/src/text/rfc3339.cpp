// RFC 3339 in Go's time layouts RFC3339 and RFC3339Nano, over int64 Unix nanoseconds.
#include "ifx/format/text/rfc3339.hpp"

#include <fmt/format.h>

#include <chrono>
#include <iterator>
#include <limits>
#include <optional>

namespace ifx::text {
namespace {

constexpr std::int64_t kNsPerSecond = 1'000'000'000;

// The wall clock of the zone: the instant shifted by the offset, split into whole seconds
// (floored, so instants before 1970 land on the right second) and nanoseconds.
struct WallClock {
  std::int64_t seconds;  // since 1970-01-01T00:00:00 of the zone
  std::int64_t nanos;    // 0..999'999'999
};

WallClock wall_clock(std::int64_t unix_ns, std::int32_t utc_offset_seconds) {
  // int64 nanoseconds plus an offset can pass the int64 range: compute in 128 bits.
  const __int128 local = static_cast<__int128>(unix_ns) + static_cast<__int128>(utc_offset_seconds) * kNsPerSecond;
  __int128 seconds = local / kNsPerSecond;
  if (local % kNsPerSecond < 0) --seconds;
  return {static_cast<std::int64_t>(seconds), static_cast<std::int64_t>(local - seconds * kNsPerSecond)};
}

void append_date_and_time(std::string& out, std::int64_t local_seconds) {
  using namespace std::chrono;
  const sys_seconds at{seconds{local_seconds}};
  const sys_days day = floor<days>(at);
  const year_month_day ymd{day};
  const hh_mm_ss<seconds> hms{at - day};
  fmt::format_to(std::back_inserter(out), "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", static_cast<int>(ymd.year()),
                 static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), hms.hours().count(),
                 hms.minutes().count(), hms.seconds().count());
}

// Go's Z07:00: "Z" for UTC, else the sign and whole hours and minutes of the offset.
void append_zone(std::string& out, std::int32_t utc_offset_seconds) {
  if (utc_offset_seconds == 0) {
    out.push_back('Z');
    return;
  }
  const int minutes = utc_offset_seconds / 60;
  const int magnitude = minutes < 0 ? -minutes : minutes;
  fmt::format_to(std::back_inserter(out), "{}{:02}:{:02}", minutes < 0 ? '-' : '+', magnitude / 60, magnitude % 60);
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads exactly `n` digits at `pos`.
std::optional<int> digits(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) return std::nullopt;
  int v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!is_digit(s[pos + i])) return std::nullopt;
    v = v * 10 + (s[pos + i] - '0');
  }
  return v;
}

}  // namespace

void append_rfc3339_nano(std::string& out, std::int64_t unix_ns, std::int32_t utc_offset_seconds) {
  const WallClock wall = wall_clock(unix_ns, utc_offset_seconds);
  append_date_and_time(out, wall.seconds);
  if (wall.nanos != 0) {
    char fraction[10] = {'.'};
    std::int64_t rest = wall.nanos;
    for (int i = 9; i >= 1; --i, rest /= 10) fraction[i] = static_cast<char>('0' + rest % 10);
    std::size_t size = 10;
    while (fraction[size - 1] == '0') --size;  // RFC3339Nano's ".999999999" drops trailing zeros
    out.append(fraction, size);
  }
  append_zone(out, utc_offset_seconds);
}

std::string format_rfc3339_nano(std::int64_t unix_ns, std::int32_t utc_offset_seconds) {
  std::string out;
  append_rfc3339_nano(out, unix_ns, utc_offset_seconds);
  return out;
}

void append_rfc3339(std::string& out, std::int64_t unix_ns, std::int32_t utc_offset_seconds) {
  append_date_and_time(out, wall_clock(unix_ns, utc_offset_seconds).seconds);
  append_zone(out, utc_offset_seconds);
}

Result<Rfc3339Time> parse_rfc3339(std::string_view text) {
  auto bad = [&](std::string_view what) {
    return fail(ErrorCode::invalid_argument, fmt::format("time \"{}\" is not RFC 3339 ({}); expected e.g. "
                                                         "2024-01-31T12:00:00Z or 2024-01-31T13:00:00.5+01:00",
                                                         text, what));
  };
  auto year = digits(text, 0, 4);
  auto month = digits(text, 5, 2);
  auto day = digits(text, 8, 2);
  auto hour = digits(text, 11, 2);
  auto minute = digits(text, 14, 2);
  auto second = digits(text, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != 't') || text[13] != ':' || text[16] != ':')
    return bad("the date and time must read YYYY-MM-DDTHH:MM:SS");
  using namespace std::chrono;
  const year_month_day ymd{std::chrono::year{*year}, std::chrono::month{static_cast<unsigned>(*month)},
                           std::chrono::day{static_cast<unsigned>(*day)}};
  if (!ymd.ok()) return bad("no such date");
  if (*hour > 23 || *minute > 59 || *second > 59) return bad("hour, minute or second out of range");

  std::size_t pos = 19;
  std::int64_t frac_ns = 0;
  if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
    ++pos;
    std::size_t n = 0;
    std::int64_t scale = 100'000'000;
    while (pos < text.size() && is_digit(text[pos])) {
      if (n == 9) return bad("more than 9 fraction digits");
      frac_ns += (text[pos] - '0') * scale;
      scale /= 10;
      ++pos;
      ++n;
    }
    if (n == 0) return bad("a '.' must be followed by digits");
  }
  std::int32_t offset = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    auto oh = digits(text, pos + 1, 2);
    auto om = digits(text, pos + 4, 2);
    if (!oh || !om || text[pos + 3] != ':' || *oh > 23 || *om > 59) return bad("the zone offset must read ±hh:mm");
    offset = (*oh * 3600 + *om * 60) * (text[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return bad("missing zone: end with Z or ±hh:mm");
  }
  if (pos != text.size()) return bad("unexpected text after the zone");

  const std::int64_t days_since_epoch = sys_days{ymd}.time_since_epoch().count();
  const __int128 secs = static_cast<__int128>(days_since_epoch) * 86400 + *hour * 3600 + *minute * 60 + *second -
                        offset;
  const __int128 ns = secs * kNsPerSecond + frac_ns;
  if (ns < std::numeric_limits<std::int64_t>::min() || ns > std::numeric_limits<std::int64_t>::max())
    return fail(ErrorCode::invalid_argument,
                fmt::format("time \"{}\" is outside the range InfluxDB can store "
                            "(1677-09-21T00:12:43.145224192Z to 2262-04-11T23:47:16.854775807Z)",
                            text));
  return Rfc3339Time{static_cast<std::int64_t>(ns), offset};
}

}  // namespace ifx::text
