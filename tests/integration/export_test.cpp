// ifx-export against what real influxd said (fixtures/<name>.truth.json, recorded from the live
// server; never our own output): for every fixture, per database / RP / measurement the series,
// points, values and time range, and where the truth has them the canonical lines byte for byte.
// Then -start/-end to the nanosecond, tombstones and overwrites proven to matter, the --header
// framing loaded by the real `influx -import` into a real influxd, and the binary's flag
// spellings, exit codes and no-half-written-file promise.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <tuple>

#include <nlohmann/json.hpp>

#include "ifx-export/export.hpp"
#include "ifx-export/series_lines.hpp"
#include "ifx/format/backup/backup_set.hpp"
#include "ifx/format/shard/shard_files.hpp"
#include "ifx/format/text/go_duration.hpp"
#include "support/influxd.hpp"
#include "support/paths.hpp"
#include "support/run.hpp"
#include "support/server_suite.hpp"

namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;
namespace ex = ifx::exporter;
using Scope = std::tuple<std::string, std::string, std::string>;  // db, rp, measurement
using Lines = std::vector<std::string>;

// ---- reading line protocol back (only what the canonical form needs) ----------------------

// Index of the first byte not escaped by a backslash that is in `stops`, from `from`.
std::size_t find_unescaped(const std::string& s, std::string_view stops, std::size_t from = 0) {
  for (std::size_t i = from; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
      continue;
    }
    if (stops.find(s[i]) != std::string_view::npos) return i;
  }
  return std::string::npos;
}

std::string series_of(const std::string& line) { return line.substr(0, find_unescaped(line, " ")); }
std::int64_t time_of(const std::string& line) { return std::stoll(line.substr(line.rfind(' ') + 1)); }

// The unescaped measurement: `\,` and `\ ` unescaped, any other backslash literal (§8.2).
std::string measurement_of(const std::string& line) {
  std::string m;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\\' && i + 1 < line.size() && (line[i + 1] == ',' || line[i + 1] == ' ')) {
      m.push_back(line[++i]);
      continue;
    }
    if (line[i] == ',' || line[i] == ' ') break;
    m.push_back(line[i]);
  }
  return m;
}

// "k=v" pieces of a line's field set; string values may hold ',', ' ', '\"' and '\\'.
std::vector<std::string> fields_of(const std::string& line) {
  const std::size_t begin = find_unescaped(line, " ") + 1;
  const std::size_t end = line.rfind(' ');
  std::vector<std::string> out;
  std::size_t i = begin, start = begin;
  while (i < end) {
    i = find_unescaped(line, "=", i) + 1;  // past the key
    if (line[i] == '"') {
      for (++i; line[i] != '"'; ++i)
        if (line[i] == '\\') ++i;
      ++i;
    } else {
      while (i < end && line[i] != ',') ++i;
    }
    out.push_back(line.substr(start, i - start));
    start = ++i;  // past the ','
  }
  return out;
}

struct ScopedLines {
  std::map<Scope, Lines> lines;
  std::vector<std::string> ddl;
};

// Splits an export written with header = true by its # CONTEXT- lines.
ScopedLines split_by_context(const std::string& text) {
  ScopedLines out;
  std::string db, rp;
  bool dml = false;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    EXPECT_NE(nl, std::string::npos) << "export does not end with a newline";
    if (nl == std::string::npos) nl = text.size();
    std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.starts_with("# CONTEXT-DATABASE:")) db = line.substr(19);
    else if (line.starts_with("# CONTEXT-RETENTION-POLICY:")) rp = line.substr(27);
    else if (line == "# DML") dml = true;
    else if (line.starts_with("#")) continue;
    else if (!dml) out.ddl.push_back(line);
    else out.lines[{db, rp, measurement_of(line)}].push_back(line);
  }
  for (auto& [scope, lines] : out.lines) std::sort(lines.begin(), lines.end());
  return out;
}

Lines sorted_lines(const std::string& text) {
  Lines out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    out.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  std::sort(out.begin(), out.end());
  return out;
}

// ---- running the export in-process --------------------------------------------------------

