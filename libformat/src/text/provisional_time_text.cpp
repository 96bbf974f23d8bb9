#include <fmt/format.h>
#include "ifx/format/text/rfc3339.hpp"
#include "ifx/format/text/go_duration.hpp"
namespace ifx::text {
namespace {

// Days since 1970-01-01 → civil date (Howard Hinnant's algorithm), valid for any int64 day.
void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
}

}  // namespace

std::string format_rfc3339(std::int64_t unix_ns) {
  constexpr std::int64_t kNs = 1'000'000'000;
  std::int64_t secs = unix_ns / kNs;
  std::int64_t frac = unix_ns % kNs;
  if (frac < 0) {
    frac += kNs;
    --secs;
  }
  std::int64_t days = secs / 86400;
  std::int64_t sod = secs % 86400;
  if (sod < 0) {
    sod += 86400;
    --days;
  }
  std::int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  std::string out = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", y, m, d, sod / 3600,
                                (sod / 60) % 60, sod % 60);
  if (frac) {
    std::string f = fmt::format("{:09}", frac);
    f.erase(f.find_last_not_of('0') + 1);
    out += "." + f;
  }
  return out + "Z";
}

std::string format_go_duration(std::int64_t ns) {
  if (ns == 0) return "0s";
  std::string sign = ns < 0 ? "-" : "";
  std::uint64_t u = ns < 0 ? -static_cast<std::uint64_t>(ns) : static_cast<std::uint64_t>(ns);
  std::uint64_t secs = u / 1'000'000'000, sub = u % 1'000'000'000;
  std::string s = sub ? fmt::format("{}.{:09}", secs % 60, sub) : fmt::format("{}", secs % 60);
  if (sub) s.erase(s.find_last_not_of('0') + 1);
  if (secs >= 3600) return fmt::format("{}{}h{}m{}s", sign, secs / 3600, (secs / 60) % 60, s);
  if (secs >= 60) return fmt::format("{}{}m{}s", sign, secs / 60, s);
  return sign + s + "s";
}

}  // namespace ifx::text
