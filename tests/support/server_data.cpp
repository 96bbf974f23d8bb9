#include "support/server_data.hpp"

#include <chrono>
#include <thread>

#include <fmt/format.h>

namespace ifx::test {

std::vector<std::string> weekly_points(int weeks, int per_week, const std::function<std::string(int i)>& point) {
  std::vector<std::string> lines;
  for (int w = 0; w < weeks; ++w)
    for (int i = 0; i < per_week; ++i)
      lines.push_back(fmt::format("{} {}", point(i), kJan2022 + w * 7 * kDay + i * kSecond));
  return lines;
}

std::vector<std::uint64_t> shard_ids(InfluxdServer& srv, const std::string& db, const std::string& rp) {
  std::vector<std::uint64_t> ids;
  for (const auto& s : srv.series("SHOW SHARDS"))
    if (s["name"] == db)
      for (const auto& row : s["values"])  // id, database, retention_policy, shard_group, start, end, ...
        if (rp.empty() || row[2] == rp) ids.push_back(row[0].get<std::uint64_t>());
  return ids;
}

std::set<std::string> database_names(InfluxdServer& srv) {
  std::set<std::string> out;
  for (const auto& s : srv.series("SHOW DATABASES"))
    for (const auto& row : s.value("values", nlohmann::json::array())) out.insert(row[0].get<std::string>());
  return out;
}

std::string database_answer(InfluxdServer& srv, const std::string& db) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (true) {
    try {
      return srv.series("SELECT * FROM /.*/ GROUP BY *", db).dump();
    } catch (const InfluxdError& e) {
      const std::string what = e.what();
      const bool passing = what.find("shard is disabled") != std::string::npos ||
                           what.find("engine is closed") != std::string::npos;
      if (!passing || std::chrono::steady_clock::now() > deadline) throw;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

std::string database_answer_once(InfluxdServer& srv, const std::string& db,
                                 const std::function<bool(const std::string&)>& ready) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (true) {
    std::string got = database_answer(srv, db);
    if (ready(got) || std::chrono::steady_clock::now() > deadline) return got;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

std::string database_answer_once(InfluxdServer& srv, const std::string& db, const std::string& expected) {
  return database_answer_once(srv, db, [&](const std::string& got) { return got == expected; });
}

}  // namespace ifx::test