struct Exported {
  std::string text;
  ex::Summary summary;
};

Exported export_of(const ex::Options& o) {
  Exported e;
  auto sink = ex::make_string_sink(e.text);
  auto s = ex::run(o, *sink);
  EXPECT_TRUE(s) << s.error().describe();
  if (s) e.summary = std::move(*s);
  return e;
}

// The options that reproduce a fixture's backup scope.
ex::Options scope_options(const std::string& fixture, const json& truth) {
  ex::Options o;
  o.backup_dir = ifx::test::fixture(fixture);
  const json& sc = truth["scope"];
  if (!sc["database"].is_null()) o.database = sc["database"].get<std::string>();
  if (!sc["retention_policy"].is_null()) o.retention_policy = sc["retention_policy"].get<std::string>();
  if (!sc["shard"].is_null()) o.shard = sc["shard"].get<std::uint64_t>();
  if (!sc["start"].is_null()) o.start_ns = sc["start"].get<std::int64_t>();
  if (!sc["end"].is_null()) o.end_ns = sc["end"].get<std::int64_t>();
  return o;
}

Scope scope_of(const json& d) {
  return {d["database"].get<std::string>(), d["retention_policy"].get<std::string>(),
          d["measurement"].get<std::string>()};
}

std::string describe(const Scope& s) { return std::get<0>(s) + " / " + std::get<1>(s) + " / " + std::get<2>(s); }

// ---- every fixture against its truth ------------------------------------------------------

class ExportTruth : public ::testing::TestWithParam<std::string> {};

TEST_P(ExportTruth, EveryMeasurementMatchesTheLiveServer) {
  const json truth = ifx::test::fixture_truth(GetParam());
  ex::Options o = scope_options(GetParam(), truth);
  o.header = true;
  const Exported e = export_of(o);
  const ScopedLines ours = split_by_context(e.text);

  std::set<Scope> expected;
  std::uint64_t total_points = 0, total_values = 0;
  for (const auto& d : truth["data"]) {
    const Scope scope = scope_of(d);
    SCOPED_TRACE(describe(scope));
    expected.insert(scope);
    auto it = ours.lines.find(scope);
    ASSERT_NE(it, ours.lines.end()) << "no lines exported for this measurement";
    const Lines& lines = it->second;
    std::set<std::string> series;
    std::uint64_t values = 0;
    std::int64_t min_t = INT64_MAX, max_t = INT64_MIN;
    for (const auto& l : lines) {
      series.insert(series_of(l));
      values += fields_of(l).size();
      min_t = std::min(min_t, time_of(l));
      max_t = std::max(max_t, time_of(l));
    }
    EXPECT_EQ(series.size(), d["series"].get<std::uint64_t>());
    EXPECT_EQ(lines.size(), d["points"].get<std::uint64_t>());
    EXPECT_EQ(values, d["values"].get<std::uint64_t>());
    EXPECT_EQ(min_t, d["min_time"].get<std::int64_t>());
    EXPECT_EQ(max_t, d["max_time"].get<std::int64_t>());
    // One line per (series, timestamp): the default mode merges a series' fields.
    std::set<std::pair<std::string, std::int64_t>> distinct;
    for (const auto& l : lines) distinct.emplace(series_of(l), time_of(l));
    EXPECT_EQ(distinct.size(), lines.size());
    if (!d["line_protocol"].is_null()) {
      EXPECT_EQ(lines, d["line_protocol"].get<Lines>());
    }
    total_points += lines.size();
    total_values += values;
  }
  for (const auto& [scope, lines] : ours.lines)
    EXPECT_TRUE(expected.count(scope)) << describe(scope) << ": " << lines.size()
                                       << " lines the live server did not have";
  EXPECT_EQ(e.summary.points, total_points);
  EXPECT_EQ(e.summary.lines, total_points);
  EXPECT_EQ(e.summary.values, total_values);
  EXPECT_EQ(e.summary.bytes, e.text.size());
}

