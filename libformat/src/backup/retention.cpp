// The retention rules (retention.hpp): each snapshot time mapped to its calendar units (hour,
// day, ISO week, month, year) in the chosen zone, then each rule walks the snapshots newest first
// and keeps the first one it meets in each of its last N units.
#include "ifx/format/backup/retention.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <functional>
#include <numeric>
#include <set>

#include <fmt/format.h>

namespace ifx {
namespace {

using namespace std::chrono;

// Offsets from UTC of a named zone, from the C library's zone database: TZ is set for the
// duration of the call (ifx-prune is single-threaded there) and put back.
class ZoneOffsets {
 public:
  static Result<ZoneOffsets> open(const std::string& zone) {
    ZoneOffsets z;
    if (zone.empty() || zone == "UTC") return z;
    if (zone.find("..") != std::string::npos || !std::filesystem::exists("/usr/share/zoneinfo/" + zone))
      return fail(ErrorCode::invalid_argument,
                  fmt::format("time zone \"{}\" is not in the system's zone database (/usr/share/zoneinfo): give a "
                              "name such as Europe/Berlin, or UTC",
                              zone));
    z.zone_ = zone;
    return z;
  }
  std::int64_t offset_seconds(std::int64_t unix_ns) const {
    if (zone_.empty()) return 0;
    const char* old = std::getenv("TZ");
    const std::string saved = old ? old : "";
    ::setenv("TZ", zone_.c_str(), 1);
    ::tzset();
    const std::time_t t = static_cast<std::time_t>(floor<seconds>(nanoseconds(unix_ns)).count());
    std::tm tm{};
    ::localtime_r(&t, &tm);
    if (old) ::setenv("TZ", saved.c_str(), 1);
    else ::unsetenv("TZ");
    ::tzset();
    return tm.tm_gmtoff;
  }

 private:
  std::string zone_;
};

// The calendar units a moment falls in, as numbers that order like the units do.
struct CalendarUnits {
  std::int64_t hour, day, week, month, year;
};

CalendarUnits units_of(std::int64_t unix_ns, const ZoneOffsets& zone) {
  const std::int64_t local_ns = unix_ns + zone.offset_seconds(unix_ns) * 1'000'000'000;
  const sys_days day = floor<days>(sys_time<nanoseconds>(nanoseconds(local_ns)));
  const std::int64_t day_number = day.time_since_epoch().count();
  const year_month_day ymd{day};
  const std::int64_t hour_of_day = floor<hours>(nanoseconds(local_ns) - day.time_since_epoch()).count();
  // ISO weeks start on Monday; 1970-01-01 was a Thursday (weekday 4).
  const std::int64_t monday = day_number - (weekday{day}.iso_encoding() - 1);
  const std::int64_t year = static_cast<int>(ymd.year());
  return {day_number * 24 + hour_of_day, day_number, monday, year * 12 + (static_cast<unsigned>(ymd.month()) - 1),
          year};
}

// Walking back from `now`'s unit, the `n` units ending with it: the unit numbers of the previous
// ones (weeks step by 7 days).
std::int64_t oldest_unit(std::int64_t now_unit, unsigned n, std::int64_t step) {
  return now_unit - static_cast<std::int64_t>(n - 1) * step;
}

}  // namespace

Result<std::vector<RetentionDecision>> apply_retention(const std::vector<std::int64_t>& times,
                                                       const RetentionPolicy& policy, std::int64_t now_ns) {
  auto zone = ZoneOffsets::open(policy.time_zone);
  if (!zone) return std::unexpected(zone.error());
  std::vector<RetentionDecision> out(times.size());
  if (!policy.any() || times.empty()) return out;  // keeps everything

  for (auto& d : out) d.keep = false;
  std::vector<std::size_t> newest_first(times.size());
  std::iota(newest_first.begin(), newest_first.end(), 0);
  std::stable_sort(newest_first.begin(), newest_first.end(), [&](auto a, auto b) { return times[a] > times[b]; });
  auto keep = [&](std::size_t i, const char* why) {
    out[i].keep = true;
    out[i].reasons.emplace_back(why);
  };
  keep(newest_first.front(), "newest");
  if (policy.last)
    for (std::size_t k = 0; k < newest_first.size() && k < *policy.last; ++k) keep(newest_first[k], "last");
  if (policy.within_ns)
    for (std::size_t i = 0; i < times.size(); ++i)
      if (times[i] >= now_ns - *policy.within_ns) keep(i, "within");

  const CalendarUnits now = units_of(now_ns, *zone);
  std::vector<CalendarUnits> units;
  units.reserve(times.size());
  for (auto t : times) units.push_back(units_of(t, *zone));
  struct Rule {
    std::optional<unsigned> n;
    std::int64_t CalendarUnits::*unit;
    std::int64_t step;
    const char* name;
  };
  const Rule rules[] = {{policy.hourly, &CalendarUnits::hour, 1, "hourly"},
                        {policy.daily, &CalendarUnits::day, 1, "daily"},
                        {policy.weekly, &CalendarUnits::week, 7, "weekly"},
                        {policy.monthly, &CalendarUnits::month, 1, "monthly"},
                        {policy.yearly, &CalendarUnits::year, 1, "yearly"}};
  for (const Rule& rule : rules) {
    if (!rule.n || *rule.n == 0) continue;
    const std::int64_t newest_unit = now.*rule.unit;
    const std::int64_t oldest = oldest_unit(newest_unit, *rule.n, rule.step);
    std::set<std::int64_t> taken;  // units whose newest snapshot is kept already
    for (std::size_t i : newest_first) {
      const std::int64_t u = std::min(units[i].*rule.unit, newest_unit);  // a clock ahead counts as now
      if (u < oldest || !taken.insert(u).second) continue;
      keep(i, rule.name);
    }
  }
  return out;
}

}  // namespace ifx
