// Points the integration tests write into a test server, and what the server says back about
// its databases and shards (SHOW queries over support/influxd.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "support/influxd.hpp"

namespace ifx::test {

inline constexpr std::int64_t kSecond = 1'000'000'000;
inline constexpr std::int64_t kHour = 3600 * kSecond;
inline constexpr std::int64_t kDay = 24 * kHour;
inline constexpr std::int64_t kJan2022 = 1640995200LL * kSecond;  // 2022-01-01T00:00:00Z

// `per_week` points one second apart at the start of each of `weeks` consecutive weeks from
// 2022-01-01 (one autogen shard group each): `point(i)` is the line without its timestamp.
std::vector<std::string> weekly_points(int weeks, int per_week, const std::function<std::string(int i)>& point);

// The IDs of the shards of `db` (of its retention policy `rp` when given), as SHOW SHARDS lists them.
std::vector<std::uint64_t> shard_ids(InfluxdServer& srv, const std::string& db, const std::string& rp = "");

// The server's databases, as SHOW DATABASES lists them.
std::set<std::string> database_names(InfluxdServer& srv);

// Everything database `db` answers, series by series (tags and every field, epoch ns), as one
// comparable text. A shard being opened or swapped (after a restore, a cache flush) fails
// queries for a moment ("shard is disabled", "engine is closed"): asked again, up to 20 s.
std::string database_answer(InfluxdServer& srv, const std::string& db);
// database_answer polled until `ready` takes it, or 20 s passed (then the last answer): influxd's
// restore returns before the server has opened the shards it wrote.
std::string database_answer_once(InfluxdServer& srv, const std::string& db,
                                 const std::function<bool(const std::string&)>& ready);
// … until it is `expected`.
std::string database_answer_once(InfluxdServer& srv, const std::string& db, const std::string& expected);

}  // namespace ifx::test