TEST_P(ExportTruth, PerFieldWritesEachValueOnItsOwnLine) {
  const json truth = ifx::test::fixture_truth(GetParam());
  ex::Options o = scope_options(GetParam(), truth);
  o.header = true;
  o.per_field = true;
  const ScopedLines ours = split_by_context(export_of(o).text);
  for (const auto& d : truth["data"]) {
    const Scope scope = scope_of(d);
    SCOPED_TRACE(describe(scope));
    auto it = ours.lines.find(scope);
    ASSERT_NE(it, ours.lines.end());
    EXPECT_EQ(it->second.size(), d["values"].get<std::uint64_t>());
    if (d["line_protocol"].is_null()) continue;
    Lines expected;  // the truth's lines, one per field
    for (const auto& l : d["line_protocol"].get<Lines>())
      for (const auto& f : fields_of(l)) expected.push_back(series_of(l) + " " + f + " " + std::to_string(time_of(l)));
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(it->second, expected);
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ExportTruth, ::testing::ValuesIn(ifx::test::fixture_names()),
                         [](const auto& info) { return ifx::test::test_name_of(info.param); });

// ---- -start / -end to the nanosecond ------------------------------------------------------

// Truth lines of the whole fixture within [lo, hi], sorted.
Lines truth_lines_in(const json& truth, std::int64_t lo, std::int64_t hi) {
  Lines out;
  for (const auto& d : truth["data"])
    if (!d["line_protocol"].is_null())
      for (const auto& l : d["line_protocol"].get<Lines>())
        if (time_of(l) >= lo && time_of(l) <= hi) out.push_back(l);
  std::sort(out.begin(), out.end());
  return out;
}

TEST(ExportRange, BoundsAreExactToTheNanosecondAroundZero) {
  // One shard of the weird-names DB holds points at t = -1, 0 and 1 (fixtures/README.md).
  const json truth = ifx::test::fixture_truth("legacy-db-rp-shard");
  for (auto [lo, hi] : {std::pair<std::int64_t, std::int64_t>{0, 0}, {-1, 0}, {0, 1}, {-1, 1}, {1, 1}}) {
    SCOPED_TRACE("range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    ex::Options o = scope_options("legacy-db-rp-shard", truth);
    o.start_ns = lo;
    o.end_ns = hi;
    const Lines ours = sorted_lines(export_of(o).text);
    const Lines expected = truth_lines_in(truth, lo, hi);
    EXPECT_FALSE(expected.empty());
    EXPECT_EQ(ours, expected);
  }
}

TEST(ExportRange, BoundsInsideAShardKeepExactlyThePointsInRange) {
  const json truth = ifx::test::fixture_truth("portable-db");
  // Timestamps of the measurement with truth lines; bounds on them and one ns beside them, and
  // bounds that cut the 3600-point measurement's blocks in the middle.
  std::vector<std::int64_t> times;
  for (const auto& d : truth["data"])
    if (!d["line_protocol"].is_null())
      for (const auto& l : d["line_protocol"].get<Lines>()) times.push_back(time_of(l));
  std::sort(times.begin(), times.end());
  ASSERT_GT(times.size(), 300u);
  ex::Options all;
  all.backup_dir = ifx::test::fixture("portable-db");
  const Lines everything = sorted_lines(export_of(all).text);
  const std::int64_t dense0 = 1700006400000000000;  // fixtures/README.md: `dense`, 1 point/s
  const std::vector<std::pair<std::int64_t, std::int64_t>> ranges{
      {times[100], times[300]},
      {times[100] + 1, times[300] - 1},
      {times[0], times[0]},
      {times.back() - 1, times.back()},
      {dense0 + 1'500'000'000'000, dense0 + 2'500'000'000'000 - 1},
      {dense0 + 999'000'000'001, dense0 + 1'000'999'999'999}};
  for (auto [lo, hi] : ranges) {
    SCOPED_TRACE("range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    ex::Options o = all;
    o.start_ns = lo;
    o.end_ns = hi;
    const Lines ours = sorted_lines(export_of(o).text);
    Lines expected;
    for (const auto& l : everything)
      if (time_of(l) >= lo && time_of(l) <= hi) expected.push_back(l);
    EXPECT_EQ(ours, expected);
    Lines with_truth;
    for (const auto& l : ours)
      if (measurement_of(l) == "cpu") with_truth.push_back(l);
    EXPECT_EQ(with_truth, truth_lines_in(truth, lo, hi));
  }
}

// ---- tombstones and overwrites, proven to matter --------------------------------------------

// A shard's lines read from `files` only (with or without their tombstones), through the same
// series writer the export uses.
Lines lines_of_files(const std::vector<ifx::tsm::TsmFileRef>& files, bool per_field) {
  auto points = ifx::tsm::ShardPoints::open(files);
  EXPECT_TRUE(points) << points.error().describe();
  if (!points) return {};
  std::string text;
  auto sink = ex::make_string_sink(text);
  ex::LineBuffer buffer(*sink);
  std::vector<ifx::tsm::KeyInfo> series;
  auto flush = [&] {
    auto r = ex::write_series(*points, series, {INT64_MIN, INT64_MAX}, per_field, buffer);
    EXPECT_TRUE(r) << r.error().describe();
    series.clear();
  };
  ifx::tsm::KeyInfo key;
  while (true) {
    auto more = points->next_key(key);
    EXPECT_TRUE(more) << more.error().describe();
    if (!more || !*more) break;
    if (!series.empty() && ifx::tsm::split_composite_key(series.back().key).series_key !=
                               ifx::tsm::split_composite_key(key.key).series_key)
      flush();
    series.push_back(key);
  }
  flush();
  EXPECT_TRUE(buffer.flush());
  return sorted_lines(text);
}

TEST(ExportTombstones, DeletedPointsNeverAppear) {
  const json truth = ifx::test::fixture_truth("portable-tombstones");
  auto set = ifx::open_backup_set(ifx::test::fixture("portable-tombstones"));
  ASSERT_TRUE(set) << set.error().describe();
  Lines raw;  // every point the TSM files hold, tombstones ignored
  std::size_t tombstones = 0;
  for (const auto& shard : set->shards) {
    auto u = ifx::UnpackedShard::unpack(*set, shard, ifx::default_scratch_root());
    ASSERT_TRUE(u) << u.error().describe();
    tombstones += u->scan().tombstones;
    std::vector<ifx::tsm::TsmFileRef> files;
    for (const auto& p : u->tsm_paths()) files.push_back({p, std::nullopt});
    for (auto& l : lines_of_files(files, false)) raw.push_back(std::move(l));
  }
  EXPECT_EQ(tombstones, 2u) << "the fixture holds a .tombstone in each shard";
  std::sort(raw.begin(), raw.end());
  const Lines kept = truth_lines_in(truth, INT64_MIN, INT64_MAX);
  Lines deleted;
  std::set_difference(raw.begin(), raw.end(), kept.begin(), kept.end(), std::back_inserter(deleted));
  ASSERT_GT(deleted.size(), 50u) << "the TSM files should still hold the deleted points";

  ex::Options o;
  o.backup_dir = ifx::test::fixture("portable-tombstones");
  const Lines ours = sorted_lines(export_of(o).text);
  Lines resurrected;
  std::set_intersection(ours.begin(), ours.end(), deleted.begin(), deleted.end(), std::back_inserter(resurrected));
  EXPECT_TRUE(resurrected.empty()) << resurrected.size() << " deleted points exported, e.g. " << resurrected[0];
  EXPECT_EQ(ours, kept);
}

TEST(ExportOverwrites, TheNewestTsmFileWins) {
  const json truth = ifx::test::fixture_truth("portable-db-rp-shard");
  auto set = ifx::open_backup_set(ifx::test::fixture("portable-db-rp-shard"));
  ASSERT_TRUE(set) << set.error().describe();
  ASSERT_EQ(set->shards.size(), 1u);
  auto u = ifx::UnpackedShard::unpack(*set, set->shards[0], ifx::default_scratch_root());
  ASSERT_TRUE(u) << u.error().describe();
  const auto tsm = u->tsm_paths();
  ASSERT_EQ(tsm.size(), 3u) << "fixtures/README.md: 3 TSM files, an overwrite in the 2nd flush";
  const Lines oldest = lines_of_files({{tsm[0], u->tombstone_for(tsm[0])}}, true);

  ex::Options o;
  o.backup_dir = ifx::test::fixture("portable-db-rp-shard");
  o.per_field = true;
  const Lines ours = sorted_lines(export_of(o).text);
  // per-field line "<series> <key>=<value> <t>": identity = all but the value.
  auto identity = [](const std::string& l) {
    const std::string f = fields_of(l)[0];
    return series_of(l) + " " + f.substr(0, find_unescaped(f, "=")) + " " + std::to_string(time_of(l));
  };
  std::map<std::string, std::string> ours_by_id;
  for (const auto& l : ours) ours_by_id[identity(l)] = l;
  std::set<std::string> truth_fields;  // the truth's lines, one per field
  for (const auto& d : truth["data"])
    if (!d["line_protocol"].is_null())
      for (const auto& l : d["line_protocol"].get<Lines>())
        for (const auto& f : fields_of(l))
          truth_fields.insert(series_of(l) + " " + f + " " + std::to_string(time_of(l)));
  std::size_t overwritten = 0;
  for (const auto& old : oldest) {
    auto it = ours_by_id.find(identity(old));
    ASSERT_NE(it, ours_by_id.end()) << "point lost: " << old;
    if (it->second == old) continue;
    ++overwritten;
    EXPECT_TRUE(truth_fields.count(it->second)) << "exported " << it->second << " (older value " << old << ")";
  }
  EXPECT_GE(overwritten, 1u) << "the fixture overwrites a point of the first TSM file";
}

// ---- --header loaded by the real `influx -import` -------------------------------------------

using ifx::test::Ran;
using ifx::test::run_command;

std::string tool() { return (ifx::test::build_dir() / "tools" / "ifx-export").string(); }

class ExportImport : public ifx::test::ServerSuite<ExportImport> {
 protected:
  // Exports the fixture with --header through the binary, imports it with the real client, and
  // compares what the server then holds with the truth.
  void import_and_compare(const std::string& fixture, bool gzip) {
    ASSERT_NE(server_, nullptr);
    const json truth = ifx::test::fixture_truth(fixture);
    ifx::test::ScratchDir dir("ifx-export-import");
    const fs::path file = dir / (gzip ? "export.lp.gz" : "export.lp");
    std::vector<std::string> args{tool(), "--header", "--out", file.string(), fixture_dir(fixture)};
    if (gzip) args.insert(args.begin() + 1, {"--compress", "gzip"});
    const Ran ex = run_command(args);
    ASSERT_EQ(ex.exit_code, 0) << ex.err;
    std::vector<std::string> import{
        "/usr/bin/influx",        "-host",        "127.0.0.1", "-port", std::to_string(server_->http_port()), "-import",
        "-path=" + file.string(), "-precision=ns"};
    if (gzip) import.push_back("-compressed");
    const Ran im = run_command(import);
    ASSERT_EQ(im.exit_code, 0) << im.out << im.err;
    EXPECT_EQ(im.err, "") << "influx -import reported errors";

    std::set<std::string> databases;
    for (const auto& d : truth["data"]) {
      const Scope scope = scope_of(d);
      SCOPED_TRACE(describe(scope));
      const auto& [db, rp, m] = scope;
      databases.insert(db);
      const json series = server_->series(
          "SELECT * FROM " + ifx::test::quote_ident(rp) + "." + ifx::test::quote_ident(m) + " GROUP BY *", db);
      std::uint64_t points = 0, values = 0;
      for (const auto& s : series)
        for (const auto& row : s["values"]) {
          ++points;
          for (std::size_t i = 1; i < row.size(); ++i) values += row[i].is_null() ? 0 : 1;
        }
      EXPECT_EQ(series.size(), d["series"].get<std::uint64_t>());
      EXPECT_EQ(points, d["points"].get<std::uint64_t>());
      EXPECT_EQ(values, d["values"].get<std::uint64_t>());
    }
    // The retention policies the DDL created are those of the backup, the default included.
    for (const auto& tdb : truth["databases"]) {
      const std::string name = tdb["name"];
      if (!databases.count(name)) continue;
      SCOPED_TRACE("database " + name);
      const json rps = server_->series("SHOW RETENTION POLICIES ON " + ifx::test::quote_ident(name));
      ASSERT_EQ(rps.size(), 1u);
      std::map<std::string, json> got;
      for (const auto& row : rps[0]["values"]) got[row[0]] = row;
      for (const auto& trp : tdb["retention_policies"]) {
        if (!trp["shards"].empty() && !got.count(trp["name"])) ADD_FAILURE() << "RP missing: " << trp["name"];
        if (!got.count(trp["name"])) continue;
        const json& row = got[trp["name"]];  // name, duration, shardGroupDuration, replicaN, default
        EXPECT_EQ(row[1], ifx::text::format_go_duration(trp["duration_ns"]));
        EXPECT_EQ(row[2], ifx::text::format_go_duration(trp["shard_group_duration_ns"]));
        EXPECT_EQ(row[4], trp["default"]);
      }
    }
  }

  static std::string fixture_dir(const std::string& name) { return ifx::test::fixture(name).string(); }
};

TEST_F(ExportImport, EveryDatabaseOfAFullBackupLoadsWithTheSameCounts) { import_and_compare("portable-all", false); }

TEST_F(ExportImport, GzippedExportLoadsWithCompressed) { import_and_compare("portable-tsi1", true); }

// ---- the binary: flag spellings, exit codes, atomic output ---------------------------------

TEST(ExportBinary, GoAndGnuFlagSpellingsSelectTheSameScope) {
  ex::Options o;
  o.backup_dir = ifx::test::fixture("portable-all");
  o.database = "plain";
  const Lines expected = sorted_lines(export_of(o).text);
  ASSERT_FALSE(expected.empty());
  const std::string dir = ifx::test::fixture("portable-all").string();
  for (const auto& flags : std::vector<std::vector<std::string>>{
           {"-db", "plain"}, {"--db=plain"}, {"-database", "plain"}, {"-db=plain"}, {"--database", "plain"}}) {
    SCOPED_TRACE(flags[0]);
    std::vector<std::string> argv{tool()};
    argv.insert(argv.end(), flags.begin(), flags.end());
    argv.push_back(dir);
    const Ran r = run_command(argv);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(sorted_lines(r.out), expected);
  }
  const Ran everything = run_command({tool(), dir});
  EXPECT_GT(sorted_lines(everything.out).size(), expected.size()) << "-db should have narrowed the export";
}

TEST(ExportBinary, StartAndEndTakeRfc3339WithNanoseconds) {
  const json truth = ifx::test::fixture_truth("legacy-db-rp-shard");
  const std::string dir = ifx::test::fixture("legacy-db-rp-shard").string();
  const Ran r = run_command({tool(), "-start", "1970-01-01T00:00:00Z", "-end=1970-01-01T00:00:00.000000001Z", dir});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(sorted_lines(r.out), truth_lines_in(truth, 0, 1));
  const Ran stop = run_command(
      {tool(), "--start=1969-12-31T23:59:59.999999999Z", "-stop", "1970-01-01T01:00:00+01:00", dir});
  ASSERT_EQ(stop.exit_code, 0) << stop.err;
  EXPECT_EQ(sorted_lines(stop.out), truth_lines_in(truth, -1, 0));
  const Ran bad = run_command({tool(), "-start", "yesterday", dir});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("-start"), std::string::npos) << bad.err;
}

TEST(ExportBinary, ABadDirectoryOrScopeFailsWithAClearMessage) {
  const Ran missing = run_command({tool(), "/nonexistent/backup"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("/nonexistent/backup"), std::string::npos) << missing.err;
  EXPECT_EQ(missing.out, "");
  const Ran db = run_command({tool(), "-db", "nosuch", ifx::test::fixture("portable-db").string()});
  EXPECT_EQ(db.exit_code, 2);
  EXPECT_NE(db.err.find("\"nosuch\" is not in the backup"), std::string::npos) << db.err;
  const Ran json_to_stdout = run_command({tool(), "--json", ifx::test::fixture("portable-db").string()});
  EXPECT_EQ(json_to_stdout.exit_code, 2);
}

TEST(ExportBinary, FileOutputIsGzippedAndSummarisedAsJson) {
  ifx::test::ScratchDir dir("ifx-export-out");
  const std::string backup = ifx::test::fixture("portable-db").string();
  const Ran plain = run_command({tool(), backup});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  const fs::path file = dir / "out.lp.gz";
  const Ran r = run_command({tool(), "--compress", "gzip", "--json", "--out", file.string(), backup});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Ran gunzip = run_command({"gzip", "-dc", file.string()});
  ASSERT_EQ(gunzip.exit_code, 0) << gunzip.err;
  EXPECT_EQ(gunzip.out, plain.out);
  const json summary = json::parse(r.out);
  EXPECT_EQ(summary["lines"].get<std::size_t>(), sorted_lines(plain.out).size());
  EXPECT_EQ(summary["bytes"].get<std::size_t>(), plain.out.size());
  EXPECT_EQ(summary["output_bytes"].get<std::uintmax_t>(), fs::file_size(file));
  EXPECT_EQ(summary["points"], 410 + 3600);  // the truth: cpu 410, dense 3600
  ASSERT_EQ(summary["scopes"].size(), 1u);
  EXPECT_EQ(summary["scopes"][0]["database"], "plain");
}

TEST(ExportBinary, ADamagedArchiveLeavesNoOutputFile) {
  ifx::test::ScratchDir dir("ifx-export-damaged");
  const fs::path backup = dir / "backup";
  fs::copy(ifx::test::fixture("portable-db"), backup);
  std::string victim;
  for (const auto& e : fs::directory_iterator(backup))
    if (e.path().string().ends_with(".s9.tar.gz")) victim = e.path().filename().string();
  ASSERT_FALSE(victim.empty());
  std::string bytes = ifx::test::read_file(backup / victim);
  bytes[bytes.size() / 2] ^= 0x5a;  // inside the deflate stream
  ifx::test::write_file(backup / victim, bytes);
  const fs::path out = dir / "out.lp";
  const Ran r = run_command({tool(), "--out", out.string(), backup.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(victim), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(fs::exists(out.string() + ".pending"));
}

TEST(ExportErrors, ADamagedTsmBlockIsNamedByArchiveEntryAndOffset) {
  // A legacy shard file is a plain tar: a byte flipped inside the TSM entry's first block (docs/FORMATS.md
  // §6.1: 5-byte header, then the block's CRC32 and data) must fail that block's CRC.
  ifx::test::ScratchDir dir("ifx-export-tsm");
  const fs::path backup = dir / "backup";
  fs::copy(ifx::test::fixture("legacy-db"), backup);
  const std::string victim = "plain.autogen.00010.00";
  std::string bytes = ifx::test::read_file(backup / victim);
  const std::size_t tsm = bytes.find("\x16\xd1\x16\xd1");
  ASSERT_EQ(tsm, 512u) << "the TSM entry's data follows its 512-byte tar header";
  bytes[tsm + 5 + 4 + 2] ^= 0x01;
  ifx::test::write_file(backup / victim, bytes);

  ex::Options o;
  o.backup_dir = backup;
  std::string text;
  auto sink = ex::make_string_sink(text);
  auto r = ex::run(o, *sink);
  ASSERT_FALSE(r) << "a damaged block must not be exported";
  const ifx::Error& e = r.error();
  EXPECT_EQ(e.code, ifx::ErrorCode::tsm_block_crc) << e.describe();
  EXPECT_EQ(e.file, victim);
  EXPECT_TRUE(e.entry.starts_with("plain/autogen/10/") && e.entry.ends_with(".tsm")) << e.entry;
  EXPECT_EQ(e.offset, std::optional<std::uint64_t>(5)) << e.describe();
}

}  // namespace
