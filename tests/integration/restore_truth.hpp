// What a restored server holds, compared with a fixture's truth (fixtures/README.md): per
// measurement of a restored RP the series, points, values, field types, time range and (for small
// ones) the exact line protocol, queried over InfluxQL the way scripts/make-fixtures made the
// truth. The truth never comes from our own output.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ifx/format/text/line_protocol.hpp"
#include "support/influxd.hpp"
#include "support/paths.hpp"

namespace ifx::test {

inline nlohmann::json load_truth(const std::string& fixture_name) { return fixture_truth(fixture_name); }

struct MeasurementState {
  std::uint64_t series = 0, points = 0, values = 0;
  std::int64_t min_time = 0, max_time = 0;
  std::map<std::string, std::string> fields;  // key → type
  std::vector<std::string> lines;             // canonical, sorted bytewise
};

inline std::string canonical_value(const nlohmann::json& v, const std::string& type) {
  std::string out;
  if (type == "float") ifx::lp::append_field_value(out, v.get<double>());
  else if (type == "integer") ifx::lp::append_field_value(out, v.get<std::int64_t>());
  else if (type == "boolean") ifx::lp::append_field_value(out, v.get<bool>());
  else {
    const std::string s = v.get<std::string>();
    ifx::lp::append_field_value(out, std::string_view(s));
  }
  return out;
}

// Every point of db.rp.measurement inside the ranges [lo, hi).
inline MeasurementState measurement_state(InfluxdServer& srv, const std::string& db, const std::string& rp,
                                          const std::string& m,
                                          const std::vector<std::pair<std::int64_t, std::int64_t>>& ranges) {
  MeasurementState st;
  for (const auto& s :
       srv.series("SHOW FIELD KEYS ON " + quote_ident(db) + " FROM " + quote_ident(rp) + "." + quote_ident(m)))
    for (const auto& row : s["values"]) st.fields[row[0].get<std::string>()] = row[1].get<std::string>();
  using Tags = std::vector<std::pair<std::string, std::string>>;
  std::map<std::pair<Tags, std::int64_t>, std::map<std::string, nlohmann::json>> rows;
  for (const auto& [lo, hi] : ranges) {
    const std::string q = "SELECT * FROM " + quote_ident(db) + "." + quote_ident(rp) + "." + quote_ident(m) +
                          " WHERE time >= " + std::to_string(lo) + " AND time < " + std::to_string(hi) + " GROUP BY *";
    for (const auto& s : srv.series(q, db)) {
      Tags tags;
      if (s.contains("tags"))
        for (const auto& [k, v] : s["tags"].items()) tags.emplace_back(k, v.get<std::string>());
      std::sort(tags.begin(), tags.end());
      const auto& cols = s["columns"];
      for (const auto& row : s["values"]) {
        auto& point = rows[{tags, row[0].get<std::int64_t>()}];
        for (std::size_t i = 1; i < cols.size(); ++i)
          if (!row[i].is_null()) point[cols[i].get<std::string>()] = row[i];
      }
    }
  }
  std::set<Tags> series;
  std::map<std::string, std::string> used;
  bool first = true;
  for (const auto& [key, fields] : rows) {
    if (fields.empty()) continue;
    series.insert(key.first);
    ++st.points;
    st.values += fields.size();
    st.min_time = first ? key.second : std::min(st.min_time, key.second);
    st.max_time = first ? key.second : std::max(st.max_time, key.second);
    first = false;
    std::string line;
    ifx::lp::append_escaped_measurement(line, m);
    for (const auto& [k, v] : key.first) {
      if (v.empty()) continue;
      line += ',';
      ifx::lp::append_escaped_tag(line, k);
      line += '=';
      ifx::lp::append_escaped_tag(line, v);
    }
    line += ' ';
    bool first_field = true;
    for (const auto& [k, v] : fields) {  // std::map: sorted by key bytes
      if (!first_field) line += ',';
      first_field = false;
      ifx::lp::append_escaped_field_key(line, k);
      line += '=';
      line += canonical_value(v, st.fields.count(k) ? st.fields[k] : "float");
      used[k] = st.fields[k];
    }
    line += ' ' + std::to_string(key.second);
    st.lines.push_back(std::move(line));
  }
  st.series = series.size();
  st.fields = used;
  std::sort(st.lines.begin(), st.lines.end());
  return st;
}

struct TruthScope {
  std::string source_db, target_db;
  std::map<std::string, std::string> rps;  // source RP → target RP; empty: every RP, same names
  std::optional<std::uint64_t> shard;      // only this source shard's range
};

// Expects the restored databases to hold exactly the truth's data of `scope` (all measurements,
// no more), in the truth's ranges, under the target names.
inline void expect_matches_truth(InfluxdServer& srv, const nlohmann::json& truth, const TruthScope& scope) {
  std::map<std::string, std::vector<std::pair<std::int64_t, std::int64_t>>> ranges;  // source rp → ranges
  for (const auto& db : truth["databases"]) {
    if (db["name"] != scope.source_db) continue;
    for (const auto& rp : db["retention_policies"]) {
      const std::string name = rp["name"];
      if (!scope.rps.empty() && !scope.rps.count(name)) continue;
      for (const auto& sh : rp["shards"])
        if (sh["in_backup"].get<bool>() && (!scope.shard || sh["id"].get<std::uint64_t>() == *scope.shard))
          ranges[name].push_back({sh["start"].get<std::int64_t>(), sh["end"].get<std::int64_t>()});
    }
  }
  ASSERT_FALSE(ranges.empty()) << "the truth has no shard of " << scope.source_db << " in this scope";
  std::set<std::string> measurements;
  for (const auto& s : srv.series("SHOW MEASUREMENTS ON " + quote_ident(scope.target_db)))
    for (const auto& row : s["values"]) measurements.insert(row[0].get<std::string>());
  std::size_t compared = 0;
  for (const auto& [source_rp, rs] : ranges) {
    const std::string target_rp = scope.rps.empty() ? source_rp : scope.rps.at(source_rp);
    std::map<std::string, const nlohmann::json*> expected;
    for (const auto& d : truth["data"])
      if (d["database"] == scope.source_db && d["retention_policy"] == source_rp) {
        const std::int64_t lo = d["min_time"], hi = d["max_time"];
        bool inside = std::any_of(rs.begin(), rs.end(), [&](auto r) { return lo < r.second && hi >= r.first; });
        if (inside) expected[d["measurement"].get<std::string>()] = &d;
      }
    for (const auto& m : measurements) {
      MeasurementState st = measurement_state(srv, scope.target_db, target_rp, m, rs);
      const std::string where = scope.target_db + "." + target_rp + "." + m;
      if (!expected.count(m)) {
        EXPECT_EQ(st.points, 0u) << where << ": points the truth does not have";
        continue;
      }
      const nlohmann::json& d = *expected[m];
      ++compared;
      EXPECT_EQ(st.series, d["series"].get<std::uint64_t>()) << where;
      EXPECT_EQ(st.points, d["points"].get<std::uint64_t>()) << where;
      EXPECT_EQ(st.values, d["values"].get<std::uint64_t>()) << where;
      EXPECT_EQ(st.min_time, d["min_time"].get<std::int64_t>()) << where;
      EXPECT_EQ(st.max_time, d["max_time"].get<std::int64_t>()) << where;
      std::map<std::string, std::string> fields = d["fields"].get<std::map<std::string, std::string>>();
      EXPECT_EQ(st.fields, fields) << where;
      if (!d["line_protocol"].is_null()) {
        EXPECT_EQ(st.lines, d["line_protocol"].get<std::vector<std::string>>()) << where;
      }
    }
    for (const auto& [m, d] : expected) EXPECT_TRUE(measurements.count(m)) << "missing measurement " << m;
  }
  EXPECT_GT(compared, 0u) << "nothing compared for " << scope.source_db;
}

}  // namespace ifx::test
