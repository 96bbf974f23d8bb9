// Which snapshots of a repository a retention policy keeps (ifx-prune). restic's rules, on the
// calendar people mean:
//   --keep-last N     the N newest snapshots;
//   --keep-hourly N   for each of the N calendar hours ending with the current one, the newest
//                     snapshot made in it (an hour without a snapshot still counts: 24 hourly is
//                     the last day, not "the last 24 hours that had one");
//   --keep-daily N, --keep-weekly N (ISO weeks, Monday first), --keep-monthly N,
//   --keep-yearly N   the same with calendar days, weeks, months, years;
//   --keep-within D   every snapshot made within D before now.
// The calendar is UTC, or a named time zone. A snapshot is kept when any rule keeps it (the
// union); the newest is always kept; a policy with no rule keeps everything.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ifx/format/error.hpp"

namespace ifx {

struct RetentionPolicy {
  std::optional<unsigned> last, hourly, daily, weekly, monthly, yearly;
  std::optional<std::int64_t> within_ns;
  std::string time_zone;  // "" or "UTC": UTC; else a name of the system's zone database

  bool any() const { return last || hourly || daily || weekly || monthly || yearly || within_ns; }
};

struct RetentionDecision {
  bool keep = true;
  std::vector<std::string> reasons;  // "newest", "last", "hourly", "daily", …, "within"
};

// One decision per snapshot time, in the order given. "invalid-argument" for an unknown zone.
Result<std::vector<RetentionDecision>> apply_retention(const std::vector<std::int64_t>& snapshot_times_ns,
                                                       const RetentionPolicy& policy, std::int64_t now_ns);

}  // namespace ifx
