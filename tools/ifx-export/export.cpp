// ifx-export's operation: pick the shards in scope, write the framing (§8.4) when asked, then
// shard by shard (the next one unpacked in the background while this one is written) every
// series' lines (series_lines.hpp).
#include "ifx-export/export.hpp"

#include <algorithm>
#include <future>

#include <fmt/format.h>

#include "ifx-export/series_lines.hpp"
#include "ifx/format/backup/backup_set.hpp"
#include "ifx/format/text/line_protocol.hpp"
#include "ifx/format/meta/meta_store.hpp"
#include "ifx/format/shard/shard_files.hpp"
#include "ifx/format/tsm/shard_points.hpp"

namespace ifx::exporter {
namespace fs = std::filesystem;
namespace {

bool in_filters(const Options& o, const ShardInBackup& s) {
  return (!o.database || *o.database == s.database) &&
         (!o.retention_policy || *o.retention_policy == s.retention_policy) && (!o.shard || *o.shard == s.shard_id);
}

// A shard holds only points of its group's [start, end) (influxd routes writes by time), so a
// group outside the range needs no unpacking. Shards the meta does not know are always read.
bool may_hold_range(const BackupSet& set, const ShardInBackup& s, const Options& o) {
  auto loc = meta::find_shard(set.meta, s.shard_id);
  if (!loc || !loc->shard_group) return true;
  const auto& g = *loc->shard_group;
  if (g.end_ns <= g.start_ns) return true;  // malformed group: do not guess
  return g.start_ns <= o.end_ns && g.end_ns - 1 >= o.start_ns;
}

// Unknown names are a usage error that says what the backup does hold.
Result<void> check_filters(const Options& o, const BackupSet& set) {
  auto known_db = [&](const std::string& db) {
    return meta::find_database(set.meta, db) ||
           std::any_of(set.shards.begin(), set.shards.end(), [&](const auto& s) { return s.database == db; });
  };
  if (o.database && !known_db(*o.database)) {
    std::vector<std::string> names;
    for (const auto& db : set.meta.databases) names.push_back(db.name);
    return fail(ErrorCode::usage, fmt::format("database \"{}\" is not in the backup (it has: {})", *o.database,
                                              names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "))));
  }
  if (o.retention_policy) {
    bool found = std::any_of(set.shards.begin(), set.shards.end(), [&](const auto& s) {
      return s.retention_policy == *o.retention_policy && (!o.database || s.database == *o.database);
    });
    for (const auto& db : set.meta.databases)
      if (!o.database || db.name == *o.database)
        found = found || meta::find_retention_policy(db, *o.retention_policy) != nullptr;
    if (!found)
      return fail(ErrorCode::usage, fmt::format("retention policy \"{}\" is not in the backup{}", *o.retention_policy,
                                                o.database ? fmt::format(" under database \"{}\"", *o.database) : ""));
  }
  if (o.shard && !set.find_shard(*o.shard))
    return fail(ErrorCode::usage, fmt::format("shard {} is not in the backup (no archive holds it)", *o.shard));
  return {};
}

lp::RetentionClauses clauses_of(const meta::RetentionPolicyInfo* rp) {
  lp::RetentionClauses c;
  if (!rp) return c;
  c.duration_ns = rp->duration_ns;
  c.replication = rp->replica_n ? rp->replica_n : 1;
  if (rp->shard_group_duration_ns > 0) c.shard_duration_ns = rp->shard_group_duration_ns;
  return c;
}

// # DDL: each database once, created with its default RP (CREATE DATABASE … NAME makes that RP
// the default, as in the backup), then its other RPs in scope.
void append_ddl(std::string& out, const BackupSet& set,
                const std::vector<std::pair<std::string, std::string>>& scopes) {
  lp::append_ddl_marker(out);
  std::vector<std::string> databases;
  for (const auto& [db, rp] : scopes)
    if (std::find(databases.begin(), databases.end(), db) == databases.end()) databases.push_back(db);
  for (const auto& db : databases) {
    const meta::DatabaseInfo* info = meta::find_database(set.meta, db);
    std::string default_rp = info ? info->default_retention_policy : "";
    if (default_rp.empty())
      for (const auto& [d, rp] : scopes)
        if (d == db) {
          default_rp = rp;
          break;
        }
    const meta::RetentionPolicyInfo* dinfo = info ? meta::find_retention_policy(*info, default_rp) : nullptr;
    lp::append_create_database(out, db, default_rp, clauses_of(dinfo));
    for (const auto& [d, rp] : scopes)
      if (d == db && rp != default_rp)
        lp::append_create_retention_policy(out, db, rp,
                                           clauses_of(info ? meta::find_retention_policy(*info, rp) : nullptr));
  }
  lp::append_dml_marker(out);
}

// An error from the unpacked copy names the backup's archive(s) and the entry db/rp/id/file.
Error in_backup_terms(Error e, const ShardInBackup& s, const fs::path& unpacked_dir) {
  const fs::path p(e.file);
  if (!unpacked_dir.empty() && !e.file.empty() && p.parent_path() == unpacked_dir) {
    e.entry = shard_entry_name(s.database, s.retention_policy, s.shard_id, p.filename().string());
    std::vector<std::string> names;
    for (const auto& a : s.archives) names.push_back(a.file_name);
    e.file = fmt::format("{}", fmt::join(names, ", "));
  }
  if (e.file.empty() && !s.archives.empty()) e.file = s.archives.back().file_name;
  return e;
}

struct ShardCounts {
  std::uint64_t series = 0;
  SeriesCounts lines;
};

Result<ShardCounts> export_shard(const UnpackedShard& shard, const Options& o, LineBuffer& out,
                                 const std::function<void(std::uint64_t values)>& tick) {
  std::vector<tsm::TsmFileRef> files;
  for (const auto& p : shard.tsm_paths()) files.push_back(tsm::TsmFileRef{p, shard.tombstone_for(p)});
  auto points = tsm::ShardPoints::open(std::move(files));
  if (!points) return std::unexpected(std::move(points.error()));

  const ExportRange range{o.start_ns, o.end_ns};
  ShardCounts counts;
  std::vector<tsm::KeyInfo> series_keys;  // the in-range field keys of the current series
  std::string current_series;
  auto flush_series = [&]() -> Result<void> {
    auto c = write_series(*points, series_keys, range, o.per_field, out);
    series_keys.clear();
    if (!c) return std::unexpected(std::move(c.error()));
    if (c->lines > 0) ++counts.series;
    counts.lines.points += c->points;
    counts.lines.values += c->values;
    counts.lines.lines += c->lines;
    if (tick) tick(c->values);
    return {};
  };
  tsm::KeyInfo key;
  while (true) {
    auto more = points->next_key(key);
    if (!more) return std::unexpected(std::move(more.error()));
    if (!*more) break;
    const std::string_view series = tsm::split_composite_key(key.key).series_key;
    if (series != current_series) {
      if (auto r = flush_series(); !r) return std::unexpected(std::move(r.error()));
      current_series.assign(series);
    }
    if (restrict_to_range(key, range)) series_keys.push_back(key);
  }
  if (auto r = flush_series(); !r) return std::unexpected(std::move(r.error()));
  return counts;
}

ScopeCounts& scope_for(Summary& s, const std::string& db, const std::string& rp) {
  for (auto& c : s.scopes)
    if (c.database == db && c.retention_policy == rp) return c;
  s.scopes.push_back(ScopeCounts{db, rp});
  return s.scopes.back();
}

}  // namespace

Result<Summary> run(const Options& o, OutputSink& sink, const ProgressCallback& progress) {
  auto opened = open_backup_set(o.backup_dir);
  if (!opened) return std::unexpected(std::move(opened.error()));
  const BackupSet& set = *opened;
  if (o.start_ns > o.end_ns)
    return fail(ErrorCode::usage, "the start of the range is after its end: nothing could be exported");
  if (auto r = check_filters(o, set); !r) return std::unexpected(std::move(r.error()));

  Summary summary;
  summary.options = o;
  for (const auto& p : set.problems) summary.warnings.push_back(p.describe());

  std::vector<const ShardInBackup*> todo;
  std::vector<std::pair<std::string, std::string>> scopes;  // db/rp in backup order
  auto note_scope = [&](const std::string& db, const std::string& rp) {
    if (std::find(scopes.begin(), scopes.end(), std::pair{db, rp}) == scopes.end()) scopes.emplace_back(db, rp);
  };
  for (const auto& s : set.shards) {
    if (!in_filters(o, s)) continue;
    note_scope(s.database, s.retention_policy);
    if (may_hold_range(set, s, o)) todo.push_back(&s);
  }
  // An explicitly named database without shards in the backup (e.g. an empty one) is still
  // created by --header.
  if (o.database && scopes.empty())
    if (const meta::DatabaseInfo* db = meta::find_database(set.meta, *o.database))
      for (const auto& rp : db->retention_policies)
        if (!o.retention_policy || rp.name == *o.retention_policy) note_scope(db->name, rp.name);

  LineBuffer out(sink);
  if (o.header) {
    lp::append_export_header(out.text(), o.start_ns, o.end_ns);
    append_ddl(out.text(), set, scopes);
    for (const auto& [db, rp] : scopes)
      if (db.find(':') != std::string::npos || rp.find(':') != std::string::npos)
        summary.warnings.push_back(
            fmt::format("\"{}\"/\"{}\": influx -import cuts a # CONTEXT- name at its first ':', so it would write "
                        "these points elsewhere",
                        db, rp));
  }

  const fs::path scratch = o.scratch_root.empty() ? default_scratch_root() : o.scratch_root;
  auto unpack = [&](std::size_t i) {
    return std::async(std::launch::async,
                      [&set, s = todo[i], scratch] { return UnpackedShard::unpack(set, *s, scratch); });
  };
  Progress state{0, todo.size(), 0, 0};
  auto tick = [&](std::uint64_t values) {
    state.values += values;
    state.bytes = out.bytes_produced();
    if (progress) progress(state);
  };

  std::future<Result<UnpackedShard>> next;
  if (!todo.empty()) next = unpack(0);
  const ShardInBackup* previous = nullptr;
  for (std::size_t i = 0; i < todo.size(); ++i) {
    const ShardInBackup& s = *todo[i];
    auto unpacked = next.get();
    if (i + 1 < todo.size()) next = unpack(i + 1);
    if (!unpacked) return std::unexpected(in_backup_terms(std::move(unpacked.error()), s, {}));
    if (o.header && (!previous || previous->database != s.database || previous->retention_policy != s.retention_policy))
      lp::append_context(out.text(), s.database, s.retention_policy);
    previous = &s;
    auto counts = export_shard(*unpacked, o, out, tick);
    if (!counts) return std::unexpected(in_backup_terms(std::move(counts.error()), s, unpacked->dir()));
    ScopeCounts& scope = scope_for(summary, s.database, s.retention_policy);
    ++scope.shards;
    scope.series += counts->series;
    scope.points += counts->lines.points;
    scope.values += counts->lines.values;
    scope.lines += counts->lines.lines;
    ++state.shards_done;
    tick(0);
  }
  if (auto r = out.flush(); !r) return std::unexpected(std::move(r.error()));

  for (const auto& c : summary.scopes) {
    summary.shards += c.shards;
    summary.series += c.series;
    summary.points += c.points;
    summary.values += c.values;
    summary.lines += c.lines;
  }
  summary.bytes = out.bytes_produced();
  summary.output_bytes = sink.bytes_out();
  return summary;
}

nlohmann::ordered_json to_json(const Summary& s) {
  using json = nlohmann::ordered_json;
  auto points = [&](std::uint64_t n) { return s.options.per_field ? json(nullptr) : json(n); };
  json scopes = json::array();
  for (const auto& c : s.scopes)
    scopes.push_back(json{{"database", c.database},
                          {"retention_policy", c.retention_policy},
                          {"shards", c.shards},
                          {"series", c.series},
                          {"points", points(c.points)},
                          {"values", c.values},
                          {"lines", c.lines}});
  auto bound = [](std::int64_t v, std::int64_t open) { return v == open ? json(nullptr) : json(v); };
  return json{{"backup", s.options.backup_dir.string()},
              {"backup_path", s.options.backup_dir.string()},
              {"per_field", s.options.per_field},
              {"start", bound(s.options.start_ns, std::numeric_limits<std::int64_t>::min())},
              {"end", bound(s.options.end_ns, std::numeric_limits<std::int64_t>::max())},
              {"shards", s.shards},
              {"series", s.series},
              {"points", points(s.points)},
              {"values", s.values},
              {"lines", s.lines},
              {"bytes", s.bytes},
              {"output_bytes", s.output_bytes},
              {"scopes", scopes},
              {"warnings", s.warnings}};
}

Result<Summary> export_to(const Options& options, const std::string& out, bool gzip, const ProgressCallback& progress) {
  std::unique_ptr<OutputSink> sink;
  if (out == "-") {
    sink = make_fd_sink(1, "stdout");
  } else {
    auto file = make_file_sink(out);
    if (!file) return std::unexpected(std::move(file.error()));
    sink = std::move(*file);
  }
  if (gzip) {
    auto compressed = make_gzip_sink(std::move(sink));
    if (!compressed) return std::unexpected(std::move(compressed.error()));
    sink = std::move(*compressed);
  }
  auto summary = run(options, *sink, progress);
  if (!summary) return summary;
  if (auto r = sink->finish(); !r) return std::unexpected(std::move(r.error()));
  summary->output_bytes = sink->bytes_out();
  return summary;
}

}  // namespace ifx::exporter
