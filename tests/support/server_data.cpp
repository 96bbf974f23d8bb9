#include "support/server_data.hpp"

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

}  // namespace ifx::test
