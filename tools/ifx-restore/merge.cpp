// --merge: the InfluxDB 1.8 documentation's "Restore data to an existing database" in one command and without a
// temporary database. The backup's points (tombstones applied, newest file winning, as
// ShardPoints reads them) are written as line protocol through the HTTP write API, so duplicate
// points behave exactly as InfluxDB's writes do (a point with the same series and time replaces
// the fields it carries), which is what `SELECT * INTO … GROUP BY *` does in the workaround.
#include <algorithm>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "ifx-restore/steps.hpp"
#include "ifx/format/archive/gzip.hpp"
#include "ifx/format/meta/meta_store.hpp"
#include "ifx/format/shard/shard_files.hpp"
#include "ifx/format/text/influxql.hpp"
#include "ifx/format/text/line_protocol.hpp"
#include "ifx/format/text/rfc3339.hpp"
#include "ifx/format/tsm/shard_points.hpp"

namespace ifx::restore {
namespace fs = std::filesystem;
namespace {

// The body of an HTTP write, gzipped at libdeflate's fastest level. A valid level and an
// in-memory output leave the writer nothing to fail on.
// One POST of a batch: 5xx and transport failures are retried (the same points again are
// harmless: a write is idempotent), 4xx is the caller's problem (a field type conflict, auth).
class BatchWriter {
 public:
  BatchWriter(const Options& o, const InfluxHttp& http, std::string db, std::string rp)
      : o_(o), http_(http), db_(std::move(db)), rp_(std::move(rp)) {}

  std::string& buffer() { return lines_; }
  Result<void> line_added() {
    ++pending_;
    return pending_ >= o_.merge_batch_points ? flush() : Result<void>{};
  }

  Result<void> flush() {
    if (pending_ == 0) return {};
    GzipWriterOptions gzip;
    gzip.level = 1;  // the batch crosses the network once: speed over the last few percent
    auto body = gzip_compress(lines_, gzip);
    if (!body) return std::unexpected(std::move(body.error()));
    auto wait = std::chrono::milliseconds(500);
    for (int attempt = 1;; ++attempt) {
      auto a = http_.write_gzip(db_, rp_, *body);
      if (a && a->status == 204) break;
      const bool retry = !a || a->status >= 500;
      std::string why = a ? fmt::format("HTTP {}: {}", a->status, a->body.substr(0, 300)) : a.error().message;
      if (!retry || attempt >= 5)
        return fail(a ? ErrorCode::http_status : a.error().code,
                    fmt::format("writing {} points into \"{}\".\"{}\" failed after {} attempt(s): {}", pending_, db_,
                                rp_, attempt, why));
      say(o_, fmt::format("write failed ({}); retrying in {} ms", why, wait.count()));
      std::this_thread::sleep_for(wait);
      wait = std::min(wait * 2, std::chrono::milliseconds(8000));
    }
    written_ += pending_;
    pending_ = 0;
    lines_.clear();
    return {};
  }
  std::uint64_t written() const { return written_; }

