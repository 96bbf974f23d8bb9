// "Restored" means the data answers queries: influxd's restore returns before that (issue 7), so
// we poll a count over HTTP until every target RP that received TSM data answers with it.
#include <algorithm>
#include <chrono>
#include <limits>
#include <thread>

#include <fmt/format.h>

#include "ifx-restore/steps.hpp"

namespace ifx::restore {
namespace {

struct Range {
  std::int64_t start = std::numeric_limits<std::int64_t>::max();
  std::int64_t end = std::numeric_limits<std::int64_t>::min();
  bool data = false;  // a restored shard carried TSM files (or --merge wrote points)
};

// count(*) answers one series per measurement: [time, count_<field>...].
std::vector<MeasurementCount> counts_of(const nlohmann::json& series) {
  std::vector<MeasurementCount> out;
  for (const auto& s : series) {
    MeasurementCount m{s.value("name", ""), 0};
    for (const auto& row : s.value("values", nlohmann::json::array()))
      for (std::size_t i = 1; i < row.size(); ++i)
        if (row[i].is_number_integer() || row[i].is_number_unsigned()) m.values += row[i].get<std::uint64_t>();
    out.push_back(std::move(m));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.measurement < b.measurement; });
  return out;
}

}  // namespace

Result<void> wait_until_queryable(const Options& o, const RestorePlan& plan, const InfluxHttp& http, Report& report,
                                  bool expect_data) {
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + o.wait_timeout;
  for (auto& db : report.databases) {
    for (auto& rp : db.retention_policies) {
      Range range;
      for (const auto& sp : plan.shards)
        if (sp.target_database == db.target && sp.target_retention_policy == rp.name) {
          range.start = std::min(range.start, sp.start_ns);
          range.end = std::max(range.end, sp.end_ns);
          ++rp.shards;
        }
      for (const auto& s : report.shards)
        if (s.database == db.target && s.retention_policy == rp.name && s.tsm_files > 0) range.data = true;
      if (rp.shards == 0) continue;
      if (report.points_written > 0) range.data = true;
      const std::string q = fmt::format("SELECT count(*) FROM {}.{}./.*/ WHERE time >= {} AND time < {}",
                                        quote_ident(db.target), quote_ident(rp.name), range.start, range.end);
      auto delay = std::chrono::milliseconds(20);
      for (;;) {
        auto s = http.series(q, db.target);
        if (s && (!s->empty() || !range.data || !expect_data)) {
          rp.measurements = counts_of(*s);
          for (const auto& m : rp.measurements) rp.values += m.values;
          break;
        }
        if (clock::now() > deadline)
          return fail("restore-failed",
                      fmt::format("the restored data of {}.{} did not answer \"{}\" within {} s ({})", db.target,
                                  rp.name, q, o.wait_timeout.count(),
                                  s ? std::string("no series yet") : s.error().message));
        std::this_thread::sleep_for(delay);  // a poll interval: the server said "not yet"
        delay = std::min(delay * 2, std::chrono::milliseconds(500));
      }
    }
  }
  return {};
}

}  // namespace ifx::restore
