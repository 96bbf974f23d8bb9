// For every fixture made by a real influxd, `ifx-inspect --deep --json` must agree with what
// InfluxQL said of the live server (fixtures/<name>.truth.json): databases, RPs, shard ids and
// ranges, users, grants, CQs, and per db/rp/measurement every count. The truth never comes from
// our own output.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "ifx-inspect/inspect.hpp"
#include "support/paths.hpp"

namespace {

using json = nlohmann::ordered_json;
namespace fs = std::filesystem;

// The series key of a canonical line: everything before the first unescaped space.
std::string series_of_line(const std::string& line) {
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\\') {
      ++i;
      continue;
    }
    if (line[i] == ' ') return line.substr(0, i);
  }
  return line;
}

std::int64_t time_of_line(const std::string& line) { return std::stoll(line.substr(line.rfind(' ') + 1)); }

class InspectTruth : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    truth = ifx::test::fixture_truth(GetParam());
    ifx::inspect::Options o;
    o.backup_dir = ifx::test::fixture(GetParam());
    o.deep = true;
    auto report = ifx::inspect::run(o);
    ASSERT_TRUE(report) << report.error().describe();
    ASSERT_TRUE(report->ok()) << ifx::inspect::to_text(*report);
    ours = ifx::inspect::to_json(*report);
  }
  json truth, ours;
};

TEST_P(InspectTruth, FormatMatches) { EXPECT_EQ(ours["format"], truth["format"]); }

TEST_P(InspectTruth, DatabasesRetentionPoliciesAndShardsMatch) {
  ASSERT_EQ(ours["databases"].size(), truth["databases"].size());
  std::map<std::string, json> by_name;
  for (const auto& db : ours["databases"]) by_name[db["name"]] = db;
  for (const auto& tdb : truth["databases"]) {
    SCOPED_TRACE("database " + tdb["name"].get<std::string>());
    ASSERT_TRUE(by_name.count(tdb["name"]));
    const json& db = by_name[tdb["name"]];
    EXPECT_EQ(db["default_retention_policy"], tdb["default_retention_policy"]);
    ASSERT_EQ(db["retention_policies"].size(), tdb["retention_policies"].size());
    for (const auto& trp : tdb["retention_policies"]) {
      SCOPED_TRACE("rp " + trp["name"].get<std::string>());
      auto rp = std::find_if(db["retention_policies"].begin(), db["retention_policies"].end(),
                             [&](const json& r) { return r["name"] == trp["name"]; });
      ASSERT_NE(rp, db["retention_policies"].end());
      EXPECT_EQ((*rp)["duration_ns"], trp["duration_ns"]);
      EXPECT_EQ((*rp)["shard_group_duration_ns"], trp["shard_group_duration_ns"]);
      EXPECT_EQ((*rp)["replication"], trp["replication"]);
      EXPECT_EQ((*rp)["default"], trp["default"]);
      // SHOW SHARDS lists the live groups' shards; deleted groups stay in the meta (ours shows
      // them flagged) but not in the truth.
      std::map<std::uint64_t, json> shards;
      for (const auto& g : (*rp)["shard_groups"]) {
        if (g["deleted"].get<bool>()) continue;
        for (const auto& s : g["shards"])
          shards[s["id"]] = json{
              {"shard_group", g["id"]}, {"start", g["start"]}, {"end", g["end"]}, {"in_backup", s["in_backup"]}};
      }
      ASSERT_EQ(shards.size(), trp["shards"].size());
      for (const auto& ts : trp["shards"]) {
        SCOPED_TRACE("shard " + ts["id"].dump());
        ASSERT_TRUE(shards.count(ts["id"]));
        const json& s = shards[ts["id"]];
        EXPECT_EQ(s["shard_group"], ts["shard_group"]);
        EXPECT_EQ(s["start"], ts["start"]);
        EXPECT_EQ(s["end"], ts["end"]);
        EXPECT_EQ(s["in_backup"], ts["in_backup"]);
      }
    }
  }
}

