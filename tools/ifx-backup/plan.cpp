// Which shards a backup holds (docs/FORMATS.md §1.9, §2.5, §3.5), decided before anything is written
// so that an unknown database, retention policy or shard leaves no file behind.
#include <limits>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ifx-backup/steps.hpp"

namespace ifx::backup::detail {
namespace {

Result<void> usage(std::string message) { return fail(ErrorCode::usage, std::move(message)); }

std::vector<std::string> database_names(const meta::MetaData& meta) {
  std::vector<std::string> names;
  for (const auto& db : meta.databases) names.push_back(db.name);
  return names;
}

std::string listed(const std::vector<std::string>& names) {
  return names.empty() ? std::string("none") : fmt::format("{}", fmt::join(names, ", "));
}

Result<const meta::DatabaseInfo*> known_database(const meta::MetaData& meta, const std::string& name,
                                                 const std::string& host) {
  if (const auto* db = meta::find_database(meta, name)) return db;
  return fail(ErrorCode::invalid_argument, fmt::format("database {} does not exist on {} (its databases: {})", name,
                                                       host, listed(database_names(meta))));
}

// -start/-end: a shard whose group [start, end) misses [min, max] holds no point in range.
bool group_overlaps(const meta::MetaData& meta, std::uint64_t shard_id, const std::optional<tsm::TimeRange>& range) {
  if (!range) return true;
  auto loc = meta::find_shard(meta, shard_id);
  if (!loc) return true;
  return loc->shard_group->start_ns <= range->max && loc->shard_group->end_ns > range->min;
}

}  // namespace

Result<void> check_options(const Options& o) {
  if (o.dir.empty()) return usage("exactly one backup directory is required");
  if (o.since && (o.start || o.end))
    return usage("-since and -start/-end cannot be combined (as influxd backup: one or the other)");
  if (o.start && o.end &&
      o.start->unix_ns.value_or(std::numeric_limits<std::int64_t>::min()) >
          o.end->unix_ns.value_or(std::numeric_limits<std::int64_t>::min()))
    return usage(fmt::format("-start {} is after -end {}", o.start->rfc3339(), o.end->rfc3339()));
  if (o.retention_policy && !o.database && !o.shard)
    return usage("-rp needs -db (or -shard): a retention policy name is only unique inside its database");
  if (!o.portable && o.compression != ArchiveCompression::none && o.compression != ArchiveCompression::gzip)
    return usage("--compress applies to portable backups; legacy shard files are plain tars (§2.4)");
  if (o.resume && !o.portable)
    return usage(
        "--resume continues a portable backup (a legacy one has no manifest to tell what is done); "
        "add -portable");
  if (o.jobs == 0) return usage("-j must be at least 1");
  if (writes_stream(o) && !o.portable)
    return usage("a backup written to stdout (-) is a portable backup (docs: the backup stream): add -portable");
  if (writes_stream(o) && o.resume) return usage("--resume continues a backup directory; a stream cannot be resumed");
  if (o.offline && !o.portable)
    return usage("--offline writes a portable backup (the format every restore reads): add -portable");
  if (o.offline && o.since)
    return usage("--offline backs up whole shards from their directories: -since does not apply (-start/-end do)");
  if (o.compress_level != ShardArchiveWriterOptions::kDefaultLevel) {
    if (o.compression == ArchiveCompression::none)
      return usage("--compress-level applies to gzip and zstd; --compress none stores the server's tar as it is");
    const bool gzip = o.compression == ArchiveCompression::gzip;
    const int lowest = gzip ? 1 : -7;
    const int highest = gzip ? 12 : 22;
    if (o.compress_level < lowest || o.compress_level > highest || o.compress_level == 0)
      return usage(fmt::format("--compress-level {} is out of range for {} ({}..{}{})", o.compress_level,
                               gzip ? "gzip" : "zstd", lowest, highest, gzip ? "" : ", not 0"));
  }
  return {};
}

std::optional<tsm::TimeRange> keep_range(const Options& o) {
  if (!o.start && !o.end) return std::nullopt;
  tsm::TimeRange r{std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()};
  if (o.start && o.start->unix_ns) r.min = *o.start->unix_ns;
  if (o.end && o.end->unix_ns) r.max = *o.end->unix_ns;
  return r;
}

Result<std::vector<PlannedShard>> plan_shards(const Options& o, const ShardSource& source, const meta::MetaData& meta) {
  const std::string& host = source.name;
  const auto range = keep_range(o);
  std::vector<PlannedShard> out;

  if (o.shard) {
    // influxd takes -db/-rp as given here (even empty) and names the files after them; the meta
    // store says where the shard really lives, so the manifest and names are right either way.
    auto loc = meta::find_shard(meta, *o.shard);
    if (!loc || loc->shard_group->deleted() || !source.holds(*o.shard))
      return fail(ErrorCode::invalid_argument,
                  fmt::format("shard {} does not exist on {}{} (SHOW SHARDS lists the IDs)", *o.shard, host,
                              !loc                          ? ""
                              : loc->shard_group->deleted() ? " any more (its shard group was deleted)"
                                                            : ": the meta store lists it, but it has no directory"));
    const std::string& db = loc->database->name;
    const std::string& rp = loc->retention_policy->name;
    if ((o.database && *o.database != db) || (o.retention_policy && *o.retention_policy != rp))
      return fail(ErrorCode::invalid_argument,
                  fmt::format("shard {} belongs to {}/{} on {}, not to {}/{}", *o.shard, db, rp, host,
                              o.database.value_or(db), o.retention_policy.value_or(rp)));
    out.push_back({db, rp, *o.shard, group_overlaps(meta, *o.shard, range)});
    return out;
  }

  Result<std::vector<net::ShardPath>> paths;
  if (o.retention_policy) {
    auto db = known_database(meta, *o.database, host);
    if (!db) return std::unexpected(db.error());
    if (!meta::find_retention_policy(**db, *o.retention_policy)) {
      std::vector<std::string> rps;
      for (const auto& rp : (*db)->retention_policies) rps.push_back(rp.name);
      return fail(ErrorCode::invalid_argument, fmt::format("retention policy {} does not exist in database {} on {} "
                                                           "(its retention policies: {})",
                                                           *o.retention_policy, *o.database, host, listed(rps)));
    }
    paths = source.list(*o.database, *o.retention_policy);  // §1.3 type 4
  } else if (o.database) {
    if (auto db = known_database(meta, *o.database, host); !db) return std::unexpected(db.error());
    paths = source.list(*o.database, std::nullopt);  // §1.3 type 3
  } else if (o.portable) {
    paths = source.list("", std::nullopt);  // §3.5: every database, _internal included
  } else {
    return out;  // §2.5: a legacy backup without -db holds the meta store only
  }
  if (!paths) return std::unexpected(paths.error());
  for (const auto& p : *paths)
    out.push_back({p.database, p.retention_policy, p.shard_id, group_overlaps(meta, p.shard_id, range)});
  return out;
}

ShardSource server_shards(net::SnapshotClient& client) {
  ShardSource s;
  s.name = client.host().text();
  s.list = [&client](const std::string& db, const std::optional<std::string>& rp) {
    return rp ? client.retention_policy_info(db, *rp) : client.database_info(db);
  };
  return s;
}

}  // namespace ifx::backup::detail
