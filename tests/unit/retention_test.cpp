// Retention: the rules on calendar time (a day without a snapshot still counts), their union,
// the newest snapshot always kept, and a named time zone moving the day boundaries.
#include "ifx/format/backup/retention.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ifx/format/backup/file_names.hpp"

namespace {

using ifx::RetentionPolicy;

constexpr std::int64_t kHour = 3600LL * 1'000'000'000;
constexpr std::int64_t kDay = 24 * kHour;

std::int64_t at(const std::string& base) { return *ifx::parse_portable_base_time(base); }

// The bases kept of `bases` (oldest first) under `policy` at `now`.
std::vector<std::string> kept(const std::vector<std::string>& bases, const RetentionPolicy& policy,
                              const std::string& now) {
  std::vector<std::int64_t> times;
  for (const auto& b : bases) times.push_back(at(b));
  auto decisions = ifx::apply_retention(times, policy, at(now));
  EXPECT_TRUE(decisions) << decisions.error().describe();
  std::vector<std::string> out;
  for (std::size_t i = 0; decisions && i < bases.size(); ++i)
    if ((*decisions)[i].keep) out.push_back(bases[i]);
  return out;
}

// One snapshot a day at 01:00 UTC, 2026-11-01 … 2026-11-30, but none on the 27th.
std::vector<std::string> november() {
  std::vector<std::string> out;
  for (int d = 1; d <= 30; ++d)
    if (d != 27) out.push_back(fmt::format("202611{:02}T010000Z", d));
  return out;
}

TEST(Retention, NoRuleKeepsEverything) { EXPECT_EQ(kept(november(), {}, "20261130T120000Z"), november()); }

TEST(Retention, KeepLast) {
  EXPECT_EQ(kept(november(), {.last = 3}, "20261130T120000Z"),
            (std::vector<std::string>{"20261128T010000Z", "20261129T010000Z", "20261130T010000Z"}));
}

TEST(Retention, KeepDailyCountsCalendarDaysWithoutSnapshots) {
  // The 7 days 24th … 30th; the 27th has none, so 6 snapshots.
  EXPECT_EQ(kept(november(), {.daily = 7}, "20261130T120000Z"),
            (std::vector<std::string>{"20261124T010000Z", "20261125T010000Z", "20261126T010000Z", "20261128T010000Z",
                                      "20261129T010000Z", "20261130T010000Z"}));
  // Several a day: the newest of each day.
  const std::vector<std::string> two_a_day{"20261129T010000Z", "20261129T130000Z", "20261130T010000Z",
                                           "20261130T130000Z"};
  EXPECT_EQ(kept(two_a_day, {.daily = 2}, "20261130T235959Z"),
            (std::vector<std::string>{"20261129T130000Z", "20261130T130000Z"}));
}

TEST(Retention, WeeklyMonthlyYearlyAreCalendarUnits) {
  // ISO weeks: Mon 2026-11-23 … Sun 11-29 and Mon 11-30: 2 weeks keep the 29th and the 30th.
  EXPECT_EQ(kept(november(), {.weekly = 2}, "20261130T120000Z"),
            (std::vector<std::string>{"20261129T010000Z", "20261130T010000Z"}));
  const std::vector<std::string> months{"20260815T000000Z", "20260910T000000Z", "20260920T000000Z", "20261005T000000Z",
                                        "20261130T000000Z"};
  EXPECT_EQ(kept(months, {.monthly = 3}, "20261201T000000Z"),
            (std::vector<std::string>{"20261005T000000Z", "20261130T000000Z"}));  // Oct, Nov, Dec (none)
  EXPECT_EQ(kept(months, {.yearly = 1}, "20261201T000000Z"), (std::vector<std::string>{"20261130T000000Z"}));
}

TEST(Retention, WithinIsRelativeToNowAndRulesUnite) {
  EXPECT_EQ(kept(november(), {.within_ns = 36 * kHour}, "20261130T120000Z"),
            (std::vector<std::string>{"20261129T010000Z", "20261130T010000Z"}));
  EXPECT_EQ(kept(november(), {.last = 1, .monthly = 2, .within_ns = 2 * kDay}, "20261201T000000Z"),
            (std::vector<std::string>{"20261129T010000Z", "20261130T010000Z"}));
}

TEST(Retention, TheNewestIsAlwaysKeptWithItsReasons) {
  const std::vector<std::int64_t> times{at("20261101T000000Z"), at("20261102T000000Z")};
  auto d = ifx::apply_retention(times, {.within_ns = kHour}, at("20261201T000000Z"));
  ASSERT_TRUE(d);
  EXPECT_FALSE((*d)[0].keep);
  EXPECT_TRUE((*d)[1].keep);
  EXPECT_EQ((*d)[1].reasons, std::vector<std::string>{"newest"});
}

TEST(Retention, ATimeZoneMovesTheDayBoundary) {
  // 23:30 UTC on the 29th is 00:30 on the 30th in Berlin (UTC+1 in winter).
  const std::vector<std::string> bases{"20261129T100000Z", "20261129T233000Z", "20261130T100000Z"};
  EXPECT_EQ(kept(bases, {.daily = 2}, "20261130T120000Z"),
            (std::vector<std::string>{"20261129T233000Z", "20261130T100000Z"}));
  EXPECT_EQ(kept(bases, {.daily = 2, .time_zone = "Europe/Berlin"}, "20261130T120000Z"),
            (std::vector<std::string>{"20261129T100000Z", "20261130T100000Z"}));
  auto bad = ifx::apply_retention({0}, {.daily = 1, .time_zone = "Nowhere/Atlantis"}, 0);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ifx::ErrorCode::invalid_argument);
}

}  // namespace