TEST_P(InspectTruth, UsersGrantsAndContinuousQueriesMatch) {
  std::map<std::string, json> users;
  for (const auto& u : ours["users"]) users[u["name"]] = u;
  ASSERT_EQ(users.size(), truth["users"].size());
  for (const auto& tu : truth["users"]) {
    SCOPED_TRACE("user " + tu["name"].get<std::string>());
    ASSERT_TRUE(users.count(tu["name"]));
    EXPECT_EQ(users[tu["name"]]["admin"], tu["admin"]);
    std::map<std::string, std::string> ours_p, truth_p;
    for (const auto& [db, p] : users[tu["name"]]["privileges"].items())
      if (p != "NO PRIVILEGES") ours_p[db] = p.get<std::string>();
    for (const auto& [db, p] : tu["privileges"].items()) truth_p[db] = p.get<std::string>();
    EXPECT_EQ(ours_p, truth_p);
  }
  std::set<std::tuple<std::string, std::string, std::string>> cq_ours, cq_truth;
  auto cq = [](const json& c) {
    return std::tuple{c["database"].get<std::string>(), c["name"].get<std::string>(), c["query"].get<std::string>()};
  };
  for (const auto& c : ours["continuous_queries"]) cq_ours.insert(cq(c));
  for (const auto& c : truth["continuous_queries"]) cq_truth.insert(cq(c));
  EXPECT_FALSE(cq_truth.empty() && GetParam() == "portable-all") << "the fixture should carry a CQ";
  EXPECT_EQ(cq_ours, cq_truth);
}

TEST_P(InspectTruth, EveryMeasurementCountMatches) {
  // Our figures are per shard; the truth is per db/rp/measurement over the backup's shards.
  struct Sum {
    std::uint64_t points = 0, values = 0, series_sum = 0, series_max = 0;
    std::map<std::string, std::string> fields;
    std::int64_t min_time = INT64_MAX, max_time = INT64_MIN;
    std::map<std::uint64_t, std::uint64_t> series_per_shard;
  };
  std::map<std::tuple<std::string, std::string, std::string>, Sum> sums;
  std::map<std::uint64_t, std::pair<std::int64_t, std::int64_t>> shard_range;
  for (const auto& db : ours["databases"])
    for (const auto& rp : db["retention_policies"])
      for (const auto& g : rp["shard_groups"])
        for (const auto& s : g["shards"]) {
          shard_range[s["id"]] = {g["start"], g["end"]};
          if (!s.contains("measurements")) continue;
          for (const auto& m : s["measurements"]) {
            Sum& sum = sums[{db["name"], rp["name"], m["name"]}];
            sum.points += m["points"].get<std::uint64_t>();
            sum.values += m["values"].get<std::uint64_t>();
            sum.series_sum += m["series"].get<std::uint64_t>();
            sum.series_max = std::max(sum.series_max, m["series"].get<std::uint64_t>());
            sum.series_per_shard[s["id"]] = m["series"];
            for (const auto& [k, t] : m["fields"].items()) sum.fields[k] = t;
            sum.min_time = std::min(sum.min_time, m["min_time"].get<std::int64_t>());
            sum.max_time = std::max(sum.max_time, m["max_time"].get<std::int64_t>());
          }
        }
  ASSERT_EQ(sums.size(), truth["data"].size());
  for (const auto& t : truth["data"]) {
    std::tuple<std::string, std::string, std::string> key{t["database"], t["retention_policy"], t["measurement"]};
    SCOPED_TRACE(std::get<0>(key) + "/" + std::get<1>(key) + "/" + std::get<2>(key));
    ASSERT_TRUE(sums.count(key));
    const Sum& s = sums[key];
    EXPECT_EQ(s.points, t["points"].get<std::uint64_t>());
    EXPECT_EQ(s.values, t["values"].get<std::uint64_t>());
    EXPECT_EQ(s.min_time, t["min_time"].get<std::int64_t>());
    EXPECT_EQ(s.max_time, t["max_time"].get<std::int64_t>());
    std::map<std::string, std::string> tf;
    for (const auto& [k, v] : t["fields"].items()) tf[k] = v;
    EXPECT_EQ(s.fields, tf);
    if (s.series_per_shard.size() == 1) {
      EXPECT_EQ(s.series_sum, t["series"].get<std::uint64_t>());
    } else if (t["line_protocol"].is_array()) {
      // Several shards: count each shard's distinct series from the truth's own lines.
      std::map<std::uint64_t, std::set<std::string>> truth_series;
      for (const auto& l : t["line_protocol"]) {
        std::string line = l;
        std::int64_t ts = time_of_line(line);
        for (const auto& [id, n] : s.series_per_shard)
          if (ts >= shard_range[id].first && ts < shard_range[id].second) truth_series[id].insert(series_of_line(line));
      }
      for (const auto& [id, n] : s.series_per_shard) EXPECT_EQ(n, truth_series[id].size()) << "shard " << id;
    } else {
      EXPECT_LE(s.series_max, t["series"].get<std::uint64_t>());
      EXPECT_GE(s.series_sum, t["series"].get<std::uint64_t>());
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, InspectTruth, ::testing::ValuesIn(ifx::test::fixture_names()),
                         [](const auto& info) { return ifx::test::test_name_of(info.param); });

}  // namespace
