// "Restored" means the data answers queries: influxd's restore returns before that, so
// we poll over HTTP until every target RP that received TSM data answers. The probe selects one
// value of one field of one measurement over the RP's whole restored time range: a query over
// that range opens an iterator on every restored shard, and one still being opened fails it
// ("engine is closed", "shard is disabled"). LIMIT 1, not count(): a count reads every block of
// the field, which cost the server as much CPU as the upload of the bench data itself. GROUP BY *
// SLIMIT 1: each shard then builds the iterator of one series, not of every series of the
// measurement (on the bench data's cpu measurement 0.027 s instead of 0.11 s).
// --count then counts every value (count(*)), which on a large database takes the server longer
// than the restore.
#include <algorithm>
#include <chrono>
#include <limits>
#include <thread>

#include <fmt/format.h>

#include "ifx-restore/steps.hpp"
#include "ifx/format/text/influxql.hpp"

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

// Whether `db`.`rp` answers a one-field query over [start, end) for some measurement the server
// knows in `db`: an error while a shard is still opening, false while no measurement answers.
Result<bool> answers_a_probe(const InfluxHttp& http, const std::string& db, const std::string& rp, std::int64_t start,
                             std::int64_t end) {
  // FROM the RP: without it the server lists the default RP's measurements only.
  auto keys = http.series(fmt::format("SHOW FIELD KEYS FROM {}./.*/", text::quote_influxql_ident(rp)), db);
  if (!keys) return std::unexpected(keys.error());
  for (const auto& s : *keys) {
    const auto values = s.value("values", nlohmann::json::array());
    if (values.empty() || !values[0][0].is_string()) continue;
    const std::string q = fmt::format(
        "SELECT {} FROM {}.{}.{} WHERE time >= {} AND time < {} GROUP BY * LIMIT 1 SLIMIT 1",
        text::quote_influxql_ident(values[0][0].get<std::string>()), text::quote_influxql_ident(db),
        text::quote_influxql_ident(rp), text::quote_influxql_ident(s.value("name", "")), start, end);
    auto answer = http.series(q, db);
    if (!answer) return std::unexpected(answer.error());
    if (!answer->empty()) return true;
  }
  return false;
}

}  // namespace

Result<void> wait_until_queryable(const Options& o, const RestorePlan& plan, const InfluxHttp& http, Report& report,
                                  bool expect_data) {
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + o.wait_timeout;
  for (auto& db : report.databases) {
    for (auto& rp : db.retention_policies) {
      Range range;
      std::size_t shards = 0;
      for (const auto& sp : plan.shards)
        if (sp.target_database == db.target && sp.target_retention_policy == rp.name) {
          range.start = std::min(range.start, sp.start_ns);
          range.end = std::max(range.end, sp.end_ns);
          ++shards;
        }
      for (const auto& s : report.shards)
        if (s.database == db.target && s.retention_policy == rp.name && s.tsm_files > 0) range.data = true;
      if (shards == 0) continue;
      if (report.values_written > 0) range.data = true;
      const std::string q = fmt::format("SELECT count(*) FROM {}.{}./.*/ WHERE time >= {} AND time < {}",
                                        text::quote_influxql_ident(db.target), text::quote_influxql_ident(rp.name),
                                        range.start, range.end);
      // Short polls: the last uploads are usually applied within a few tens of milliseconds, and
      // doubling from 20 ms overshot by up to 0.2 s (a probe costs the server little).
      auto delay = std::chrono::milliseconds(5);
      for (;;) {
        if (!o.count_values) {
          auto ok = answers_a_probe(http, db.target, rp.name, range.start, range.end);
          if (ok && (*ok || !range.data || !expect_data)) break;
          if (clock::now() > deadline)
            return fail(ErrorCode::restore_failed,
                        fmt::format("the restored data of {}.{} did not answer a query within {} s ({})", db.target,
                                    rp.name, o.wait_timeout.count(),
                                    ok ? std::string("no measurement answers yet") : ok.error().message));
          std::this_thread::sleep_for(delay);  // a poll interval: the server said "not yet"
          delay = std::min(delay * 3 / 2, std::chrono::milliseconds(100));
          continue;
        }
        auto s = http.series(q, db.target);
        if (s && (!s->empty() || !range.data || !expect_data)) {
          rp.measurements = counts_of(*s);
          for (const auto& m : rp.measurements) rp.values += m.values;
          report.counted = true;
          break;
        }
        if (clock::now() > deadline)
          return fail(
              ErrorCode::restore_failed,
              fmt::format("the restored data of {}.{} did not answer \"{}\" within {} s ({})", db.target, rp.name, q,
                          o.wait_timeout.count(), s ? std::string("no series yet") : s.error().message));
        std::this_thread::sleep_for(delay);  // a poll interval: the server said "not yet"
        delay = std::min(delay * 3 / 2, std::chrono::milliseconds(100));
      }
    }
  }
  return {};
}

}  // namespace ifx::restore