 private:
  const Options& o_;
  const InfluxHttp& http_;
  std::string db_, rp_;
  std::string lines_;
  std::size_t pending_ = 0;
  std::uint64_t written_ = 0;
};

// What one shard's values came to: how many, and the time range they span (which of the server's
// shards received them).
struct WrittenValues {
  std::uint64_t count = 0;
  std::int64_t min_ns = std::numeric_limits<std::int64_t>::max();
  std::int64_t max_ns = std::numeric_limits<std::int64_t>::min();
};

// One line per field value, as influx_inspect export writes them (docs/FORMATS.md §8.1): the server
// merges the fields of one series and time into one point.
Result<WrittenValues> write_shard_points(const Options& o, const UnpackedShard& shard, BatchWriter& out) {
  std::vector<tsm::TsmFileRef> files;
  for (const auto& p : shard.tsm_paths()) files.push_back({p, shard.tombstone_for(p)});
  WrittenValues written;
  if (files.empty()) return written;
  auto points = tsm::ShardPoints::open(std::move(files));
  if (!points) return std::unexpected(points.error());
  lp::LineWriter lines(out.buffer());
  tsm::KeyInfo key;
  tsm::DecodedBlock batch;
  std::uint64_t before = out.written();
  for (;;) {
    auto more = points->next_key(key);
    if (!more) return std::unexpected(more.error());
    if (!*more) break;
    const tsm::CompositeKey ck = tsm::split_composite_key(key.key);
    auto cursor = points->open_cursor(key);
    for (;;) {
      auto got = cursor.next(batch);
      if (!got) return std::unexpected(got.error());
      if (!*got) break;
      lines.select_field(ck.series_key, ck.field);  // re-selected: a flush clears the buffer
      if (batch.size() > 0) {                       // a block's times are sorted
        written.min_ns = std::min(written.min_ns, batch.times.front());
        written.max_ns = std::max(written.max_ns, batch.times[batch.size() - 1]);
      }
      for (std::size_t i = 0; i < batch.size(); ++i) {
        const std::int64_t t = batch.times[i];
        switch (batch.type) {
          case tsm::BlockType::Float:
            lines.write_float(batch.floats[i], t);
            break;
          case tsm::BlockType::Integer:
            lines.write_integer(batch.integers[i], t);
            break;
          case tsm::BlockType::Unsigned:
            lines.write_unsigned(batch.unsigneds[i], t);
            break;
          case tsm::BlockType::Boolean:
            lines.write_boolean(batch.booleans[i] != 0, t);
            break;
          case tsm::BlockType::String:
            lines.write_string(batch.strings[i], t);
            break;
        }
        if (auto r = out.line_added(); !r) return std::unexpected(r.error());
      }
    }
  }
  (void)o;
  if (auto r = out.flush(); !r) return std::unexpected(r.error());
  written.count = out.written() - before;
  return written;
}

// The server's shard of a retention policy: its ID and time range [start, end).
struct ServerShard {
  std::string database, retention_policy;
  std::uint64_t id = 0;
  std::int64_t start_ns = 0, end_ns = 0;
};

// SHOW SHARDS: one series per database, times as RFC 3339 strings.
Result<std::vector<ServerShard>> server_shards(const InfluxHttp& http) {
  auto shown = http.series("SHOW SHARDS");
  if (!shown) return std::unexpected(shown.error());
  std::vector<ServerShard> out;
  for (const auto& s : *shown) {
    const auto columns = s.value("columns", nlohmann::json::array());
    auto column = [&](std::string_view name) -> std::optional<std::size_t> {
      for (std::size_t i = 0; i < columns.size(); ++i)
        if (columns[i] == name) return i;
      return std::nullopt;
    };
    const auto id = column("id"), db = column("database"), rp = column("retention_policy"),
               start = column("start_time"), end = column("end_time");
    if (!id || !db || !rp || !start || !end) continue;
    for (const auto& row : s.value("values", nlohmann::json::array())) {
      if (row.size() <= std::max({*id, *db, *rp, *start, *end}) || !row[*id].is_number_unsigned() ||
          !row[*db].is_string() || !row[*rp].is_string() || !row[*start].is_string() || !row[*end].is_string())
        continue;
      auto from = text::parse_rfc3339(row[*start].get<std::string>());
      auto to = text::parse_rfc3339(row[*end].get<std::string>());
      if (!from || !to) continue;
      out.push_back({row[*db].get<std::string>(), row[*rp].get<std::string>(), row[*id].get<std::uint64_t>(),
                     from->unix_ns, to->unix_ns});
    }
  }
  return out;
}

// Which of the server's shards hold the values a merged shard wrote: those of its target RP whose
// range meets the values' [min, max] (the server's shard groups need not match the backup's).
void name_merged_shards(const std::vector<ServerShard>& server, const std::vector<WrittenValues>& written,
                        Report& report) {
  for (std::size_t i = 0; i < written.size(); ++i) {
    ShardOutcome& s = report.shards[report.shards.size() - written.size() + i];
    if (written[i].count == 0) continue;
    for (const auto& t : server)
      if (t.database == s.database && t.retention_policy == s.retention_policy && t.start_ns <= written[i].max_ns &&
          written[i].min_ns < t.end_ns)
        s.merged_into.push_back(t.id);
    std::sort(s.merged_into.begin(), s.merged_into.end());
    if (!s.merged_into.empty()) s.id = s.merged_into.front();
  }
}

// CREATE DATABASE / RETENTION POLICY for targets the server lacks, with the backup's settings.
Result<void> ensure_targets(const Options& o, const RestorePlan& plan, const InfluxHttp& http,
                            const std::set<std::string>& existed, Report& report) {
  for (const auto& dp : plan.databases) {
    const meta::DatabaseInfo* src = meta::find_database(plan.set.meta, dp.source);
    DatabaseOutcome out = planned_database(plan, dp, !existed.count(dp.target));
    if (out.created) {
      say(o, fmt::format("creating database \"{}\"", dp.target));
      if (!o.dry_run)
        if (auto r = http.query("CREATE DATABASE " + text::quote_influxql_ident(dp.target)); !r)
          return std::unexpected(r.error());
    }
    std::set<std::string> rps;
    if (!o.dry_run || !out.created) {
      auto shown = http.series("SHOW RETENTION POLICIES ON " + text::quote_influxql_ident(dp.target));
      if (!shown && !(o.dry_run && out.created)) return std::unexpected(shown.error());
      if (shown)
        for (const auto& s : *shown)
          for (const auto& row : s.value("values", nlohmann::json::array()))
            if (!row.empty() && row[0].is_string()) rps.insert(row[0].get<std::string>());
    }
    for (const auto& rp : dp.retention_policies) {
      if (rps.count(rp.target)) continue;
      const meta::RetentionPolicyInfo* info = src ? meta::find_retention_policy(*src, rp.source) : nullptr;
      const std::string q = fmt::format(
          "CREATE RETENTION POLICY {} ON {} DURATION {} REPLICATION {}{}", text::quote_influxql_ident(rp.target),
          text::quote_influxql_ident(dp.target),
          info && info->duration_ns ? text::format_influxql_duration(info->duration_ns) : "INF",
          info ? std::max<std::uint32_t>(1, info->replica_n) : 1,
          info && info->shard_group_duration_ns
              ? " SHARD DURATION " + text::format_influxql_duration(info->shard_group_duration_ns)
              : "");
      say(o, q);
      if (!o.dry_run)
        if (auto r = http.query(q); !r) return std::unexpected(r.error());
      report.notes.push_back(
          fmt::format("created retention policy \"{}\" on \"{}\" (the meta import cannot add one to "
                      "an existing database; --merge creates it over HTTP)",
                      rp.target, dp.target));
    }
    report.databases.push_back(std::move(out));
  }
  return {};
}

std::string drop_created(const Options& o, const InfluxHttp& http, Report& report) {
  std::vector<std::string> dropped;
  for (auto& d : report.databases) {
    if (!d.created) continue;
    say(o, fmt::format("rolling back: dropping database \"{}\" which this run created", d.target));
    if (http.query("DROP DATABASE " + text::quote_influxql_ident(d.target))) dropped.push_back(d.target);
    d.created = false;
  }
  return dropped.empty() ? "points already written into existing databases stay there (writing them again is "
                           "harmless)"
                         : fmt::format(
                               "rolled back: dropped database(s) {} that this run created; points already "
                               "written into existing databases stay (writing them again is harmless)",
                               fmt::join(dropped, ", "));
}

}  // namespace

Result<void> run_merge(const Options& o, RestorePlan& plan, InfluxHttp& http, Report& report) {
  auto before = http.databases();
  if (!before) return std::unexpected(before.error());
  const std::set<std::string> existed(before->begin(), before->end());
  auto fail_after_change = [&](const Error& e) {
    Error out = e;
    out.code = ErrorCode::restore_failed;
    out.message = fmt::format("{} [{}]; {}", e.message, e.code, drop_created(o, http, report));
    return std::unexpected(std::move(out));
  };
  if (auto r = ensure_targets(o, plan, http, existed, report); !r) return fail_after_change(r.error());
  if (o.dry_run) {
    record_planned_shards(plan, false, report);
    return {};
  }
  const fs::path scratch = o.scratch_root.empty() ? default_scratch_root() : o.scratch_root;
  std::vector<WrittenValues> written;
  for (std::size_t i = 0; i < plan.shards.size(); ++i) {
    const ShardPlan& sp = plan.shards[i];
    const ShardInBackup& s = plan.set.shards[sp.index];
    say(o, fmt::format("merging shard {} into {}/{} [{}/{}]", s.shard_id, sp.target_database,
                       sp.target_retention_policy, i + 1, plan.shards.size()));
    auto unpacked = UnpackedShard::unpack(plan.set, s, scratch);
    if (!unpacked) return fail_after_change(unpacked.error());
    BatchWriter writer(o, http, sp.target_database, sp.target_retention_policy);
    auto n = write_shard_points(o, *unpacked, writer);
    if (!n) return fail_after_change(n.error());
    report.values_written += n->count;
    written.push_back(*n);
    ShardOutcome out{s.database,
                     s.retention_policy,
                     s.shard_id,
                     sp.target_database,
                     sp.target_retention_policy,
                     0,
                     s.archives.size(),
                     unpacked->scan().tsm_files,
                     unpacked->scan().tar_bytes,
                     unpacked->scan().tombstones > 0,
                     unpacked->scan().tombstones > 0,
                     "merged"};
    report.shards.push_back(std::move(out));
  }
  if (auto r = wait_until_queryable(o, plan, http, report, report.values_written > 0); !r)
    return fail_after_change(r.error());
  // After the wait: the server has created the shards the writes needed by now.
  if (auto shards = server_shards(http); shards) name_merged_shards(*shards, written, report);
  else
    report.notes.push_back("cannot tell which of the server's shards the values went into: " + shards.error().message);
  if (o.cqs)
    if (auto r = restore_continuous_queries(o, plan, http, report); !r) return fail_after_change(r.error());
  if (o.users)
    if (auto r = restore_user_grants(o, plan, http, report); !r) return fail_after_change(r.error());
  return {};
}

}  // namespace ifx::restore
