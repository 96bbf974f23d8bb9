// --merge: the InfluxDB 1.8 documentation's "Restore data to an existing database" in one command and without a
// temporary database. The backup's points (tombstones applied, newest file winning, as
// ShardPoints reads them) are written as line protocol through the HTTP write API, so duplicate
// points behave exactly as InfluxDB's writes do (a point with the same series and time replaces
// the fields it carries), which is what `SELECT * INTO … GROUP BY *` does in the workaround.
#include <algorithm>
#include <memory>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "ifx-restore/steps.hpp"
#include "ifx/format/archive/gzip.hpp"
#include "ifx/format/meta/meta_store.hpp"
#include "ifx/format/shard/shard_files.hpp"
#include "ifx/format/text/influxql.hpp"
#include "ifx/format/text/line_protocol.hpp"
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

// One line per field value, as influx_inspect export writes them (docs/FORMATS.md §8.1): the server
// merges the fields of one series and time into one point.
Result<std::uint64_t> write_shard_points(const Options& o, const UnpackedShard& shard, BatchWriter& out) {
  std::vector<tsm::TsmFileRef> files;
  for (const auto& p : shard.tsm_paths()) files.push_back({p, shard.tombstone_for(p)});
  if (files.empty()) return 0;
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
  return out.written() - before;
}

// CREATE DATABASE / RETENTION POLICY for targets the server lacks, with the backup's settings.
Result<void> ensure_targets(const Options& o, const RestorePlan& plan, const InfluxHttp& http,
                            const std::set<std::string>& existed, Report& report) {
  for (const auto& dp : plan.databases) {
    const meta::DatabaseInfo* src = meta::find_database(plan.set.meta, dp.source);
    DatabaseOutcome out{dp.source, dp.target, !existed.count(dp.target), {}};
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
      out.retention_policies.push_back({rp.target, 0, 0, {}});
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
    report.points_written += *n;
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
  if (auto r = wait_until_queryable(o, plan, http, report, report.points_written > 0); !r)
    return fail_after_change(r.error());
  if (o.cqs)
    if (auto r = restore_continuous_queries(o, plan, http, report); !r) return fail_after_change(r.error());
  if (o.users)
    if (auto r = restore_user_grants(o, plan, http, report); !r) return fail_after_change(r.error());
  return {};
}

}  // namespace ifx::restore
